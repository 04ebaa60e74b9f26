import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { LayerScaleRecovery } from '../../src/compress/output-scale.ts';
import { SteSign } from '../../src/compress/quantizers/binary.ts';
import { Conv2d } from '../../src/nn/layers/conv2d.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { Rng } from '../../src/util/rng.ts';
import { values } from './helpers.ts';

describe('quantized layer hooks', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('MACs: Linear per input row, Conv2d per output position (same and valid padding)', () => {
    expect(new Linear(3, 64, { rng: new Rng(1) }).macs([2, 1024, 3])).toBe(2 * 1024 * 3 * 64);
    expect(new Linear(256, 40, { rng: new Rng(1) }).macs([1, 256])).toBe(256 * 40);
    expect(new Conv2d(1, 8, { rng: new Rng(1), kernelSize: 3 }).macs([1, 28, 28, 1])).toBe(26 * 26 * 9 * 8);
    expect(new Conv2d(8, 16, { rng: new Rng(1), kernelSize: 3, stride: 2, padding: 'same' }).macs([2, 28, 28, 8])).toBe(2 * 14 * 14 * 9 * 8 * 16);
  });

  it('Conv2d: binary weights and inputs, LSR from the float convolution, pruned weights stay zero under sign', () => {
    const conv = new Conv2d(2, 3, { rng: new Rng(2), kernelSize: 3, bias: false });
    conv.setWeightQuantizer(new SteSign());
    conv.setInputQuantizer(new SteSign());
    const lsr = new LayerScaleRecovery();
    conv.setOutputScale(lsr);
    const mask = tf.tensor(Array.from({ length: 54 }, (_, i) => (i % 3 === 0 ? 0 : 1)), [3, 3, 2, 3]);
    conv.setMask(mask);
    // sign(0) = +1, but the layer multiplies by the mask again: pruned positions stay 0
    expect(values(conv.effectiveWeight()).filter((v, i) => i % 3 === 0 && v !== 0)).toEqual([]);
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
    const std = (t: tf.Tensor) => Math.sqrt(tf.moments(t).variance.dataSync()[0]!);
    const floatOut = tf.conv2d(x, conv.maskedWeight() as tf.Tensor4D, 1, 'valid');
    const binaryOut = tf.conv2d(tf.sign(x) as tf.Tensor4D, conv.effectiveWeight() as tf.Tensor4D, 1, 'valid');
    const y = conv.forward(x);
    expect(y.shape).toEqual([2, 4, 4, 3]);
    expect(values(lsr.scale.variable)[0]).toBeCloseTo(std(floatOut) / std(binaryOut), 4);
    expect(conv.lastInputShape).toEqual([2, 6, 6, 2]);
  });
});
