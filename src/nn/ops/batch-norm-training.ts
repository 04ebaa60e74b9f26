import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN_KERNEL } from '../../backend/kernels/batch-norm.ts';

export interface BatchNormResult {
  y: tf.Tensor;
  /** Batch mean and (biased) variance per channel, for the running statistics. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Normalizes with the batch's own statistics over all axes but the last. Uses bitpoint's fused
 * kernel (closed-form gradient) where the backend has it, plain tfjs ops with autodiff elsewhere.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormResult {
  if (tf.getKernel(BATCH_NORM_TRAIN_KERNEL, tf.getBackend())) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
    return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
