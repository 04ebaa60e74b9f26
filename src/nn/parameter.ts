import * as tf from '@tensorflow/tfjs-core';

let nextVariableId = 0;

/**
 * A named tensor owned by a module. Trainable parameters are what optimizers update; the others are
 * state that travels with the model (BatchNorm running statistics, pruning masks).
 *
 * The tfjs variable gets a process-unique name (tfjs rejects duplicates), while `path` is the
 * hierarchical name used everywhere in bitpoint (`encoder.mlp.2.weight`) and set when the
 * parameter is registered in a module tree.
 */
export class Parameter {
  readonly variable: tf.Variable;
  readonly trainable: boolean;
  /** Hierarchical name, filled in by the owning module tree; the local name until then. */
  path: string;

  constructor(localName: string, initial: tf.Tensor, trainable = true) {
    this.path = localName;
    this.trainable = trainable;
    this.variable = tf.variable(initial, trainable, `bitpoint/${localName}/${nextVariableId++}`);
  }

  get shape(): number[] {
    return this.variable.shape;
  }

  get size(): number {
    return this.variable.size;
  }

  /** Replaces the value (shape must match); the old buffer is released by tfjs. */
  assign(value: tf.Tensor): void {
    this.variable.assign(value);
  }

  dispose(): void {
    this.variable.dispose();
  }
}
