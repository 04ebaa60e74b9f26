import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { DoReFa, dorefaActivations, dorefaWeights, Lsq, lsqQuantize, lsqRange, roundSte } from '../../src/compress/quantizers/kbit.ts';
import { createQuantizer, parseQuantizerSpec } from '../../src/compress/quantizers/registry.ts';
import { expectClose, gradientOf, gradientsOf, values } from './helpers.ts';

/** Round half to even, as tf.round and torch.round. */
function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff === 0.5) return floor % 2 === 0 ? floor : floor + 1;
  return Math.round(v);
}

describe('k-bit quantizers', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('roundSte rounds half to even with gradient 1', () => {
    expectClose(values(roundSte(tf.tensor1d([0.5, 1.5, 2.5, -0.5, 2.4]))), [0, 2, 2, 0, 2]);
    expect(gradientOf(roundSte, tf.tensor1d([0.5, 1.2]), tf.tensor1d([3, 4]))).toEqual([3, 4]);
  });

  it('DoReFa weights: tanh normalization to [0, 1], k bits, mapped to [−1, 1]; gradient through tanh and max', () => {
    const raw = [0, 0.5, -1, 2];
    const w = tf.tensor1d(raw);
    const bits = 2;
    const levels = 3;
    const t = raw.map(Math.tanh);
    const maxAbs = Math.max(...t.map(Math.abs));
    // w = 0 gives u = ½ exactly: L·u = 1.5 rounds (half to even) to 2
    const expected = t.map((ti) => (2 * roundHalfEven(levels * (ti / (2 * maxAbs) + 0.5))) / levels - 1);
    expect(expected[0]).toBeCloseTo(1 / 3, 6);
    expectClose(values(dorefaWeights(w, bits)), expected);
    const dy = [1, 2, 3, 4];
    const weighted = dy.reduce((sum, d, i) => sum + d * t[i]!, 0);
    const argmax = 3;
    const grad = t.map((ti, j) => (dy[j]! * (1 - ti * ti)) / maxAbs - (j === argmax ? (Math.sign(ti) * (1 - ti * ti) * weighted) / (maxAbs * maxAbs) : 0));
    expectClose(gradientOf((x) => dorefaWeights(x, bits), w, tf.tensor1d(dy)), grad, 4);
  });

  it('DoReFa weights edges: all-equal weights map to 1, all-zero weights to the code nearest 0', () => {
    expectClose(values(dorefaWeights(tf.fill([3], 0.2), 4)), [1, 1, 1]);
    expectClose(values(dorefaWeights(tf.zeros([3]), 2)), [1 / 3, 1 / 3, 1 / 3]);
    expect(values(dorefaWeights(tf.zeros([2]), 3)).every(Number.isFinite)).toBe(true);
    // per channel: each column normalized by its own max
    expectClose(values(dorefaWeights(tf.tensor2d([[0.1, 3], [-0.1, 3]]), 2, 'channel')), [1, 1, -1, 1]);
  });

  it('DoReFa activations: clip to [0, 1] then k bits; gradient 1 on [0, 1] (both ends included)', () => {
    const x = tf.tensor1d([-0.5, 0, 0.5, 0.9, 1, 1.5]);
    // L = 3: 0.5 → 1.5 → 2 (half to even), 0.9 → 2.7 → 3
    expectClose(values(dorefaActivations(x, 2)), [0, 0, 2 / 3, 1, 1, 1]);
    expect(gradientOf((t) => dorefaActivations(t, 2), x)).toEqual([0, 1, 1, 1, 1, 0]);
    const q = new DoReFa({ bits: 2, mode: 'activations' });
    expectClose(values(q.quantize(x)), [0, 0, 2 / 3, 1, 1, 1]);
  });

  it('LSQ ranges', () => {
    expect(lsqRange(2, 'signed')).toEqual({ negative: 2, positive: 1 });
    expect(lsqRange(4, 'symmetric')).toEqual({ negative: 7, positive: 7 });
    expect(lsqRange(8, 'unsigned')).toEqual({ negative: 0, positive: 255 });
  });

  it('LSQ: values, straight-through gradient for x and the paper’s step gradient, at the clip edges', () => {
    const x = tf.tensor1d([-2, -1, -0.75, 0, 0.2, 0.25, 0.5, 0.6]);
    const s = tf.scalar(0.5);
    const range = lsqRange(2, 'signed'); // Q_N = 2, Q_P = 1
    const g = 1 / Math.sqrt(1 * 8);
    // x/s = −4, −2, −1.5, 0, 0.4, 0.5, 1, 1.2
    expectClose(values(lsqQuantize(x, s, range, g)), [-1, -1, -1, 0, 0, 0, 0.5, 0.5]);
    const [dx, ds] = gradientsOf((a, b) => lsqQuantize(a!, b!, range, g), [x, s]);
    // x/s exactly at −Q_N or Q_P counts as clipped
    expect(dx).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
    // −Q_N, −Q_N, round−v: −0.5, 0, −0.4, −0.5, then Q_P, Q_P
    expectClose(ds!, [(-2 - 2 - 0.5 + 0 - 0.4 - 0.5 + 1 + 1) * g]);
  });

  it('LSQ per channel: one step per output channel, gradients summed per channel', () => {
    const x = tf.tensor2d([
      [0.3, 3],
      [-0.1, -5],
    ]);
    const s = tf.tensor1d([0.1, 1]);
    const range = lsqRange(3, 'signed'); // Q_N = 4, Q_P = 3
    // channel 0: v = 3, −1 → 3·0.1, −0.1; channel 1: v = 3, −5 → 3, −4
    expectClose(values(lsqQuantize(x, s, range, 1)), [0.3, 3, -0.1, -4]);
    const [, ds] = gradientsOf((a, b) => lsqQuantize(a!, b!, range, 1), [x, s]);
    // channel 0: v = 3 is at Q_P → 3; v = −1 inside → round(−1) + 1 = 0. channel 1: Q_P = 3 and −Q_N = −4
    expectClose(ds!, [3, -1]);
  });

  it('LSQ quantizer: s = 2·mean|x|/√Q_P from the weights; activations initialize on the first training batch', () => {
    const w = tf.tensor2d([
      [0.5, -1],
      [-0.5, 3],
    ]);
    const perLayer = new Lsq({ bits: 4, role: 'weights' });
    perLayer.initialize(w);
    expectClose(values(perLayer.step.variable), [(2 * 1.25) / Math.sqrt(7)]);
    const perChannel = createQuantizer({ name: 'lsq', bits: 2, perChannel: true }, { role: 'weights', channels: 2 }) as Lsq;
    perChannel.initialize(w);
    expectClose(values(perChannel.step.variable), [(2 * 0.5) / 1, (2 * 2) / 1]);
    expect(perChannel.storedScalars()).toBe(2);

    const act = new Lsq({ bits: 4, role: 'activations' });
    act.eval();
    act.quantize(tf.ones([2, 3]));
    expect(act.initialized).toBe(false); // eval mode does not initialize
    act.train();
    const batch = tf.tensor2d([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    act.quantize(batch);
    expect(act.initialized).toBe(true);
    expect(act.levels()).toEqual({ negative: 0, positive: 15 }); // 'auto' saw no negative value
    expectClose(values(act.step.variable), [(2 * 2.5) / Math.sqrt(15)]);
    // the gradient scale uses the values of one example: g = 1/√(15·3)
    const [, ds] = gradientsOf((a, b) => lsqQuantize(a!, b!, act.levels(), 1 / Math.sqrt(45)), [batch, act.step.variable]);
    const { grads } = tf.variableGrads(() => tf.sum(act.quantize(batch)) as tf.Scalar, [act.step.variable]);
    expectClose(values(grads[act.step.variable.name]!), ds!);

    const signed = new Lsq({ bits: 4, role: 'activations' });
    signed.quantize(tf.tensor1d([-1, 1]));
    expect(signed.levels()).toEqual({ negative: 8, positive: 7 });
  });

  it('LSQ per-channel activations: one step per input channel from the first batch, g over one channel of one example', () => {
    const act = createQuantizer({ name: 'lsq', bits: 3, perChannel: true }, { role: 'activations', channels: 2 }) as Lsq;
    const batch = tf.tensor3d([
      [
        [0, 4],
        [1, 8],
      ],
      [
        [2, 0],
        [3, 4],
      ],
    ]); // [examples 2, points 2, channels 2], no negative value: unsigned, Q_P = 7
    act.quantize(batch);
    expect(act.levels()).toEqual({ negative: 0, positive: 7 });
    // channel 0: mean|x| = 1.5, channel 1: 4
    expectClose(values(act.step.variable), [(2 * 1.5) / Math.sqrt(7), (2 * 4) / Math.sqrt(7)]);
    expect(act.storedScalars()).toBe(2);
    // one step covers 2 values per example (2 points × 1 channel): g = 1/√(7·2)
    const [, ds] = gradientsOf((a, b) => lsqQuantize(a!, b!, act.levels(), 1 / Math.sqrt(14)), [batch, act.step.variable]);
    const { grads } = tf.variableGrads(() => tf.sum(act.quantize(batch)) as tf.Scalar, [act.step.variable]);
    expectClose(values(grads[act.step.variable.name]!), ds!);
    expect(() => createQuantizer({ name: 'dorefa', bits: 4, perChannel: true }, { role: 'activations', path: 'rule.activations' })).toThrow(
      /rule\.activations\.perChannel.*lsq/,
    );
  });

  it("LSQ init 'max': the smallest step whose grid holds the first batch, per tensor or per channel", () => {
    const unsigned = createQuantizer({ name: 'lsq', bits: 4, init: 'max' }, { role: 'activations' }) as Lsq;
    const batch = tf.tensor2d([
      [1, 6],
      [2, 2.9],
    ]);
    unsigned.quantize(batch);
    expect(unsigned.levels()).toEqual({ negative: 0, positive: 15 });
    expectClose(values(unsigned.step.variable), [6 / 15]);
    // the largest value sits exactly on the top code: nothing of the batch is clipped
    expectClose(values(unsigned.quantize(batch)), [0.8, 6, 2, 2.8]);

    // signed: the negative side (Q_N = 8) needs the larger step here
    const signed = createQuantizer({ name: 'lsq', bits: 4, range: 'signed', init: 'max' }, { role: 'activations' }) as Lsq;
    signed.quantize(tf.tensor1d([-4, 1, 3.5]));
    expectClose(values(signed.step.variable), [Math.max(3.5 / 7, 4 / 8)]);

    const perChannel = createQuantizer({ name: 'lsq', bits: 2, perChannel: true, init: 'max', range: 'unsigned' }, { role: 'activations', channels: 2 }) as Lsq;
    perChannel.quantize(batch);
    expectClose(values(perChannel.step.variable), [2 / 3, 6 / 3]);
    // the default stays the paper's and is left out of the config, so existing hashes hold
    expect(parseQuantizerSpec({ name: 'lsq', bits: 4 }, 'activations', 'a')).toEqual({ name: 'lsq', bits: 4, range: 'auto', perChannel: false });
    expect(() => createQuantizer({ name: 'lsq', bits: 4, init: 'median' }, { role: 'weights', path: 'w' })).toThrow(/w\.init/);
  });

  it("LSQ init 'mse': the candidate step f·s_max (f = k/100) with the least squared error on the batch", () => {
    // a tight cluster far from zero plus one outlier: the best grid clips the outlier
    const raw = [3, 3.1, 3.2, 3.3, 3.05, 3.15, 3.25, 10];
    const q = createQuantizer({ name: 'lsq', bits: 2, range: 'unsigned', init: 'mse' }, { role: 'activations' }) as Lsq;
    q.quantize(tf.tensor1d(raw));
    const largest = 10 / 3;
    const error = (s: number) => raw.reduce((sum, x) => sum + (x - Math.min(Math.max(roundHalfEven(x / s), 0), 3) * s) ** 2, 0);
    let best = largest;
    for (let k = 1; k <= 100; k++) if (error((largest * k) / 100) < error(best)) best = (largest * k) / 100;
    expect(values(q.step.variable)[0]).toBeCloseTo(best, 5);
    expect(values(q.step.variable)[0]).toBeLessThan(largest);
    expect(error(values(q.step.variable)[0]!)).toBeLessThan(error(largest));

    // per channel, each channel searches on its own
    const perChannel = createQuantizer({ name: 'lsq', bits: 3, perChannel: true, init: 'mse' }, { role: 'weights', channels: 2 }) as Lsq;
    const w = tf.tensor2d([
      [1, -0.02],
      [-0.5, 0.01],
      [0.25, 0.03],
    ]);
    perChannel.initialize(w);
    const steps = values(perChannel.step.variable);
    expect(steps[1]! / steps[0]!).toBeLessThan(0.1);
  });

  it('LSQ edges: zeros quantize to 0 and an all-zero init keeps a positive step', () => {
    const q = new Lsq({ bits: 3, role: 'weights' });
    q.initialize(tf.zeros([4]));
    expect(values(q.step.variable)[0]).toBeGreaterThan(0);
    expect(values(q.quantize(tf.zeros([4])))).toEqual([0, 0, 0, 0]);
    // all-equal weights: s = 2c/√Q_P, c/s = √3/2 ≈ 0.87 rounds to 1 → every weight becomes s
    const c = new Lsq({ bits: 3, role: 'weights' });
    const equal = tf.fill([4], 0.3);
    c.initialize(equal);
    const step = values(c.step.variable)[0]!;
    expectClose(values(c.quantize(equal)), [step, step, step, step]);
  });

  it('bits outside 2…8 are rejected with the key path', () => {
    expect(() => createQuantizer({ name: 'lsq', bits: 1 }, { role: 'weights', path: 'compress.layers.0.weights' })).toThrow(
      /compress\.layers\.0\.weights\.bits/,
    );
    expect(() => new DoReFa({ bits: 9, mode: 'weights' })).toThrow(/bits/);
  });
});
