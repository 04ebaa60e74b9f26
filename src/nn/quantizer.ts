import type * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';

/**
 * What a quantization-aware layer knows about quantization: "something that maps a tensor to its
 * quantized value", nothing more (larq's split between layers and quantizers). Implementations live
 * in `src/compress/quantizers`; the default is the identity.
 *
 * Weight tensors always keep output channels on the last axis ([in, out] for linear layers,
 * [kh, kw, in, out] for conv2d), so per-channel quantizers reduce over all axes but the last.
 * A quantizer is a Module so that learned quantizer state (LSQ step sizes, TTQ scales) are
 * ordinary named parameters: `encoder.mlp.1.weightQuantizer.step`.
 */
/**
 * The grid a quantizer puts values on, for callers that store or count quantized values (the
 * packed export, the summary): they ask the quantizer instead of switching on its kind.
 *
 *   float     values as they are (32 bits)
 *   binary    two levels ±α; α (per output channel or per layer, or 1 with 'none') is read off
 *             the quantized values by whoever stores them; `scaling` says where it comes from
 *   ternary   three levels 0, +α, −β (α = β except for TTQ), read off the quantized values
 *   uniform   value = step · u for integer units u ∈ [min, max] (2^bits levels at most); `step`
 *             holds one step per layer or one per output channel
 */
export type QuantizerGrid =
  | { kind: 'float'; bits: 32 }
  | { kind: 'binary'; bits: 1; levels: 2; scaling: 'none' | 'layer' | 'channel' }
  | { kind: 'ternary'; bits: 2; levels: 3 }
  | { kind: 'uniform'; bits: number; levels: number; step: readonly number[]; min: number; max: number };

export abstract class Quantizer extends Module {
  /** Short registry name, e.g. 'identity', 'ste_sign', 'twn', 'lsq'. */
  abstract readonly kind: string;
  /** Bits per value when stored packed (32 for full precision). */
  abstract readonly bits: number;
  /** The quantized value, differentiable through its straight-through estimator. */
  abstract quantize(x: tf.Tensor): tf.Tensor;
  /**
   * The grid of the values this quantizer outputs now (learned steps as they are), or null when
   * they lie on no fixed grid (such a quantizer cannot be packed).
   */
  grid(): QuantizerGrid | null {
    return null;
  }
  /** Plain-data description for configs, summaries and the packed export. */
  describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits };
  }
}

export class IdentityQuantizer extends Quantizer {
  readonly kind = 'identity';
  readonly bits = 32;
  override grid(): QuantizerGrid {
    return { kind: 'float', bits: 32 };
  }
  quantize(x: tf.Tensor): tf.Tensor {
    return x;
  }
}
