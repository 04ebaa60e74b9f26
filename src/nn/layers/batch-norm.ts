import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.ts';
import { Parameter } from '../parameter.ts';
import { batchNormTraining } from '../ops/batch-norm-training.ts';

export interface BatchNormOptions {
  momentum?: number;
  epsilon?: number;
}

/**
 * Batch normalization over the last (channel) axis, for [B, C], [B, N, C] and [B, H, W, C].
 * Training normalizes with batch statistics and updates running estimates
 * (running ← (1 − momentum)·running + momentum·batch, PyTorch's convention, unbiased variance);
 * evaluation uses the running estimates, so it is a per-channel affine map (foldable on export).
 */
export class BatchNorm extends Module {
  readonly channels: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly gamma: Parameter;
  readonly beta: Parameter;
  readonly runningMean: Parameter;
  readonly runningVar: Parameter;

  constructor(channels: number, options: BatchNormOptions = {}) {
    super();
    this.channels = channels;
    this.momentum = options.momentum ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-5;
    this.gamma = this.addParameter('weight', new Parameter('weight', tf.ones([channels])));
    this.beta = this.addParameter('bias', new Parameter('bias', tf.zeros([channels])));
    this.runningMean = this.addParameter('runningMean', new Parameter('runningMean', tf.zeros([channels]), false));
    this.runningVar = this.addParameter('runningVar', new Parameter('runningVar', tf.ones([channels]), false));
  }

  /** Normalizes x; with `relu`, returns relu(BN(x)) through one fused kernel in training. */
  forward(x: tf.Tensor, options: { relu?: boolean } = {}): tf.Tensor {
    const relu = options.relu ?? false;
    if (x.shape[x.rank - 1] !== this.channels) throw new Error(`BatchNorm expects ${this.channels} channels, got shape [${x.shape}]`);
    const gamma = this.gamma.variable as tf.Tensor1D;
    const beta = this.beta.variable as tf.Tensor1D;
    if (!this.training) {
      return tf.tidy(() => {
        const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.runningVar.variable, this.epsilon)));
        const y = tf.add(tf.mul(tf.sub(x, this.runningMean.variable), scale), beta);
        return relu ? tf.relu(y) : y;
      });
    }
    const { y, mean, variance, count } = batchNormTraining(x, gamma, beta, this.epsilon, { relu });
    tf.tidy(() => {
      const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean.variable, 1 - this.momentum), tf.mul(mean, this.momentum)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar.variable, 1 - this.momentum), tf.mul(unbiased, this.momentum)));
    });
    mean.dispose();
    variance.dispose();
    return y;
  }
}
