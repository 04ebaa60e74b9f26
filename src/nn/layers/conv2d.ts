import * as tf from '@tensorflow/tfjs-core';
import { initialTensor, type InitializerSpec } from '../init/index.ts';
import type { Rng } from '../../util/rng.ts';
import { QuantizedLayer } from './quantized-layer.ts';

export interface Conv2dOptions {
  rng: Rng;
  kernelSize: number;
  stride?: number;
  padding?: 'same' | 'valid';
  bias?: boolean;
  init?: InitializerSpec;
}

/** 2-D convolution over NHWC images, weights [kh, kw, in, out] (output channels last). */
export class Conv2d extends QuantizedLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: 'same' | 'valid';

  constructor(inChannels: number, outChannels: number, options: Conv2dOptions) {
    const k = options.kernelSize;
    const fans = { fanIn: k * k * inChannels, fanOut: k * k * outChannels };
    const weight = initialTensor(options.init ?? 'glorot_uniform', [k, k, inChannels, outChannels], fans, options.rng);
    super(weight, options.bias === false ? null : tf.zeros([outChannels]));
    weight.dispose();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 'valid';
  }

  get fanIn(): number {
    return this.kernelSize * this.kernelSize * this.inChannels;
  }

  get fanOut(): number {
    return this.kernelSize * this.kernelSize * this.outChannels;
  }

  /** kh·kw·in·out per output position; input [B, H, W, C] (NHWC). */
  macs(inputShape: readonly number[]): number {
    const [batch = 1, height = 1, width = 1] = inputShape;
    const outSize = (size: number) =>
      this.padding === 'same' ? Math.ceil(size / this.stride) : Math.floor((size - this.kernelSize) / this.stride) + 1;
    const positions = batch * Math.max(0, outSize(height)) * Math.max(0, outSize(width));
    return positions * this.kernelSize * this.kernelSize * this.inChannels * this.outChannels;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const input = this.quantizeInput(x) as tf.Tensor4D;
      let y = tf.conv2d(input, this.effectiveWeight() as tf.Tensor4D, this.stride, this.padding);
      y = this.scaleOutput(y, () => tf.conv2d(x, this.maskedWeight() as tf.Tensor4D, this.stride, this.padding)) as tf.Tensor4D;
      if (this.bias) y = tf.add(y, this.bias.variable);
      return y;
    });
  }
}
