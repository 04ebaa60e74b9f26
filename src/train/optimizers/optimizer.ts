import type * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '../../nn/parameter.ts';

/**
 * What the trainer knows about an optimizer: apply one update, and save/restore its state for a
 * checkpoint. Implementations keep their per-parameter state (moments, velocities) as tf
 * variables updated in place, so a step allocates nothing that outlives it.
 */
export interface Optimizer {
  /** 'adam', 'adamw' or 'sgd'; also recorded in the state so it is not restored into another kind. */
  readonly name: string;
  /**
   * Applies one update. `grads` maps parameter path → gradient (owned by the caller, not disposed).
   * Parameters without a gradient, and non-trainable ones, are left alone.
   */
  step(params: Parameter[], grads: Map<string, tf.Tensor>, learningRate: number): void;
  /** A copy of the optimizer state as plain arrays (for checkpoints), keyed by parameter path. */
  getState(): OptimizerState;
  /** Replaces the whole state (e.g. from a checkpoint); parameters not in it start fresh. */
  setState(state: OptimizerState): void;
  /** Releases the state tensors. */
  dispose(): void;
}

export interface SlotValues {
  shape: number[];
  data: Float32Array;
}

/** One parameter's optimizer state: counters (Adam's `step`) and tensors (`m`, `v`, `velocity`). */
export interface ParameterOptimizerState {
  scalars: Record<string, number>;
  slots: Record<string, SlotValues>;
}

export interface OptimizerState {
  /** The optimizer that wrote it. */
  name: string;
  /** Parameter path → its state. */
  parameters: Map<string, ParameterOptimizerState>;
}
