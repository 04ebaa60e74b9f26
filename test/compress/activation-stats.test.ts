import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { ActivationStats, formatActivationStats, type SignInputStats, type UniformInputStats } from '../../src/compress/activation-stats.ts';
import { SteSign } from '../../src/compress/quantizers/binary.ts';
import { Lsq } from '../../src/compress/quantizers/kbit.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { Rng } from '../../src/util/rng.ts';

describe('activation statistics of quantized inputs', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('k-bit inputs: clipping, codes in use, distinct codes and spread per channel, constant channels', () => {
    const layer = new Linear(2, 3, { rng: new Rng(1) });
    const lsq = new Lsq({ bits: 2, role: 'activations', range: 'unsigned' }); // codes 0…3
    lsq.step.assign(tf.scalar(0.5));
    layer.setInputQuantizer(lsq);
    layer.eval();
    const stats = new ActivationStats({ weightLayers: () => [['fc', layer]] });
    // x / step: channel 0 → 0, 1, 2, 5 (clipped high); channel 1 → −1 (clipped low), 0.8, 1.2, 1
    layer.forward(
      tf.tensor3d([
        [
          [0, -0.5],
          [0.5, 0.4],
        ],
        [
          [1, 0.6],
          [2.5, 0.5],
        ],
      ]),
    );
    const [s] = stats.finish() as UniformInputStats[];
    expect(s).toMatchObject({ layer: 'fc', kind: 'uniform', quantizer: 'lsq', bits: 2, step: 0.5, codes: [0, 3], values: 8, channels: 2 });
    expect(s!.clippedLow).toBe(1 / 8);
    expect(s!.clippedHigh).toBe(1 / 8);
    // channel 0 uses codes 0, 1, 2, 3; channel 1 uses 0 and 1
    expect(s!.codesUsed).toBe(4);
    expect(s!.codesPerChannel).toBe(3);
    expect(s!.constantChannels).toBe(0);
    const std = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length - (v.reduce((a, x) => a + x, 0) / v.length) ** 2);
    expect(s!.channelStdInSteps).toBeCloseTo((std([0, 1, 2, 5]) + std([-1, 0.8, 1.2, 1])) / 2, 5);
    // the hook is gone after finish
    expect(layer.inputObserver).toBeNull();
    expect(formatActivationStats([s!])).toMatch(/fc\s+lsq 2b\s+0\.5000\s+4\/4\s+3\.00/);
  });

  it('values exactly halfway between two codes are counted at the even code, as the quantizer rounds them', () => {
    const layer = new Linear(2, 3, { rng: new Rng(1) });
    const lsq = new Lsq({ bits: 2, role: 'activations', range: 'unsigned' });
    lsq.step.assign(tf.scalar(0.5));
    layer.setInputQuantizer(lsq);
    layer.eval();
    // x / step: 0.5, 1.5 (channel 0) and 2.5, −0.5 (channel 1)
    const x = tf.tensor3d([[[0.25, 1.25], [0.75, -0.25]]]);
    const quantized = Array.from(tf.div(lsq.quantize(x), 0.5).dataSync(), (v) => v + 0); // −0 → 0
    expect(quantized).toEqual([0, 2, 2, 0]);
    const stats = new ActivationStats({ weightLayers: () => [['fc', layer]] });
    layer.forward(x);
    const [s] = stats.finish() as UniformInputStats[];
    // codes 0 and 2 in use (rounding halves up would give 1, 2 and 3); channel 0 uses 0 and 2, channel 1 uses 2 and 0
    expect(s!.codesUsed).toBe(2);
    expect(s!.codesPerChannel).toBe(2);
  });

  it('sign inputs: share of +1 (0 counts as +1), entropy per channel, constant channels', () => {
    const layer = new Linear(3, 1, { rng: new Rng(1) });
    layer.setInputQuantizer(new SteSign());
    const stats = new ActivationStats({ weightLayers: () => [['fc', layer]] });
    // channel 0 always +1 (0 included), channel 1 half +1, channel 2 one of four
    layer.forward(
      tf.tensor2d([
        [0, 1, -1],
        [2, -1, -1],
        [1, 1, 3],
        [3, -2, -1],
      ]),
    );
    const [s] = stats.finish() as SignInputStats[];
    expect(s).toMatchObject({ kind: 'sign', quantizer: 'ste_sign', values: 12, channels: 3, constantChannels: 1 });
    expect(s!.positive).toBeCloseTo(7 / 12, 12);
    const h = (p: number) => -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
    expect(s!.entropyBits).toBeCloseTo((0 + 1 + h(0.25)) / 3, 12);
  });

  it('float inputs are not reported', () => {
    const layer = new Linear(2, 2, { rng: new Rng(1) });
    const stats = new ActivationStats({ weightLayers: () => [['fc', layer]] });
    layer.forward(tf.ones([1, 2]));
    expect(stats.finish()).toEqual([]);
    expect(formatActivationStats([])).toBe('no quantized inputs');
  });
});
