import * as tf from '@tensorflow/tfjs-core';
import { KNN_KERNEL } from '../../backend/kernels/knn.ts';

/**
 * The k nearest neighbours of every point in feature space, DGCNN's dynamic graph:
 *
 *   const neighbours = knnIndices(features, 20);   // int32 [B, N, 20], nearest (the point itself) first
 *
 * Squared distances come from one matrix product, ‖xᵢ − xⱼ‖² = ‖xᵢ‖² − 2·xᵢ·xⱼ + ‖xⱼ‖², and the k
 * largest negated distances of each row are kept (indices only). Indices are *flat* rows b·N + j
 * of the batch viewed as [B·N, C], so one gather serves all clouds (`gatherNeighbours`).
 *
 * The graph is a constant for autodiff: no gradient flows through the choice of neighbours (as
 * in DGCNN, where top-k indices are not differentiable). On wasm this is one bitpoint kernel
 * (backend/kernels/knn.ts); elsewhere `tf.topk` on the negated distance matrix.
 */
export function knnIndices(features: tf.Tensor3D, k: number): tf.Tensor3D {
  const [batch, points] = features.shape;
  if (!Number.isInteger(k) || k < 1 || k > points) throw new RangeError(`k must be an integer in [1, ${points}] (the number of points), got ${k}`);
  return withoutGradient(() =>
    tf.tidy(() => {
      if (tf.getKernel(KNN_KERNEL, tf.getBackend())) {
        return tf.engine().runKernel(KNN_KERNEL, { x: features }, { k } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
      }
      const gram = tf.matMul(features, features, false, true);
      const squares = tf.sum(tf.square(features), -1, true);
      const negatedDistances = tf.sub(tf.sub(tf.mul(gram, 2), squares), tf.transpose(squares, [0, 2, 1]));
      const offsets = tf.reshape(tf.range(0, batch * points, points, 'int32'), [batch, 1, 1]);
      return tf.add(tf.topk(negatedDistances, k).indices, offsets) as tf.Tensor3D;
    }),
  );
}

/**
 * Runs `compute` outside gradient recording: its result is a constant to `tf.grad` and friends.
 * (A custom-gradient op with no inputs: tfjs does not record the kernels it runs inside, and a
 * node without inputs cannot lie between a variable and the loss.)
 */
export function withoutGradient<T extends tf.Tensor>(compute: () => T): T {
  return tf.customGrad(() => ({ value: compute(), gradFunc: () => [] }))() as T;
}
