import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { ApproxSign, approxSign, binarize, SteSign, steSign } from '../../src/compress/quantizers/binary.ts';
import { createQuantizer } from '../../src/compress/quantizers/registry.ts';
import { expectClose, gradientOf, values } from './helpers.ts';

describe('binary quantizers', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  const x = () => tf.tensor1d([-2, -1, -0.5, 0, 0.25, 1, 1.5]);
  const dy = () => tf.tensor1d([1, 2, 3, 4, 5, 6, 7]);

  it('ste_sign: sign with sign(0) = +1, gradient passes where |x| ≤ 1 (boundary included)', () => {
    expect(values(steSign(x()))).toEqual([-1, -1, -1, 1, 1, 1, 1]);
    expect(gradientOf((t) => steSign(t), x(), dy())).toEqual([0, 2, 3, 4, 5, 6, 0]);
    // custom clip value
    expect(gradientOf((t) => steSign(t, 1.5), x(), dy())).toEqual([0, 2, 3, 4, 5, 6, 7]);
  });

  it('approx_sign: same values, gradient max(0, 2 − 2|x|)', () => {
    expect(values(approxSign(x()))).toEqual([-1, -1, -1, 1, 1, 1, 1]);
    // 2 − 2|x| at −0.5, 0, 0.25 is 1, 2, 1.5; exactly 0 at |x| = 1
    expect(gradientOf((t) => approxSign(t), x(), dy())).toEqual([0, 0, 3, 8, 7.5, 0, 0]);
  });

  it('per-layer scaling: α = mean|x|, gradient α·1{|x| ≤ 1}', () => {
    const alpha = (2 + 1 + 0.5 + 0 + 0.25 + 1 + 1.5) / 7;
    expectClose(values(binarize(x(), { scaling: 'layer' })), [-1, -1, -1, 1, 1, 1, 1].map((s) => s * alpha));
    expectClose(gradientOf((t) => binarize(t, { scaling: 'layer' }), x(), dy()), [0, 2, 3, 4, 5, 6, 0].map((g) => g * alpha));
  });

  it('per-channel scaling (XNOR): α = mean|W| of each output channel (last axis)', () => {
    const w = tf.tensor2d([
      [0.5, -0.1],
      [-1.5, 0.3],
    ]);
    // channel 0: mean(|0.5|, |−1.5|) = 1; channel 1: mean(0.1, 0.3) = 0.2
    expectClose(values(binarize(w, { scaling: 'channel' })), [1, -0.2, -1, 0.2]);
    const grad = gradientOf((t) => binarize(t, { scaling: 'channel' }), w, tf.ones([2, 2]));
    expectClose(grad, [1, 0.2, 0, 0.2]); // |−1.5| > 1 passes nothing
  });

  it('edges: all-zero weights binarize to +α = 0, all-equal weights to ±their magnitude', () => {
    expect(values(binarize(tf.zeros([3]), { scaling: 'layer' }))).toEqual([0, 0, 0]);
    expect(values(steSign(tf.zeros([3])))).toEqual([1, 1, 1]);
    expectClose(values(binarize(tf.fill([2, 2], -0.3), { scaling: 'channel' })), [-0.3, -0.3, -0.3, -0.3]);
    expectClose(gradientOf((t) => binarize(t, { scaling: 'layer' }), tf.fill([3], 0.3)), [0.3, 0.3, 0.3]);
  });

  it('quantizer objects: bits, stored scalars, aliases', () => {
    expect(new SteSign().bits).toBe(1);
    expect(new SteSign({ scaling: 'channel' }).storedScalars([64, 128])).toBe(128);
    expect(new SteSign({ scaling: 'layer' }).storedScalars([64, 128])).toBe(1);
    expect(new ApproxSign().storedScalars([64, 128])).toBe(0);
    const xnor = createQuantizer('magnitude_aware_sign', { role: 'weights' });
    expect(xnor.describe()).toEqual({ kind: 'ste_sign', bits: 1, clipValue: 1, scaling: 'channel', center: false });
    expect(() => createQuantizer({ name: 'ste_sign', scaling: 'layer' }, { role: 'activations', path: 'p' })).toThrow(/p\.scaling/);
    const q = new SteSign();
    expect(values(q.quantize(tf.tensor1d([-0.1, 0.1])))).toEqual([-1, 1]);
  });
});

describe('weight centring (BiPointNet)', () => {
  it('binarizes w − mean(w), and the gradient flows through the centring', () => {
    const q = new SteSign({ center: true });
    const w = tf.tensor1d([0.5, 0.2, 0.1, -0.2]);
    // mean 0.15: signs of [0.35, 0.05, −0.05, −0.35]
    expect(Array.from(q.quantize(w).dataSync())).toEqual([1, 1, -1, -1]);
    // d/dw Σ dy·sign(w − mean): STE passes dy, then the centring subtracts its mean
    const dy = tf.tensor1d([1, 0, 0, 0]);
    const grad = tf.grad((x: tf.Tensor) => q.quantize(x))(w, dy);
    expectClose(Array.from(grad.dataSync()), [0.75, -0.25, -0.25, -0.25]);
  });
});
