import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { batchNormTraining } from '../../src/nn/ops/batch-norm-training.ts';
import { simdKernelsFor } from '../../src/backend/simd/simd-kernels.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * Every kernel bitpoint replaces or adds on wasm is checked against the plain `cpu` backend (where
 * bitpoint installs nothing in this file): same forward values, same gradients, on random inputs
 * with odd shapes.
 */
type Inputs = Array<{ shape: number[]; values: Float32Array; dtype?: 'float32' | 'int32' }>;

function random(shape: number[], rng: Rng, options: { integers?: boolean; offset?: number } = {}): Inputs[number] {
  const size = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = options.integers ? rng.int(5) : rng.normal() + (options.offset ?? 0);
  return { shape, values };
}

/** Forward outputs and gradients of sum(output · weights) w.r.t. the float inputs, on a backend. */
async function evaluate(
  backend: 'wasm' | 'cpu',
  inputs: Inputs,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  differentiable: boolean[] = inputs.map((i) => i.dtype !== 'int32'),
): Promise<{ value: Float32Array; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors = inputs.map((i) => tf.tensor(i.dtype === 'int32' ? Int32Array.from(i.values) : i.values, i.shape, i.dtype ?? 'float32'));
    const value = f(...tensors);
    // A fixed, non-uniform upstream gradient so that every output element matters differently.
    const weights = tf.add(tf.mul(tf.range(0, value.size, 1, 'float32'), 0.37).reshape(value.shape).sin(), 1.5);
    const wrt = tensors.filter((_, i) => differentiable[i]);
    const gradsFn = tf.grads((...xs: tf.Tensor[]) => {
      const all = tensors.map((t, i) => (differentiable[i] ? xs[wrt.indexOf(t)]! : t));
      return tf.sum(tf.mul(f(...all), weights));
    });
    const grads = gradsFn(wrt);
    return { value: value.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

async function expectSameOnWasmAndCpu(inputs: Inputs, f: (...xs: tf.Tensor[]) => tf.Tensor, tolerance = 1e-4): Promise<void> {
  const wasm = await evaluate('wasm', inputs, f);
  const cpu = await evaluate('cpu', inputs, f);
  expect(wasm.value.length).toBe(cpu.value.length);
  expectClose(wasm.value, cpu.value, tolerance);
  expect(wasm.grads.length).toBe(cpu.grads.length);
  wasm.grads.forEach((g, i) => expectClose(g, cpu.grads[i]!, tolerance));
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    worst = Math.max(worst, error);
  }
  expect(worst).toBeLessThan(tolerance);
}

describe('wasm kernel fixes against the cpu backend', () => {
  const rng = new Rng(99);

  beforeAll(async () => {
    const info = await useBackend('wasm');
    expect(info.name).toBe('wasm');
    // The SIMD kernels must load on this machine, or the tests below would only test the JS fallback.
    expect(simdKernelsFor(tf.backend())).not.toBeNull();
    expect(info.kernelFixes).toEqual(expect.arrayContaining(['BatchMatMul', 'Sum', 'Max', 'MaxGrad', 'UnsortedSegmentSum', 'Conv2DBackpropFilter']));
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matMul 2-D with transposeA=%s transposeB=%s', async (ta, tb) => {
    const a = random(ta ? [13, 7] : [7, 13], rng);
    const b = random(tb ? [5, 13] : [13, 5], rng);
    await expectSameOnWasmAndCpu([a, b], (x, y) => tf.matMul(x!, y!, ta, tb));
  });

  it('computes Aᵀ·B with the wider B as (Bᵀ·A)ᵀ: the same values, forward and backward', async () => {
    // the weight gradient of a widening layer, Xᵀ·dY, at odd sizes, 2-D and as a batch of one
    for (const [k, m, n] of [[37, 5, 11], [130, 3, 64], [9, 1, 2]] as const) {
      const a = random([k, m], rng);
      const b = random([k, n], rng);
      await expectSameOnWasmAndCpu([a, b], (x, y) => tf.matMul(x!, y!, true, false));
      await expectSameOnWasmAndCpu([{ ...a, shape: [1, k, m] }, { ...b, shape: [1, k, n] }], (x, y) => tf.matMul(x!, y!, true, false));
      // against the product it replaces (explicit transpose, then XNNPACK) on wasm itself
      await tf.setBackend('wasm');
      const [turned, plain, shape] = tf.tidy(() => {
        const x = tf.tensor(a.values, [1, k, m]);
        const y = tf.tensor(b.values, [1, k, n]);
        const product = tf.matMul(x, y, true, false);
        return [product.dataSync() as Float32Array, tf.matMul(tf.transpose(x, [0, 2, 1]), y).dataSync() as Float32Array, product.shape];
      });
      expect(shape).toEqual([1, m, n]);
      expectClose(turned, plain, 1e-6);
    }
  });

  it('batched matMul with and without a broadcast batch', async () => {
    await expectSameOnWasmAndCpu([random([3, 9, 4], rng), random([3, 4, 6], rng)], (x, y) => tf.matMul(x!, y!));
    await expectSameOnWasmAndCpu([random([3, 9, 4], rng), random([3, 6, 4], rng)], (x, y) => tf.matMul(x!, y!, false, true));
    // tfjs's own matMul gradient does not reduce a broadcast batch axis, so this case checks values only.
    const a = random([3, 9, 4], rng);
    const b = random([1, 4, 6], rng);
    const forward = async (backend: 'wasm' | 'cpu') => {
      await tf.setBackend(backend);
      return tf.tidy(() => tf.matMul(tf.tensor(a.values, a.shape), tf.tensor(b.values, b.shape)).dataSync() as Float32Array);
    };
    expectClose(await forward('wasm'), await forward('cpu'), 1e-5);
  });

  it('sum and mean over leading and middle axes', async () => {
    const x = random([5, 11, 7], rng);
    await expectSameOnWasmAndCpu([x], (t) => tf.sum(t!, 0));
    await expectSameOnWasmAndCpu([x], (t) => tf.sum(t!, [0, 1]));
    await expectSameOnWasmAndCpu([x], (t) => tf.mean(t!, 1, true));
    await expectSameOnWasmAndCpu([x], (t) => tf.sum(t!, -1));
  });

  it('max over points, with ties, and its gradient', async () => {
    // Small integers make many ties: every tied element must receive the gradient, as on cpu.
    await expectSameOnWasmAndCpu([random([3, 17, 5], rng, { integers: true })], (t) => tf.max(t!, 1));
    await expectSameOnWasmAndCpu([random([2, 33, 9], rng)], (t) => tf.max(t!, 1, true));
  });

  it('training batch norm (forward, batch statistics and gradients) matches tfjs ops', async () => {
    const x = random([3, 19, 6], rng, { offset: 4 });
    const gamma = random([6], rng);
    const beta = random([6], rng);
    const f = (t: tf.Tensor | undefined, g: tf.Tensor | undefined, b: tf.Tensor | undefined) =>
      batchNormTraining(t!, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y;
    await expectSameOnWasmAndCpu([x, gamma, beta], f, 2e-4);
    // Fused with the ReLU that follows (the gradient is masked by the output), channels not a multiple of 4
    const odd = random([2, 23, 7], rng, { offset: -0.3 });
    const fused = (t: tf.Tensor | undefined, g: tf.Tensor | undefined, b: tf.Tensor | undefined) =>
      batchNormTraining(t!, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, { relu: true }).y;
    await expectSameOnWasmAndCpu([odd, random([7], rng), random([7], rng)], fused, 2e-4);
    const stats = async (backend: 'wasm' | 'cpu') => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const r = batchNormTraining(tf.tensor(x.values, x.shape), tf.tensor1d(gamma.values), tf.tensor1d(beta.values), 1e-5);
        return [r.mean.dataSync() as Float32Array, r.variance.dataSync() as Float32Array];
      });
    };
    const [wasmStats, cpuStats] = [await stats('wasm'), await stats('cpu')];
    expectClose(wasmStats[0]!, cpuStats[0]!, 1e-5);
    expectClose(wasmStats[1]!, cpuStats[1]!, 1e-4);
  });

  it('gather has a gradient (UnsortedSegmentSum), including repeated indices', async () => {
    const indices = { shape: [2, 7], values: Float32Array.from([0, 3, 3, 9, 1, 0, 9, 2, 2, 2, 4, 5, 6, 7]), dtype: 'int32' as const };
    await expectSameOnWasmAndCpu([random([10, 5], rng), indices], (x, i) => tf.gather(x!, i!));
    await expectSameOnWasmAndCpu([random([3, 10, 4], rng), indices], (x, i) => tf.gather(x!, i!, 1));
  });

  it.each([
    [1, 'valid'],
    [1, 'same'],
    [2, 'same'],
  ] as const)('conv2d trains: filter gradient with stride %s, padding %s', async (stride, padding) => {
    await expectSameOnWasmAndCpu([random([2, 9, 8, 3], rng), random([3, 3, 3, 5], rng)], (x, w) =>
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, padding),
    );
  });
});
