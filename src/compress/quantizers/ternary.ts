/**
 * Ternary quantizers: weights in {−α, 0, +α} (or {−Wn, 0, +Wp}), stored in two bits. Their zeros
 * are pruned weights too: the summary reports them as sparsity.
 *
 *   layer.setWeightQuantizer(new Twn());                         // TWN: Δ = 0.7·mean|W|
 *   layer.setWeightQuantizer(new Ttq({ threshold: 0.05 }));      // TTQ: learned Wp, Wn
 *   layer.setWeightQuantizer(new TernarySparsity({ sparsity: 0.5 }));
 *
 * TWN (Li et al. 2016), per layer or per output channel:
 *   Δ = 0.7 · mean|W|,  I = {i : |W_i| > Δ}  (a weight exactly at Δ becomes 0),
 *   α = mean of |W_i| over I (0 if I is empty),  q(W) = α · sign(W) · 1{|W| > Δ}.
 *   Backward: ∂q/∂W = α · 1{|W| ≤ clip}  (STE; α a constant, as for the scaled binary quantizers).
 *
 * Target sparsity: the same with Δ chosen so that a fraction s of the weights is zero:
 *   k = round(s·n), Δ = the (k+1)-th smallest |W|, zeros where |W| < Δ (ties at Δ are kept, so the
 *   sparsity is exactly s without ties and never above it), α = mean |W| over the kept weights.
 *   Δ is found by a selection on the weight values in JS (weights are small).
 *
 * TTQ (Zhu et al. 2017), per layer:
 *   Δ = t · max|W|,  q(W) = Wp on I_p = {W > Δ}, −Wn on I_n = {W < −Δ}, 0 elsewhere.
 *   Backward: ∂L/∂Wp = Σ_{I_p} ∂L/∂q,  ∂L/∂Wn = −Σ_{I_n} ∂L/∂q  (the chain rule of q = −Wn on I_n;
 *   the paper writes the magnitude),  ∂L/∂W = Wp·∂L/∂q on I_p, ∂L/∂q on I_0, Wn·∂L/∂q on I_n.
 *   Wp and Wn start at the mean |W| over I_p and I_n of the weights they are initialized from.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Parameter } from '../../nn/parameter.ts';
import type { QuantizerGrid } from '../../nn/quantizer.ts';
import { allButLastAxis, CompressQuantizer, customGradient, meanAbs, passBand } from './base.ts';
import { kthSmallest, magnitudes } from './select.ts';

/** Every ternary quantizer's grid: 0 and ±scale, the scales read off the quantized values. */
const TERNARY_GRID: QuantizerGrid = { kind: 'ternary', bits: 2, levels: 3 };

export type TernaryGranularity = 'layer' | 'channel';

/** Sum over the reduction axes of a granularity, keeping a shape that broadcasts against x. */
function reduceFor(x: tf.Tensor, granularity: TernaryGranularity, values: tf.Tensor): tf.Tensor {
  return granularity === 'channel' && x.rank > 1 ? tf.sum(values, allButLastAxis(x.rank)) : tf.sum(values);
}

/**
 * α · sign(x) · 1{|x| ≥ Δ (keepAtThreshold) or |x| > Δ}, α = mean |x| over the kept values;
 * gradient α · 1{|x| ≤ clip}.
 */
function ternarizeWithThreshold(
  x: tf.Tensor,
  threshold: (input: tf.Tensor) => tf.Tensor,
  options: { granularity: TernaryGranularity; clipValue: number; keepAtThreshold: boolean },
): tf.Tensor {
  const op = customGradient((save: tf.GradSaveFunc, input: tf.Tensor) => {
    const magnitude = tf.abs(input);
    const delta = threshold(input);
    const kept = options.keepAtThreshold ? tf.greaterEqual(magnitude, delta) : tf.greater(magnitude, delta);
    const keep = tf.cast(kept, 'float32');
    const count = reduceFor(input, options.granularity, keep);
    const alpha = tf.div(reduceFor(input, options.granularity, tf.mul(magnitude, keep)), tf.maximum(count, 1));
    save([input, alpha]);
    return {
      // where() rather than a product, so zeros are +0 (not −0 for negative weights)
      value: tf.where(kept, tf.mul(tf.sign(input), alpha), tf.zerosLike(input)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.mul(dy, passBand(saved[0]!, options.clipValue)), saved[1]!),
    };
  });
  return op(x);
}

