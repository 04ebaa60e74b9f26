import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.ts';
import type { Rng } from '../../util/rng.ts';
import { currentReplicaGroup } from '../ops/replica-group.ts';

/** Inverted dropout: zeroes a fraction `rate` of values in training and rescales the rest; identity in eval. */
export class Dropout extends Module {
  constructor(
    readonly rate: number,
    private rng: Rng,
  ) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  }

  /** The random stream of the masks, for checkpoints (getState/setState) and data-parallel replicas. */
  get random(): Rng {
    return this.rng;
  }

  set random(rng: Rng) {
    this.rng = rng;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.rate === 0) return x;
    const group = currentReplicaGroup();
    return tf.tidy(() => {
      // The seed comes from the run's RNG so that a resumed run drops the same units. A
      // data-parallel shard draws the whole batch's masks and keeps its rows, so each sample's
      // mask does not depend on how the batch was split.
      const seed = this.rng.seedForTf();
      const uniform = group
        ? tf.slice(tf.randomUniform([group.total, ...x.shape.slice(1)], 0, 1, 'float32', seed), group.offset, x.shape[0]!)
        : tf.randomUniform(x.shape, 0, 1, 'float32', seed);
      const keep = tf.step(tf.sub(uniform, this.rate));
      return tf.mul(x, tf.mul(keep, 1 / (1 - this.rate)));
    });
  }
}
