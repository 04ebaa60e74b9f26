import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import { Module } from '../../nn/module.ts';
import { Linear } from '../../nn/layers/linear.ts';
import { BatchNorm } from '../../nn/layers/batch-norm.ts';
import type { InitializerSpec } from '../../nn/init/index.ts';
import type { Rng } from '../../util/rng.ts';

export interface SharedMlpOptions {
  rng: Rng;
  init?: InitializerSpec;
  /** Activation after BN; 'none' leaves the last layer linear. */
  activation?: 'relu' | 'leaky_relu' | 'none';
  batchNorm?: boolean;
}

/**
 * Linear → BatchNorm → ReLU, repeated: PointNet's shared MLP over points (and the FC head over
 * [B, C]). Children are named `0`, `1`, … with `linear` and `bn` inside, so a policy can address
 * `encoder.0.linear` or `head.2.linear`.
 */
export class LinearBnAct extends Module {
  readonly linear: Linear;
  readonly bn: BatchNorm | null;
  readonly activation: 'relu' | 'leaky_relu' | 'none';

  constructor(inFeatures: number, outFeatures: number, options: SharedMlpOptions) {
    super();
    const batchNorm = options.batchNorm ?? true;
    // With BatchNorm right after, a bias would be cancelled by the mean subtraction.
    this.linear = this.addModule('linear', new Linear(inFeatures, outFeatures, { rng: options.rng, init: options.init, bias: !batchNorm }));
    this.bn = batchNorm ? this.addModule('bn', new BatchNorm(outFeatures)) : null;
    this.linear.outputNorm = this.bn;
    this.activation = options.activation ?? 'relu';
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tfc.tidy(() => {
      let y = this.linear.forward(x);
      if (this.bn && this.activation === 'relu') return this.bn.forward(y, { relu: true });
      if (this.bn) y = this.bn.forward(y);
      if (this.activation === 'relu') y = tfc.relu(y);
      else if (this.activation === 'leaky_relu') y = tfc.leakyRelu(y, 0.2);
      return y;
    });
  }
}

export class SharedMlp extends Module {
  readonly layers: LinearBnAct[];

  constructor(widths: number[], options: SharedMlpOptions) {
    super();
    this.layers = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      this.layers.push(this.addModule(String(i), new LinearBnAct(widths[i]!, widths[i + 1]!, options)));
    }
  }

  /** Channels of the last layer's output. */
  get outFeatures(): number {
    return this.layers[this.layers.length - 1]!.linear.outFeatures;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tfc.tidy(() => this.layers.reduce((h, layer) => layer.forward(h), x));
  }
}
