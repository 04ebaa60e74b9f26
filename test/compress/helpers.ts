import * as tf from '@tensorflow/tfjs-core';

/** Values of a tensor as a plain array (disposes nothing). */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Gradient of sum(f(x) · dy) with respect to x. */
export function gradientOf(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, dy?: tf.Tensor): number[] {
  return tf.tidy(() => values(tf.grad(f)(x, dy)));
}

/** Gradients of sum(f(...xs) · dy) with respect to every input. */
export function gradientsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor): number[][] {
  return tf.tidy(() => tf.grads(f)(xs, dy).map(values));
}

export function expectClose(actual: number[], expected: number[], digits = 5): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}: [${actual}] vs [${expected}]`);
  actual.forEach((value, i) => {
    if (!(Math.abs(value - expected[i]!) <= 0.5 * 10 ** -digits)) {
      throw new Error(`index ${i}: ${value} ≠ ${expected[i]} (actual [${actual}], expected [${expected}])`);
    }
  });
}
