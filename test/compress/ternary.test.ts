import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { kthSmallest } from '../../src/compress/quantizers/select.ts';
import {
  sparsityTernarize,
  sparsityThreshold,
  TernarySparsity,
  Ttq,
  ttqTernarize,
  Twn,
  twnTernarize,
} from '../../src/compress/quantizers/ternary.ts';
import { expectClose, gradientOf, gradientsOf, values } from './helpers.ts';

describe('ternary quantizers', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('TWN: Δ = 0.7·mean|W|, a weight exactly at Δ becomes 0, α = mean of the kept |W|', () => {
    // mean|W| = 1.25, Δ = 0.875 exactly in float32
    const w = tf.tensor1d([0.875, -0.875, 1.625, -1.625]);
    expect(tf.mul(tf.mean(tf.abs(w)), 0.7).dataSync()[0]).toBe(0.875);
    expect(values(twnTernarize(w))).toEqual([0, 0, 1.625, -1.625]);
    // gradient α·1{|W| ≤ 1}
    expectClose(gradientOf((t) => twnTernarize(t), w, tf.tensor1d([1, 2, 3, 4])), [1.625, 3.25, 0, 0]);
  });

  it('TWN edges: all-equal weights all survive; all-zero weights stay zero (α = 0)', () => {
    expectClose(values(twnTernarize(tf.tensor1d([0.3, -0.3, 0.3]))), [0.3, -0.3, 0.3]);
    expect(values(twnTernarize(tf.zeros([4])))).toEqual([0, 0, 0, 0]);
    // gradient α·1{|W| ≤ 1} with α = 0
    expect(gradientOf((t) => twnTernarize(t), tf.zeros([2]))).toEqual([0, 0]);
  });

  it('TWN per output channel', () => {
    const w = tf.tensor2d([
      [1, 0.5],
      [-3, 0.5],
    ]);
    // channel 0: mean 2, Δ 1.4, keeps −3 → α 3; channel 1: mean 0.5, Δ 0.35, keeps both → α 0.5
    expectClose(values(twnTernarize(w, { granularity: 'channel' })), [0, 0.5, -3, 0.5]);
    expect(new Twn({ granularity: 'channel' }).storedScalars([2, 2])).toBe(2);
  });

  it('target sparsity: Δ = the (k+1)-th smallest |W|, exactly s zeros without ties, never more with ties', () => {
    const w = tf.tensor1d([0.1, -0.4, 0.2, 0.3, -0.5, 0.6]);
    expect(sparsityThreshold(w.dataSync(), 0.5)).toBeCloseTo(0.4, 6);
    // kept: −0.4, −0.5, 0.6 → α = 0.5; a weight exactly at Δ (0.4) is kept
    expectClose(values(sparsityTernarize(w, 0.5)), [0, -0.5, 0, 0, -0.5, 0.5]);
    expectClose(gradientOf((t) => sparsityTernarize(t, 0.5), w), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    // ties: all equal → nothing below Δ → no zeros
    expectClose(values(sparsityTernarize(tf.fill([4], 0.2), 0.5)), [0.2, 0.2, 0.2, 0.2]);
    expect(values(sparsityTernarize(w, 0))).toEqual(values(tf.mul(tf.sign(w), 0.35)).map((v) => Math.fround(v)));
    expect(values(sparsityTernarize(w, 0.999))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(values(sparsityTernarize(tf.zeros([4]), 0.5))).toEqual([0, 0, 0, 0]);
    const quantizer = new TernarySparsity({ sparsity: 0.5 });
    expect(values(quantizer.quantize(w)).filter((v) => v === 0)).toHaveLength(3);
  });

  it('quickselect agrees with sorting', () => {
    const data = Array.from({ length: 1001 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const sorted = [...data].sort((a, b) => a - b);
    for (const k of [0, 1, 500, 999, 1000]) expect(kthSmallest(data, k)).toBe(sorted[k]);
    expect(kthSmallest([2, 2, 2, 1], 1)).toBe(2);
  });

  it('TTQ: Δ = t·max|W| (exactly at Δ → 0), values Wp / −Wn, the paper’s gradients', () => {
    const w = tf.tensor1d([0.05, -0.05, 1, -2, 0.5, 0.1]);
    const wp = tf.scalar(2);
    const wn = tf.scalar(3);
    expect(values(ttqTernarize(w, wp, wn, 0.05))).toEqual([0, 0, 2, -3, 2, 0]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6]);
    const [dw, dwp, dwn] = gradientsOf((x, p, n) => ttqTernarize(x!, p!, n!, 0.05), [w, wp, wn], dy);
    // latent: Wp·dy on I_p, Wn·dy on I_n, dy in between
    expect(dw).toEqual([1, 2, 6, 12, 10, 6]);
    expect(dwp).toEqual([8]); // Σ over I_p of dy: 3 + 5
    expect(dwn).toEqual([-4]); // −Σ over I_n of dy (q = −Wn there)
  });

  it('TTQ quantizer: scales initialized from the weights, learned through variableGrads', () => {
    const quantizer = new Ttq({ threshold: 0.05 });
    const w = tf.variable(tf.tensor1d([0.05, -0.05, 1, -2, 0.5, 0.1]));
    quantizer.initialize(w);
    expect(quantizer.initialized).toBe(true);
    expect(values(quantizer.positiveScale.variable)).toEqual([0.75]);
    expect(values(quantizer.negativeScale.variable)).toEqual([2]);
    const { grads } = tf.variableGrads(() => tf.sum(quantizer.quantize(w)) as tf.Scalar, [
      w,
      quantizer.positiveScale.variable,
      quantizer.negativeScale.variable,
    ]);
    expect(values(grads[quantizer.positiveScale.variable.name]!)).toEqual([2]);
    expect(values(grads[quantizer.negativeScale.variable.name]!)).toEqual([-1]);
    expect(quantizer.storedScalars()).toBe(2);
    // all-zero weights: nothing above Δ = 0, the scales fall back to 1
    const zero = new Ttq();
    zero.initialize(tf.zeros([3]));
    expect(values(zero.quantize(tf.zeros([3])))).toEqual([0, 0, 0]);
    expect(values(zero.positiveScale.variable)).toEqual([1]);
  });
});
