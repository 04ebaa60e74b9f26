/**
 * Binary quantizers: sign with a straight-through gradient.
 *
 *   layer.setWeightQuantizer(createQuantizer('ste_sign', { role: 'weights' }));
 *   layer.setWeightQuantizer(new SteSign({ scaling: 'channel' }));   // XNOR-Net's mean|W| per output channel
 *   layer.setInputQuantizer(new SteSign());                          // binary activations
 *
 * Forward:  q(x) = α · sign(x), with sign(0) = +1, so every value is one of two codes and packs
 *           into one bit (a zero latent weight binarizes to +α; pruned weights are kept at zero by
 *           the layer's mask, not by the quantizer).
 *           α = 1 (scaling 'none'), mean|x| over the tensor ('layer'), or mean|x| over each output
 *           channel, i.e. all axes but the last ('channel', XNOR-Net).
 * Backward: ste_sign:    ∂q/∂x = α · 1{|x| ≤ clip}          (clipped STE; gradient 0 where |x| > clip)
 *           approx_sign: ∂q/∂x = α · max(0, 2 − 2|x|)       (Bi-Real Net's piecewise polynomial)
 *           α is treated as a constant in the backward pass (larq's magnitude-aware sign does the same).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { QuantizerGrid } from '../../nn/quantizer.ts';
import { CompressQuantizer, customGradient, meanAbs, passBand, signNonzero } from './base.ts';

export type BinaryScaling = 'none' | 'layer' | 'channel';
export type BinaryGradient = 'ste' | 'approx';

export interface BinaryOptions {
  /** |x| beyond which the STE passes no gradient (ste_sign only). Default 1. */
  clipValue?: number;
  /** Scale α of the two codes. Default 'none' (±1). */
  scaling?: BinaryScaling;
  /**
   * Subtract the tensor's mean before the sign (BiPointNet's weights: balances +1 and −1 codes).
   * The gradient flows through the centring.
   */
  center?: boolean;
}

/** α · sign(x) with the chosen straight-through gradient; see the module comment for the formulas. */
export function binarize(x: tf.Tensor, options: BinaryOptions & { gradient?: BinaryGradient } = {}): tf.Tensor {
  const clipValue = options.clipValue ?? 1;
  const scaling = options.scaling ?? 'none';
  const gradient = options.gradient ?? 'ste';
  const op = customGradient((save: tf.GradSaveFunc, input: tf.Tensor) => {
    const sign = signNonzero(input);
    const alpha = scaling === 'none' ? null : meanAbs(input, scaling);
    save(alpha ? [input, alpha] : [input]);
    return {
      value: alpha ? tf.mul(sign, alpha) : sign,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedAlpha] = saved as [tf.Tensor, tf.Tensor | undefined];
        const local = gradient === 'ste' ? passBand(savedInput, clipValue) : tf.relu(tf.sub(2, tf.mul(tf.abs(savedInput), 2)));
        const grad = tf.mul(dy, local);
        return savedAlpha ? tf.mul(grad, savedAlpha) : grad;
      },
    };
  });
  return op(x);
}

/** sign(x) (sign(0) = +1) with the clipped straight-through gradient 1{|x| ≤ clipValue}. */
export function steSign(x: tf.Tensor, clipValue = 1): tf.Tensor {
  return binarize(x, { clipValue, gradient: 'ste' });
}

/** sign(x) (sign(0) = +1) with Bi-Real Net's gradient max(0, 2 − 2|x|). */
export function approxSign(x: tf.Tensor): tf.Tensor {
  return binarize(x, { gradient: 'approx' });
}

abstract class BinaryQuantizer extends CompressQuantizer {
  readonly bits = 1;
  readonly clipValue: number;
  readonly scaling: BinaryScaling;
  readonly center: boolean;
  protected abstract readonly gradient: BinaryGradient;

  constructor(options: BinaryOptions = {}) {
    super();
    this.clipValue = options.clipValue ?? 1;
    this.scaling = options.scaling ?? 'none';
    this.center = options.center ?? false;
    if (!(this.clipValue > 0)) throw new RangeError(`clipValue must be > 0, got ${this.clipValue}`);
  }

  quantize(x: tf.Tensor): tf.Tensor {
    const input = this.center ? tf.sub(x, tf.mean(x)) : x;
    return binarize(input, { clipValue: this.clipValue, scaling: this.scaling, gradient: this.gradient });
  }

  override grid(): QuantizerGrid {
    return { kind: 'binary', bits: 1, levels: 2, scaling: this.scaling };
  }

  override storedScalars(shape: readonly number[]): number {
    if (this.scaling === 'none') return 0;
    return this.scaling === 'channel' && shape.length > 1 ? shape[shape.length - 1]! : 1;
  }
}

/** larq's `ste_sign`: sign with the clipped straight-through estimator. */
export class SteSign extends BinaryQuantizer {
  readonly kind = 'ste_sign';
  protected readonly gradient = 'ste';

  override describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits, clipValue: this.clipValue, scaling: this.scaling, center: this.center };
  }
}

/** larq's `approx_sign` (Bi-Real Net): sign with the gradient of a piecewise polynomial. */
export class ApproxSign extends BinaryQuantizer {
  readonly kind = 'approx_sign';
  protected readonly gradient = 'approx';

  override describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits, scaling: this.scaling, center: this.center };
  }
}
