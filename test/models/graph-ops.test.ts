import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { simdKernelsFor } from '../../src/backend/simd/simd-kernels.ts';
import { EdgeLinear } from '../../src/models/blocks/edge-conv.ts';
import { GlobalConcatLinear } from '../../src/models/blocks/global-concat-linear.ts';
import { knnIndices } from '../../src/models/blocks/knn.ts';
import { edgeFeatures } from '../../src/nn/ops/edge-features.ts';
import { edgeSum } from '../../src/nn/ops/edge-sum.ts';
import { gatherNeighbours } from '../../src/nn/ops/gather-neighbours.ts';
import { IdentityQuantizer } from '../../src/nn/quantizer.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * DGCNN's graph operations: the k-NN graph against a brute-force search, and the neighbour
 * kernels bitpoint registers on wasm (forward values and gradients) against plain tfjs ops on the
 * `cpu` backend, where they are not registered.
 */
function randomValues(size: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: size }, () => rng.normal());
}

/** Flat indices (b·N + j) of each point's k nearest points, by brute force in float64. */
function bruteForceKnn(values: Float32Array, batch: number, points: number, channels: number, k: number): number[][] {
  const result: number[][] = [];
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < points; i++) {
      const distances: Array<[number, number]> = [];
      for (let j = 0; j < points; j++) {
        let d = 0;
        for (let c = 0; c < channels; c++) {
          const diff = values[(b * points + i) * channels + c]! - values[(b * points + j) * channels + c]!;
          d += diff * diff;
        }
        distances.push([d, b * points + j]);
      }
      distances.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
      result.push(distances.slice(0, k).map(([, index]) => index));
    }
  }
  return result;
}

/** Forward values and gradients of sum(f(x)·w) for a fixed, non-uniform w, on one backend. */
async function valueAndGrads(
  backend: 'wasm' | 'cpu',
  floats: Array<{ values: Float32Array; shape: number[] }>,
  neighbours: { values: Int32Array; shape: number[] },
  f: (xs: tf.Tensor[], neighbours: tf.Tensor3D) => tf.Tensor,
): Promise<{ value: Float32Array; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = floats.map((x) => tf.tensor(x.values, x.shape));
    const nb = tf.tensor3d(neighbours.values, neighbours.shape as [number, number, number], 'int32');
    const value = f(xs, nb);
    const weights = tf.add(tf.sin(tf.reshape(tf.mul(tf.range(0, value.size, 1, 'float32'), 0.37), value.shape)), 1.5);
    const grads = tf.grads((...inputs: tf.Tensor[]) => tf.sum(tf.mul(f(inputs, nb), weights)))(xs);
    return { value: value.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  expect(worst).toBeLessThan(tolerance);
}

async function expectSameOnWasmAndCpu(
  floats: Array<{ values: Float32Array; shape: number[] }>,
  neighbours: { values: Int32Array; shape: number[] },
  f: (xs: tf.Tensor[], neighbours: tf.Tensor3D) => tf.Tensor,
): Promise<void> {
  const wasm = await valueAndGrads('wasm', floats, neighbours, f);
  const cpu = await valueAndGrads('cpu', floats, neighbours, f);
  expectClose(wasm.value, cpu.value);
  expect(wasm.grads.length).toBe(cpu.grads.length);
  wasm.grads.forEach((g, i) => expectClose(g, cpu.grads[i]!));
}

describe('k nearest neighbours and neighbour kernels', () => {
  const rng = new Rng(7);
  const [batch, points, k] = [3, 37, 6];

  beforeAll(async () => {
    const info = await useBackend('wasm');
    expect(simdKernelsFor(tf.backend())).not.toBeNull();
    expect(info.kernelFixes).toEqual(expect.arrayContaining(['BitpointKnn', 'BitpointGatherNeighbours', 'BitpointEdgeSum', 'BitpointEdgeFeatures']));
  });

  /** Random neighbour rows with repeats, as a k-NN graph has (one point is many points' neighbour). */
  const randomNeighbours = () => ({
    values: Int32Array.from({ length: batch * points * k }, (_, e) => {
      const b = Math.floor(e / (points * k));
      return b * points + (rng.int(4) === 0 ? 0 : rng.int(points));
    }),
    shape: [batch, points, k],
  });

  it.each([3, 5, 64])('knnIndices matches a brute-force search with %i channels, on wasm and cpu', async (channels) => {
    const values = randomValues(batch * points * channels, rng);
    const expected = bruteForceKnn(values, batch, points, channels, k);
    for (const backend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(backend);
      const found = tf.tidy(() => knnIndices(tf.tensor3d(values, [batch, points, channels]), k).arraySync());
      const rows = found.flat();
      // Same sets, nearest (the point itself) first; the order of the others may differ only
      // where float32 distances tie, which random normals do not.
      expect(rows.map((row) => [...row].sort((a, b) => a - b))).toEqual(expected.map((row) => [...row].sort((a, b) => a - b)));
      expect(rows.map((row) => row[0])).toEqual(expected.map((row) => row[0]));
    }
    await tf.setBackend('wasm');
  });

  it('knnIndices is a constant for autodiff, and checks k', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 16, 4]) as tf.Tensor3D;
    const grad = tf.grad((t: tf.Tensor) => tf.sum(gatherNeighbours(t, knnIndices(t as tf.Tensor3D, 4))))(x);
    // Each point is gathered once per time it is someone's neighbour: the gradient counts that.
    const counts = new Float32Array(32);
    for (const row of knnIndices(x, 4).dataSync()) counts[row]! += 1;
    expect(Array.from(tf.sum(grad, -1).dataSync())).toEqual(Array.from(counts, (c) => c * 4));
    expect(() => knnIndices(x, 17)).toThrow(/k must be an integer in \[1, 16\]/);
  });

  it('gatherNeighbours: values and gradient (scatter-add) match tf.gather on cpu', async () => {
    for (const channels of [3, 8, 13]) {
      const x = { values: randomValues(batch * points * channels, rng), shape: [batch, points, channels] };
      await expectSameOnWasmAndCpu([x], randomNeighbours(), ([t], nb) => gatherNeighbours(t!, nb));
    }
  });

  it('edgeFeatures [xᵢ, xⱼ − xᵢ]: values and gradient match gather/tile/concat on cpu', async () => {
    for (const channels of [3, 8, 13]) {
      const x = { values: randomValues(batch * points * channels, rng), shape: [batch, points, channels] };
      await expectSameOnWasmAndCpu([x], randomNeighbours(), ([t], nb) => edgeFeatures(t as tf.Tensor3D, nb));
    }
  });

  it('edgeSum centreᵢ + neighbourⱼ: values and both gradients match broadcasting ops on cpu', async () => {
    for (const channels of [4, 7]) {
      const centre = { values: randomValues(batch * points * channels, rng), shape: [batch, points, channels] };
      const neighbour = { values: randomValues(batch * points * channels, rng), shape: [batch, points, channels] };
      await expectSameOnWasmAndCpu([centre, neighbour], randomNeighbours(), ([c, n], nb) => edgeSum(c as tf.Tensor3D, n as tf.Tensor3D, nb));
    }
  });

  it('a neighbour index outside the batch is an error, not a read out of bounds', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 4, 2]);
    const bad = tf.tensor3d([[[0], [1], [2], [4]]], [1, 4, 1], 'int32');
    expect(() => gatherNeighbours(x, bad)).toThrow(/neighbour index 4 at edge 3 is outside \[0, 4\)/);
    tf.dispose([x, bad]);
  });
});

