import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.ts';
import { entropyMaximizingOffset } from '../ops/entropy-maximizing-offset.ts';
import { maxSharedTies } from '../ops/max-shared-ties.ts';

/**
 * Max over the points axis: [B, N, C] → [B, C], PointNet's symmetric aggregation.
 *
 * With `entropyMaximizing` on (BiPointNet's EMA), the result is shifted by δ(N) = −Φ⁻¹(0.5^(1/N))
 * so that, for standard-normal features, the max is positive with probability ½ and a following
 * sign() keeps maximal information entropy. max(x + δ) = max(x) + δ, so the shift is applied after.
 * Tied maxima share the gradient (`maxSharedTies`): quantized features tie often.
 */
export class GlobalMaxPool extends Module {
  entropyMaximizing = false;

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 3) throw new Error(`GlobalMaxPool expects [B, N, C], got [${x.shape}]`);
    const pooled = maxSharedTies(x, 1);
    if (!this.entropyMaximizing) return pooled;
    return tf.tidy(() => tf.add(pooled, entropyMaximizingOffset(x.shape[1]!)));
  }
}