/** TWN ternarization (see the module comment). */
export function twnTernarize(x: tf.Tensor, options: { granularity?: TernaryGranularity; clipValue?: number; thresholdFactor?: number } = {}): tf.Tensor {
  const granularity = options.granularity ?? 'layer';
  const factor = options.thresholdFactor ?? 0.7;
  return ternarizeWithThreshold(x, (input) => tf.mul(meanAbs(input, granularity), factor), {
    granularity,
    clipValue: options.clipValue ?? 1,
    keepAtThreshold: false,
  });
}

/** Δ such that zeroing |x| < Δ zeroes round(s·n) values when there are no ties (+∞: all zero). */
export function sparsityThreshold(values: ArrayLike<number>, sparsity: number): number {
  const n = values.length;
  const k = Math.round(sparsity * n);
  if (k <= 0) return 0;
  if (k >= n) return Number.POSITIVE_INFINITY;
  return kthSmallest(magnitudes(values), k);
}

/** Ternarization at a target sparsity (see the module comment). */
export function sparsityTernarize(x: tf.Tensor, sparsity: number, options: { clipValue?: number } = {}): tf.Tensor {
  const delta = sparsityThreshold(x.dataSync(), sparsity);
  return ternarizeWithThreshold(x, () => tf.scalar(delta), { granularity: 'layer', clipValue: options.clipValue ?? 1, keepAtThreshold: true });
}

/** TTQ ternarization with learned scales (see the module comment); wp and wn are scalars. */
export function ttqTernarize(x: tf.Tensor, positiveScale: tf.Tensor, negativeScale: tf.Tensor, thresholdFactor = 0.05): tf.Tensor {
  const op = customGradient((save: tf.GradSaveFunc, input: tf.Tensor, wp: tf.Tensor, wn: tf.Tensor) => {
    const delta = tf.mul(tf.max(tf.abs(input)), thresholdFactor);
    const positive = tf.cast(tf.greater(input, delta), 'float32');
    const negative = tf.cast(tf.less(input, tf.neg(delta)), 'float32');
    save([positive, negative, wp, wn]);
    return {
      value: tf.sub(tf.mul(positive, wp), tf.mul(negative, wn)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [pos, neg, savedWp, savedWn] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const middle = tf.sub(tf.sub(1, pos), neg);
        const dx = tf.mul(dy, tf.add(tf.add(tf.mul(pos, savedWp), tf.mul(neg, savedWn)), middle));
        const dwp = tf.reshape(tf.sum(tf.mul(dy, pos)), savedWp.shape);
        const dwn = tf.reshape(tf.neg(tf.sum(tf.mul(dy, neg))), savedWn.shape);
        return [dx, dwp, dwn];
      },
    };
  });
  return op(x, positiveScale, negativeScale);
}

export interface TwnOptions {
  granularity?: TernaryGranularity;
  clipValue?: number;
}

/** Ternary weight networks: Δ = 0.7·mean|W|, α = mean of the kept |W|. */
export class Twn extends CompressQuantizer {
  readonly kind = 'twn';
  readonly bits = 2;
  override grid(): QuantizerGrid {
    return TERNARY_GRID;
  }
  readonly granularity: TernaryGranularity;
  readonly clipValue: number;

  constructor(options: TwnOptions = {}) {
    super();
    this.granularity = options.granularity ?? 'layer';
    this.clipValue = options.clipValue ?? 1;
  }

