import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_TRAIN_KERNEL } from '../../backend/kernels/batch-norm.ts';
import { currentReplicaGroup } from './replica-group.ts';

export interface BatchNormResult {
  y: tf.Tensor;
  /** Batch mean and (biased) variance per channel, for the running statistics. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  /** Values per channel the statistics are over (rows of the whole batch in a data-parallel step). */
  count: number;
}

/**
 * Normalizes with the batch's own statistics over all axes but the last (then ReLU, if asked:
 * fused into the same kernel). Uses bitpoint's fused
 * kernel (closed-form gradient) where the backend has it, plain tfjs ops with autodiff elsewhere.
 * In a data-parallel step the statistics are the whole batch's (only the fused kernel does that).
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  options: { relu?: boolean } = {},
): BatchNormResult {
  const relu = options.relu ?? false;
  const rows = x.size / x.shape[x.rank - 1]!;
  const group = currentReplicaGroup();
  if (tf.getKernel(BATCH_NORM_TRAIN_KERNEL, tf.getBackend())) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL, { x, gamma, beta }, { epsilon, relu }) as tf.Tensor[];
    const count = group ? (rows / x.shape[0]!) * group.total : rows;
    return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, count };
  }
  if (group) throw new Error(`data-parallel BatchNorm needs bitpoint's fused kernel, which the '${tf.getBackend()}' backend lacks; train with workers: 0`);
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const normalized = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  const y = relu ? tf.relu(normalized) : normalized;
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, count: rows };
}
