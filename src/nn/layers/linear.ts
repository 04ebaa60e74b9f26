import * as tf from '@tensorflow/tfjs-core';
import { initialTensor, type InitializerSpec } from '../init/index.ts';
import type { Rng } from '../../util/rng.ts';
import { QuantizedLayer } from './quantized-layer.ts';

export interface LinearOptions {
  rng: Rng;
  bias?: boolean;
  init?: InitializerSpec;
}

/**
 * y = x·W + b over the last axis, for inputs of any rank: [B, C] (a dense layer) or [B, N, C]
 * (PointNet's shared MLP: the same weights applied to every point, i.e. a 1×1 convolution).
 * Leading axes are flattened into one so the product is a single 2-D matMul, the case the wasm
 * backend sends to XNNPACK.
 */
export class Linear extends QuantizedLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions) {
    const fans = { fanIn: inFeatures, fanOut: outFeatures };
    const weight = initialTensor(options.init ?? 'glorot_uniform', [inFeatures, outFeatures], fans, options.rng);
    super(weight, options.bias === false ? null : tf.zeros([outFeatures]));
    weight.dispose();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
  }

  get fanIn(): number {
    return this.inFeatures;
  }

  get fanOut(): number {
    return this.outFeatures;
  }

  /** One inFeatures × outFeatures product per input row (per point for [B, N, C]). */
  macs(inputShape: readonly number[]): number {
    const rows = inputShape.slice(0, -1).reduce((product, size) => product * size, 1);
    return rows * this.inFeatures * this.outFeatures;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const inner = x.shape[x.rank - 1];
      if (inner !== this.inFeatures) throw new Error(`Linear expects ${this.inFeatures} input features, got shape [${x.shape}]`);
      const leading = x.shape.slice(0, -1);
      const flat = tf.reshape(this.quantizeInput(x), [-1, this.inFeatures]);
      let y = tf.matMul(flat, this.effectiveWeight());
      y = this.scaleOutput(y, () => tf.matMul(tf.reshape(x, [-1, this.inFeatures]), this.maskedWeight()));
      if (this.bias) y = tf.add(y, this.bias.variable);
      return tf.reshape(y, [...leading, this.outFeatures]);
    });
  }
}