  quantize(x: tf.Tensor): tf.Tensor {
    return twnTernarize(x, { granularity: this.granularity, clipValue: this.clipValue });
  }

  override storedScalars(shape: readonly number[]): number {
    return this.granularity === 'channel' && shape.length > 1 ? shape[shape.length - 1]! : 1;
  }

  override describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits, granularity: this.granularity, clipValue: this.clipValue };
  }
}

export interface TernarySparsityOptions {
  /** Fraction of weights that become zero, in [0, 1). */
  sparsity: number;
  clipValue?: number;
}

/** Ternary at a target sparsity: the threshold is the sparsity-quantile of |W|. */
export class TernarySparsity extends CompressQuantizer {
  readonly kind = 'ternary_sparsity';
  readonly bits = 2;
  override grid(): QuantizerGrid {
    return TERNARY_GRID;
  }
  readonly sparsity: number;
  readonly clipValue: number;

  constructor(options: TernarySparsityOptions) {
    super();
    if (!(options.sparsity >= 0 && options.sparsity < 1)) throw new RangeError(`sparsity must be in [0, 1), got ${options.sparsity}`);
    this.sparsity = options.sparsity;
    this.clipValue = options.clipValue ?? 1;
  }

  quantize(x: tf.Tensor): tf.Tensor {
    return sparsityTernarize(x, this.sparsity, { clipValue: this.clipValue });
  }

  override storedScalars(): number {
    return 1;
  }

  override describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits, sparsity: this.sparsity, clipValue: this.clipValue };
  }
}

export interface TtqOptions {
  /** t in Δ = t·max|W|. Default 0.05 (the paper's value). */
  threshold?: number;
}

/** Trained ternary quantization: learned positive and negative scales per layer. */
export class Ttq extends CompressQuantizer {
  readonly kind = 'ttq';
  readonly bits = 2;
  override grid(): QuantizerGrid {
    return TERNARY_GRID;
  }
  readonly threshold: number;
  readonly positiveScale: Parameter;
  readonly negativeScale: Parameter;

  constructor(options: TtqOptions = {}) {
    super();
    this.threshold = options.threshold ?? 0.05;
    if (!(this.threshold >= 0 && this.threshold < 1)) throw new RangeError(`TTQ threshold must be in [0, 1), got ${this.threshold}`);
    this.positiveScale = this.addParameter('positiveScale', new Parameter('positiveScale', tf.scalar(1)));
    this.negativeScale = this.addParameter('negativeScale', new Parameter('negativeScale', tf.scalar(1)));
    this.trackInitialization();
  }

  protected override initializeFrom(weights: tf.Tensor): void {
    const delta = tf.mul(tf.max(tf.abs(weights)), this.threshold);
    const meanOver = (selected: tf.Tensor) => {
      const mask = tf.cast(selected, 'float32');
      return tf.div(tf.sum(tf.mul(tf.abs(weights), mask)), tf.maximum(tf.sum(mask), 1));
    };
    const wp = meanOver(tf.greater(weights, delta));
    const wn = meanOver(tf.less(weights, tf.neg(delta)));
    // a side with no weights keeps the other side's scale rather than 0
    const fallback = meanOver(tf.greater(tf.abs(weights), delta));
    const pick = (value: tf.Tensor) => tf.where(tf.greater(value, 0), value, tf.where(tf.greater(fallback, 0), fallback, tf.scalar(1)));
    this.positiveScale.assign(pick(wp));
    this.negativeScale.assign(pick(wn));
  }

  quantize(x: tf.Tensor): tf.Tensor {
    this.initializeIfNeeded(x);
    return ttqTernarize(x, this.positiveScale.variable, this.negativeScale.variable, this.threshold);
  }

  override storedScalars(): number {
    return 2;
  }

  override describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits, threshold: this.threshold };
  }
}
