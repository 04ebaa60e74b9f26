import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN_KERNEL } from '../../backend/kernels/batch-norm.ts';

export interface BatchNormResult {
  y: tf.Tensor;
  /** Batch mean and (biased) variance per channel, for the running statistics. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Normalizes with the batch's own statistics over all axes but the last (then ReLU, if asked:
 * fused into the same kernel). Uses bitpoint's fused
 * kernel (closed-form gradient) where the backend has it, plain tfjs ops with autodiff elsewhere.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  options: { relu?: boolean } = {},
): BatchNormResult {
  const relu = options.relu ?? false;
  if (tf.getKernel(BATCH_NORM_TRAIN_KERNEL, tf.getBackend())) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL, { x, gamma, beta }, { epsilon, relu }) as tf.Tensor[];
    return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const normalized = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  const y = relu ? tf.relu(normalized) : normalized;
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
