import * as tf from '@tensorflow/tfjs-core';
import { EDGE_FEATURES_KERNEL } from '../../backend/kernels/neighbours.ts';
import { gatherNeighbours } from './gather-neighbours.ts';

/**
 * DGCNN's edge features: for point i and each neighbour j, [xᵢ, xⱼ − xᵢ] — the point itself and
 * where its neighbour lies relative to it. x [B, N, C], flat neighbour rows [B, N, k]
 * → [B, N, k, 2C].
 *
 *   const edges = edgeFeatures(x, knnIndices(x, 20));   // [B, N, 20, 2C]
 *
 * One kernel each way where the backend has it; elsewhere gather, tile, subtract and concat.
 */
export function edgeFeatures(x: tf.Tensor3D, neighbours: tf.Tensor3D): tf.Tensor4D {
  if (tf.getKernel(EDGE_FEATURES_KERNEL, tf.getBackend())) {
    return tf.engine().runKernel(EDGE_FEATURES_KERNEL, { x, indices: neighbours }, { shape: [] } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const k = neighbours.shape[2];
    const centre = tf.tile(tf.expandDims(x, 2), [1, 1, k, 1]);
    return tf.concat([centre, tf.sub(gatherNeighbours(x, neighbours), centre)], -1) as tf.Tensor4D;
  });
}
