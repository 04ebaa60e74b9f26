import * as tf from '@tensorflow/tfjs-core';
import { GATHER_NEIGHBOURS_KERNEL } from '../../backend/kernels/neighbours.ts';

/**
 * The features of every point's neighbours: x [B, N, C] and flat neighbour rows [B, N, k]
 * (values b·N + j, as `knnIndices` returns them) give [B, N, k, C].
 *
 *   const neighbours = knnIndices(x, 20);             // [B, N, 20]
 *   const xj = gatherNeighbours(x, neighbours);       // [B, N, 20, C]
 *
 * Differentiable in x: the backward pass adds each edge's gradient into the row it came from.
 * Uses bitpoint's kernel where the backend has it (one pass each way); elsewhere one `tf.gather`
 * over [B·N, C].
 */
export function gatherNeighbours(x: tf.Tensor, neighbours: tf.Tensor): tf.Tensor {
  if (neighbours.dtype !== 'int32') throw new Error(`neighbour indices must be int32, got ${neighbours.dtype}`);
  const channels = x.shape[x.rank - 1]!;
  if (tf.getKernel(GATHER_NEIGHBOURS_KERNEL, tf.getBackend())) {
    return tf.engine().runKernel(GATHER_NEIGHBOURS_KERNEL, { x, indices: neighbours }, { shape: [] } as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  return tf.tidy(() => tf.reshape(tf.gather(tf.reshape(x, [-1, channels]), tf.reshape(neighbours, [-1])), [...neighbours.shape, channels]));
}
