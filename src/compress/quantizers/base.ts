import * as tf from '@tensorflow/tfjs-core';
import { Parameter } from '../../nn/parameter.ts';
import { Quantizer } from '../../nn/quantizer.ts';

/**
 * What every bitpoint quantizer adds to `Quantizer`: a data-dependent initialization (LSQ's step,
 * TTQ's scales) and the number of float32 values it stores next to the codes (for the summary and
 * the packed export).
 *
 * Initialization happens either explicitly (`initialize(weights)`, which the policy calls for weight
 * quantizers) or lazily on the first call to `quantize` in training mode (activation quantizers see
 * their first training batch). Whether it happened is a state parameter (`initialized`), so it
 * travels with checkpoints and a resumed run does not initialize twice.
 */
export abstract class CompressQuantizer extends Quantizer {
  private initializedFlag: Parameter | null = null;

  /** True if this quantizer has data-dependent state to initialize. */
  protected get needsInitialization(): boolean {
    return this.initializedFlag !== null;
  }

  /** Subclasses with data-dependent state call this in their constructor. */
  protected trackInitialization(): void {
    this.initializedFlag = this.addParameter('initialized', new Parameter('initialized', tf.scalar(0), false));
  }

  get initialized(): boolean {
    return this.initializedFlag === null || this.initializedFlag.variable.dataSync()[0] === 1;
  }

  /** Sets the data-dependent state from `x` (weights, or a batch of activations). */
  initialize(x: tf.Tensor): void {
    if (!this.initializedFlag) return;
    tf.tidy(() => this.initializeFrom(x));
    this.initializedFlag.assign(tf.scalar(1));
  }

  /** Called by `quantize` implementations: initializes on the first training call. */
  protected initializeIfNeeded(x: tf.Tensor): void {
    if (this.initializedFlag && this.training && !this.initialized) this.initialize(x);
  }

  protected initializeFrom(_x: tf.Tensor): void {}

  /** Float32 values stored with the codes of a weight tensor of this shape (scales, steps). */
  storedScalars(_shape: readonly number[]): number {
    return 0;
  }
}

/** All axes but the last (output channels are last in bitpoint's weight layout). */
export function allButLastAxis(rank: number): number[] {
  return Array.from({ length: Math.max(rank - 1, 0) }, (_, i) => i);
}

/** Mean |x| over the whole tensor ('layer') or per output channel ('channel', shape [out]). */
export function meanAbs(x: tf.Tensor, granularity: 'layer' | 'channel'): tf.Tensor {
  return granularity === 'channel' && x.rank > 1 ? tf.mean(tf.abs(x), allButLastAxis(x.rank)) : tf.mean(tf.abs(x));
}

/** sign with sign(0) = +1: the two values a binary code can hold (tf.sign gives 0 at 0). */
export function signNonzero(x: tf.Tensor): tf.Tensor {
  return tf.sign(tf.add(tf.sign(x), 0.5));
}

/** 1 where |x| ≤ clip, else 0 (float): the clipped straight-through estimator's pass band. */
export function passBand(x: tf.Tensor, clip: number): tf.Tensor {
  return tf.cast(tf.lessEqual(tf.abs(x), clip), 'float32');
}

/** Sums a gradient of x's shape down to the shape of a per-layer (scalar) or per-channel ([out]) value. */
export function reduceToShape(gradient: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (shape.length === 0) return tf.sum(gradient);
  return tf.reshape(tf.sum(gradient, allButLastAxis(gradient.rank)), shape as number[]);
}

export type GradientFunction = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/**
 * `tf.customGrad` with typed inputs: `f(save, ...inputs)` returns the value and the gradient
 * function (one gradient per input, in order).
 */
export function customGradient<Inputs extends tf.Tensor[]>(
  f: (save: tf.GradSaveFunc, ...inputs: Inputs) => { value: tf.Tensor; gradFunc: GradientFunction },
): (...inputs: Inputs) => tf.Tensor {
  const op = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return f(save, ...(args.slice(0, -1) as Inputs));
  }) as Parameters<typeof tf.customGrad>[0]);
  return (...inputs: Inputs) => op(...inputs);
}
