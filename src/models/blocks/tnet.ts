import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../../nn/module.ts';
import { GlobalMaxPool } from '../../nn/layers/global-max-pool.ts';
import { Linear } from '../../nn/layers/linear.ts';
import type { InitializerSpec } from '../../nn/init/index.ts';
import type { Rng } from '../../util/rng.ts';
import type { ProgramBuilder } from '../../deploy/program-builder.ts';
import { LinearBnAct, SharedMlp } from './shared-mlp.ts';

/**
 * PointNet's transform network: predicts a k×k matrix from the cloud (shared MLP k-64-128-1024,
 * max over points, FC 512-256-k²) and applies it to every point. The last layer starts at zero
 * weight and identity bias, so training begins from the identity transform.
 */
export class TNet extends Module {
  readonly k: number;
  readonly mlp: SharedMlp;
  /** A module, so that BiPointNet's entropy-maximizing shift can be switched on here as well. */
  readonly pool: GlobalMaxPool;
  readonly fc1: LinearBnAct;
  readonly fc2: LinearBnAct;
  readonly transform: Linear;
  /** The last predicted transform [B, k, k], kept for the orthogonality regularizer. */
  lastMatrix: tf.Tensor3D | null = null;

  constructor(k: number, options: { rng: Rng; init?: InitializerSpec }) {
    super();
    this.k = k;
    this.mlp = this.addModule('mlp', new SharedMlp([k, 64, 128, 1024], options));
    this.pool = this.addModule('pool', new GlobalMaxPool());
    this.fc1 = this.addModule('fc1', new LinearBnAct(1024, 512, options));
    this.fc2 = this.addModule('fc2', new LinearBnAct(512, 256, options));
    this.transform = this.addModule('transform', new Linear(256, k * k, { rng: options.rng, init: 'zeros' }));
    tf.tidy(() => this.transform.bias!.assign(tf.reshape(tf.eye(k), [k * k])));
  }

  /** Returns [transformed points, matrix]; x is [B, N, k]. */
  forward(x: tf.Tensor3D): { output: tf.Tensor3D; matrix: tf.Tensor3D } {
    const matrix = tf.tidy(() => {
      const global = this.pool.forward(this.mlp.forward(x));
      const features = this.fc2.forward(this.fc1.forward(global));
      return tf.reshape(this.transform.forward(features), [-1, this.k, this.k]) as tf.Tensor3D;
    });
    const output = tf.matMul(x, matrix) as tf.Tensor3D;
    return { output, matrix };
  }

  /** Shared MLP, max over points, FC, FC, the k×k matrix; then x·matrix. */
  lower(b: ProgramBuilder, name: string, input: string): string {
    const pooled = this.mlp.lower(b, `${name}.mlp`, input, { entropyMaximizing: this.pool.entropyMaximizing });
    const features = this.fc2.lower(b, `${name}.fc2`, this.fc1.lower(b, `${name}.fc1`, pooled));
    const matrix = b.dense(`${name}.transform`, this.transform, { input: features, output: `${name}.matrix` });
    b.push({ op: 'transform', input, matrix, k: this.k, output: `${name}.output` });
    return `${name}.output`;
  }
}

/** ‖I − A·Aᵀ‖²_F averaged over the batch: keeps the feature transform close to orthogonal. */
export function orthogonalityLoss(matrix: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const k = matrix.shape[1];
    const product = tf.matMul(matrix, matrix, false, true);
    const diff = tf.sub(product, tf.eye(k));
    return tf.div(tf.sum(tf.square(diff)), matrix.shape[0]) as tf.Scalar;
  });
}
