import * as tf from '@tensorflow/tfjs-core';
import { EDGE_SUM_KERNEL } from '../../backend/kernels/neighbours.ts';
import { gatherNeighbours } from './gather-neighbours.ts';

/**
 * centre[i] + neighbour[j] for every edge (i, j): centre and neighbour [B, N, C], flat neighbour
 * rows [B, N, k] → [B, N, k, C].
 *
 * This is how a linear layer on DGCNN's edge features is computed without building them:
 * [xᵢ, xⱼ − xᵢ]·[Wa; Wb] = xᵢ·(Wa − Wb) + xⱼ·Wb, so both products are per point (k times fewer
 * rows) and only their sum is per edge.
 *
 *   const y = edgeSum(matMul(x, Wa − Wb), matMul(x, Wb), neighbours);   // = edgeFeatures(x, nb)·W
 */
export function edgeSum(centre: tf.Tensor3D, neighbour: tf.Tensor3D, neighbours: tf.Tensor3D): tf.Tensor4D {
  if (tf.getKernel(EDGE_SUM_KERNEL, tf.getBackend())) {
    return tf.engine().runKernel(EDGE_SUM_KERNEL, { centre, neighbour, indices: neighbours }, { shape: [] } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.tidy(() => tf.add(tf.expandDims(centre, 2), gatherNeighbours(neighbour, neighbours)) as tf.Tensor4D);
}
