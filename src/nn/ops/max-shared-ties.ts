import * as tf from '@tensorflow/tfjs-core';
import { MAX_GRAD_KERNEL } from '../../backend/kernels/max-grad.ts';

/**
 * max over one axis whose gradient splits dy equally among tied maxima (TensorFlow's rule for
 * reduce_max; PyTorch picks one of them). tfjs gives every tied element the whole dy, which is
 * harmless for float features but multiplies the gradient by the number of ties after binary or
 * low-bit layers, whose outputs take few distinct values: the max over 1024 points is then often
 * reached by many points at once. Used for pooling over points and over neighbours.
 */
export function maxSharedTies(x: tf.Tensor, axis: number): tf.Tensor {
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.max(input, axis);
    save([input, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedY] = saved as [tf.Tensor, tf.Tensor];
        if (savedX.dtype === 'float32' && tf.getKernel(MAX_GRAD_KERNEL, tf.getBackend())) {
          return tf.engine().runKernel(MAX_GRAD_KERNEL, { x: savedX, y: savedY, dy }, { axes: [axis], shareTies: true } as unknown as tf.NamedAttrMap) as tf.Tensor;
        }
        return tf.tidy(() => {
          const ties = tf.cast(tf.equal(savedX, tf.expandDims(savedY, axis)), 'float32');
          return tf.div(tf.mul(ties, tf.expandDims(dy, axis)), tf.sum(ties, axis, true));
        });
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}