/** Passes values through unchanged but is not the identity: forces the layers' general path. */
class PassThroughQuantizer extends IdentityQuantizer {}

describe('layers that avoid building their input', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  const compare = (run: (materialize: boolean) => { value: tf.Tensor; grads: tf.Tensor[] }) => {
    const fast = run(false);
    const general = run(true);
    expectClose(fast.value.dataSync() as Float32Array, general.value.dataSync() as Float32Array, 1e-5);
    fast.grads.forEach((g, i) => expectClose(g.dataSync() as Float32Array, general.grads[i]!.dataSync() as Float32Array, 1e-4));
    tf.dispose([fast.value, general.value, ...fast.grads, ...general.grads]);
  };

  it('EdgeLinear: x·(Wa − Wb) per point + x·Wb per neighbour equals the layer on built edge features', () => {
    const layer = new EdgeLinear(5, 6, { rng: new Rng(3), bias: true });
    tf.tidy(() => layer.bias!.assign(tf.randomNormal([6])));
    const x = tf.randomNormal([2, 12, 5]) as tf.Tensor3D;
    const neighbours = knnIndices(x, 4);
    compare((materialize) => {
      layer.setInputQuantizer(materialize ? new PassThroughQuantizer() : new IdentityQuantizer());
      const f = () => tf.sum(tf.mul(layer.forwardEdges(x, neighbours), tf.range(1, 7))) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, [layer.weight.variable, layer.bias!.variable]);
      expect(layer.lastInputShape).toEqual([2, 12, 4, 10]);
      return { value, grads: Object.values(grads) };
    });
    expect(layer.macs([2, 12, 4, 10])).toBe(2 * 12 * 4 * 10 * 6);
    layer.dispose();
  });

  it('GlobalConcatLinear: split product equals the layer on [per-point, repeated per-cloud] features', () => {
    const layer = new GlobalConcatLinear(3, 4, 5, { rng: new Rng(4), bias: true });
    const perPoint = tf.randomNormal([2, 7, 3]) as tf.Tensor3D;
    const perCloud = tf.randomNormal([2, 4]) as tf.Tensor2D;
    compare((materialize) => {
      layer.setInputQuantizer(materialize ? new PassThroughQuantizer() : new IdentityQuantizer());
      const f = () => tf.sum(tf.mul(layer.forwardConcat(perPoint, perCloud), tf.range(1, 6))) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, [layer.weight.variable, layer.bias!.variable]);
      expect(layer.lastInputShape).toEqual([2, 7, 7]);
      return { value, grads: Object.values(grads) };
    });
    layer.dispose();
  });
});
