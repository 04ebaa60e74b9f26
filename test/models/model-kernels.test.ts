import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { selectNearest } from '../../src/backend/kernels/knn.ts';
import { knnIndices } from '../../src/models/blocks/knn.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * Kernels the issue-4 models brought to wasm (LeakyReLU's gradient, the im2col convolution
 * gradients, buffer-sharing Identity, kNN on degenerate input), against the `cpu` backend.
 */
function random(shape: number[], rng: Rng): { values: Float32Array; shape: number[] } {
  return { values: Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal()), shape };
}

async function valueAndGrads(backend: 'wasm' | 'cpu', inputs: Array<{ values: Float32Array; shape: number[] }>, f: (...xs: tf.Tensor[]) => tf.Tensor) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    const value = f(...xs);
    const weights = tf.add(tf.sin(tf.reshape(tf.mul(tf.range(0, value.size, 1, 'float32'), 0.37), value.shape)), 1.5);
    const grads = tf.grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(f(...ts), weights)))(xs);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

async function expectSameOnWasmAndCpu(inputs: Array<{ values: Float32Array; shape: number[] }>, f: (...xs: tf.Tensor[]) => tf.Tensor, tolerance = 1e-4) {
  const wasm = await valueAndGrads('wasm', inputs, f);
  const cpu = await valueAndGrads('cpu', inputs, f);
  expect(wasm.length).toBe(cpu.length);
  wasm.forEach((actual, t) => {
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - cpu[t]![i]!) / Math.max(1, Math.abs(cpu[t]![i]!)));
    expect(worst).toBeLessThan(tolerance);
  });
}

describe('kernels for the issue-4 models', () => {
  const rng = new Rng(11);

  beforeAll(async () => {
    const info = await useBackend('wasm');
    expect(info.kernelFixes).toEqual(expect.arrayContaining(['LeakyReluGrad', 'Identity', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BitpointKnn', 'SplitV']));
  });

  it('LeakyReLU gradient in one pass matches tfjs, odd sizes and exact zeros included', async () => {
    const x = random([3, 7, 5], rng);
    x.values[4] = 0;
    await expectSameOnWasmAndCpu([x], (t) => tf.leakyRelu(t!, 0.2));
  });

  it.each([
    ['LeNet first layer', [3, 12, 12, 1], [5, 5, 1, 6], 1, 'valid'],
    ['LeNet second layer', [2, 8, 8, 6], [5, 5, 6, 8], 1, 'valid'],
    ['strided, padded', [2, 9, 7, 3], [3, 3, 3, 4], 2, 'same'],
  ] as const)('conv2d gradients through im2col and one matMul: %s', async (_, xShape, wShape, stride, padding) => {
    await expectSameOnWasmAndCpu([random([...xShape], rng), random([...wShape], rng)], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, padding));
  });

  it('split along any axis (the gradient of concat) matches tfjs', async () => {
    const [a, b, c] = [random([2, 5, 3], rng), random([2, 5, 4], rng), random([2, 5, 1], rng)];
    await expectSameOnWasmAndCpu([a, b, c], (x, y, z) => tf.concat([x!, y!, z!], -1));
    await expectSameOnWasmAndCpu([random([4, 6, 3], rng)], (x) => tf.concat(tf.split(x!, [1, 3, 2], 1).reverse(), 1));
    await tf.setBackend('wasm');
    const ints = tf.split(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [2, 1], 1);
    expect(ints.map((t) => t.arraySync())).toEqual([[[1, 2], [4, 5]], [[3], [6]]]);
    tf.dispose(ints);
  });

  it('Identity shares the buffer: a clone outlives its source and keeps its values', async () => {
    await tf.setBackend('wasm');
    const source = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(source);
    source.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    copy.dispose();
  });

  it('kNN with a NaN point: every row still gets k valid neighbours', async () => {
    await tf.setBackend('wasm');
    for (const channels of [3, 32]) {
      const values = random([2, 12, channels], rng).values;
      values[5 * channels] = Number.NaN;
      const rows = tf.tidy(() => knnIndices(tf.tensor3d(values, [2, 12, channels]), 4).arraySync()).flat();
      for (const [i, row] of rows.entries()) {
        const b = Math.floor(i / 12);
        expect(new Set(row).size).toBe(4);
        for (const j of row) expect(j >= b * 12 && j < (b + 1) * 12).toBe(true);
      }
    }
  });

  it('the JS selection (used without SIMD) agrees with tf.topk on negated distances', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor3d(random([2, 30, 5], rng).values, [2, 30, 5]);
    const gram = tf.matMul(x, x, false, true);
    const out = new Int32Array(2 * 30 * 6);
    selectNearest(gram.dataSync() as Float32Array, out, 2, 30, 6);
    expect(Array.from(out)).toEqual(Array.from(knnIndices(x, 6).dataSync()));
    tf.dispose([x, gram]);
    await tf.setBackend('wasm');
  });
});
