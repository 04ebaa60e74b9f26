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
export abstract class Quantizer extends Module {
  /** Short registry name, e.g. 'identity', 'ste_sign', 'twn', 'lsq'. */
  abstract readonly kind: string;
  /** Bits per value when stored packed (32 for full precision). */
  abstract readonly bits: number;
  /** The quantized value, differentiable through its straight-through estimator. */
  abstract quantize(x: tf.Tensor): tf.Tensor;
  /** Plain-data description for configs, summaries and the packed export. */
  describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits };
  }
}

export class IdentityQuantizer extends Quantizer {
  readonly kind = 'identity';
  readonly bits = 32;
  quantize(x: tf.Tensor): tf.Tensor {
    return x;
  }
}
