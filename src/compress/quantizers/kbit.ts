/**
 * k-bit uniform quantizers (k = 2…8) with straight-through gradients.
 *
 *   layer.setWeightQuantizer(new Lsq({ bits: 4, role: 'weights', perChannel: true, channels: 64 }));
 *   layer.setInputQuantizer(new Lsq({ bits: 4, role: 'activations' }));
 *   layer.setWeightQuantizer(new DoReFa({ bits: 4, mode: 'weights' }));
 *
 * Rounding is half to even (tf.round, as torch.round), with the straight-through estimator
 * ∂round(v)/∂v = 1. L = 2^k − 1 below.
 *
 * DoReFa (Zhou et al. 2016)
 *   weights:     t = tanh(w), u = t / (2·max|t|) + ½ ∈ [0, 1], q = 2·round(L·u)/L − 1 ∈ [−1, 1];
 *                the gradient flows through tanh and max|t| (as in the reference implementation)
 *                and straight through the rounding. max|t| is per layer or per output channel.
 *   activations: q = round(L·clip(x, 0, 1))/L;  ∂q/∂x = 1{0 ≤ x ≤ 1}.
 *
 * LSQ (Esser et al. 2020), step size s learned, no zero point (symmetric about 0):
 *   v̂ = round(clip(x/s, −Q_N, Q_P)) · s
 *   ∂v̂/∂x = 1{−Q_N < x/s < Q_P}
 *   ∂v̂/∂s = round(x/s) − x/s inside, −Q_N if x/s ≤ −Q_N, Q_P if x/s ≥ Q_P; then scaled by
 *   g = 1/√(Q_P · numel), numel = values per step size (weights of the layer or of one output
 *   channel; activation values of one example, or of one channel of one example).
 *   Ranges: 'signed' Q_N = 2^(k−1), Q_P = 2^(k−1) − 1 (the paper's weights); 'symmetric'
 *   Q_N = Q_P = 2^(k−1) − 1; 'unsigned' Q_N = 0, Q_P = 2^k − 1 (after a ReLU); 'auto' picks
 *   unsigned if the first batch it sees has no negative value, signed otherwise.
 *   Initialization, from the weights (the policy calls `initialize`) or the first training batch
 *   of activations: 'mean' (the paper's) s = 2·mean|x| / √Q_P; 'max' s = max(max x / Q_P,
 *   −min x / Q_N), the smallest step whose grid holds the whole batch; 'mse' the step among
 *   f·s_max, f = 1/100 … 100/100, with the least squared quantization error on the batch.
 *   'mean' suits values spread around zero; for values far from zero with a small spread, such
 *   as max-pooled features, it can give a grid a few times coarser than their range needs, which
 *   fine-tuning barely corrects (the step's gradient is scaled down by g).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Parameter } from '../../nn/parameter.ts';
import type { QuantizerGrid } from '../../nn/quantizer.ts';
import { allButLastAxis, CompressQuantizer, customGradient, meanAbs, reduceToShape } from './base.ts';

export const MIN_BITS = 2;
export const MAX_BITS = 8;

function checkBits(bits: number): void {
  if (!(Number.isInteger(bits) && bits >= MIN_BITS && bits <= MAX_BITS)) {
    throw new RangeError(`bits must be an integer in [${MIN_BITS}, ${MAX_BITS}], got ${bits}`);
  }
}

/** round(x) (half to even) with the straight-through gradient 1. */
export function roundSte(x: tf.Tensor): tf.Tensor {
  const op = customGradient((_save: tf.GradSaveFunc, input: tf.Tensor) => ({ value: tf.round(input), gradFunc: (dy: tf.Tensor) => dy }));
  return op(x);
}

/** DoReFa weight quantization to k bits in [−1, 1]. */
export function dorefaWeights(w: tf.Tensor, bits: number, granularity: 'layer' | 'channel' = 'layer'): tf.Tensor {
  const levels = 2 ** bits - 1;
  const t = tf.tanh(w);
  const maxAbs = granularity === 'channel' && w.rank > 1 ? tf.max(tf.abs(t), allButLastAxis(w.rank)) : tf.max(tf.abs(t));
  // all-zero weights: t/(2·ε) = 0, so u = ½ and q rounds to the code nearest ½
  const u = tf.add(tf.div(t, tf.mul(tf.maximum(maxAbs, 1e-12), 2)), 0.5);
  const q = tf.div(roundSte(tf.mul(u, levels)), levels);
  return tf.sub(tf.mul(q, 2), 1);
}

/** DoReFa activation quantization: clip to [0, 1], then k bits. */
export function dorefaActivations(x: tf.Tensor, bits: number): tf.Tensor {
  const levels = 2 ** bits - 1;
  const op = customGradient((save: tf.GradSaveFunc, input: tf.Tensor) => {
    save([input]);
    return {
      value: tf.div(tf.round(tf.mul(tf.clipByValue(input, 0, 1), levels)), levels),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, tf.cast(tf.logicalAnd(tf.greaterEqual(saved[0]!, 0), tf.lessEqual(saved[0]!, 1)), 'float32')),
    };
  });
  return op(x);
}

export interface LsqRange {
  /** Levels below zero (Q_N ≥ 0) and above zero (Q_P > 0). */
  negative: number;
  positive: number;
}

export type LsqRangeName = 'signed' | 'symmetric' | 'unsigned' | 'auto';

export function lsqRange(bits: number, range: Exclude<LsqRangeName, 'auto'>): LsqRange {
  if (range === 'unsigned') return { negative: 0, positive: 2 ** bits - 1 };
  if (range === 'symmetric') return { negative: 2 ** (bits - 1) - 1, positive: 2 ** (bits - 1) - 1 };
  return { negative: 2 ** (bits - 1), positive: 2 ** (bits - 1) - 1 };
}

/**
 * LSQ: round(clip(x/s, −Q_N, Q_P))·s with the paper's gradients for x and s (the latter times
 * `gradScale`). `step` is a scalar or a per-channel vector [C] for x [..., C].
 */
export function lsqQuantize(x: tf.Tensor, step: tf.Tensor, range: LsqRange, gradScale: number): tf.Tensor {
  const { negative, positive } = range;
  const op = customGradient((save: tf.GradSaveFunc, input: tf.Tensor, s: tf.Tensor) => {
    const safeStep = tf.maximum(s, 1e-12);
    const v = tf.div(input, safeStep);
    save([v, s]);
    return {
      value: tf.mul(tf.round(tf.clipByValue(v, -negative, positive)), safeStep),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedV, savedStep] = saved as [tf.Tensor, tf.Tensor];
        const below = tf.cast(tf.lessEqual(savedV, -negative), 'float32');
        const above = tf.cast(tf.greaterEqual(savedV, positive), 'float32');
        const inside = tf.sub(tf.sub(1, below), above);
        const dx = tf.mul(dy, inside);
        const local = tf.add(tf.mul(inside, tf.sub(tf.round(savedV), savedV)), tf.add(tf.mul(below, -negative), tf.mul(above, positive)));
        const ds = tf.mul(reduceToShape(tf.mul(dy, local), savedStep.shape), gradScale);
        return [dx, ds];
      },
    };
  });
  return op(x, step);
}

/** The step f·largest (f = 1/K … 1) with the least squared quantization error, per `axes` group. */
function bestStep(x: tf.Tensor, largest: tf.Tensor, range: LsqRange, axes: number[] | undefined): tf.Tensor {
  let best = largest;
  let bestError = tf.sum(tf.square(tf.sub(x, quantizeWith(x, largest, range))), axes);
  for (let k = 1; k < MSE_CANDIDATES; k++) {
    const candidate = tf.mul(largest, k / MSE_CANDIDATES);
    const error = tf.sum(tf.square(tf.sub(x, quantizeWith(x, candidate, range))), axes);
    const better = tf.less(error, bestError);
    best = tf.where(better, candidate, best);
    bestError = tf.where(better, error, bestError);
  }
  return best;
}

/** round(clip(x/s, −Q_N, Q_P))·s without gradients. */
function quantizeWith(x: tf.Tensor, step: tf.Tensor, range: LsqRange): tf.Tensor {
  return tf.mul(tf.round(tf.clipByValue(tf.div(x, step), -range.negative, range.positive)), step);
}

export interface LsqOptions {
  bits: number;
  /** Weights keep output channels last; activations are [B, …, C]. Decides numel in g. */
  role: 'weights' | 'activations';
  /** Default: 'signed' for weights, 'auto' for activations. */
  range?: LsqRangeName;
  /**
   * One step size per channel (needs `channels`): per output channel for weights, per input
   * channel (the last axis) for activations. Per-channel activation steps cannot be folded into
   * an integer dot product, so the packed export rejects them; they are for measuring how much
   * one shared step costs.
   */
  perChannel?: boolean;
  channels?: number;
  /** How the step is initialized (see the module comment); default 'mean'. */
  init?: LsqInit;
}

export type LsqInit = 'mean' | 'max' | 'mse';

const MSE_CANDIDATES = 100;

/** Learned step size quantization (see the module comment). */
export class Lsq extends CompressQuantizer {
  readonly kind = 'lsq';
  readonly bits: number;
  readonly role: 'weights' | 'activations';
  readonly range: LsqRangeName;
  readonly perChannel: boolean;
  readonly init: LsqInit;
  readonly step: Parameter;
  /** For range 'auto': 1 once the first batch showed negative values (signed), else 0. */
  private readonly signedFlag: Parameter | null;

  constructor(options: LsqOptions) {
    super();
    checkBits(options.bits);
    this.bits = options.bits;
    this.role = options.role;
    this.range = options.range ?? (options.role === 'weights' ? 'signed' : 'auto');
    this.perChannel = options.perChannel ?? false;
    this.init = options.init ?? 'mean';
    if (this.perChannel && !(options.channels && options.channels > 0)) throw new RangeError('per-channel LSQ needs the number of channels');
    this.step = this.addParameter('step', new Parameter('step', this.perChannel ? tf.ones([options.channels!]) : tf.scalar(1)));
    this.signedFlag = this.range === 'auto' ? this.addParameter('signed', new Parameter('signed', tf.scalar(0), false)) : null;
    this.trackInitialization();
  }

  /** Q_N and Q_P in use (for 'auto', as decided at initialization). */
  levels(): LsqRange {
    if (this.range !== 'auto') return lsqRange(this.bits, this.range);
    return lsqRange(this.bits, this.signedFlag!.variable.dataSync()[0] === 1 ? 'signed' : 'unsigned');
  }

  protected override initializeFrom(x: tf.Tensor): void {
    if (this.signedFlag) this.signedFlag.assign(tf.scalar(tf.min(x).dataSync()[0]! < 0 ? 1 : 0));
    const { negative, positive } = this.levels();
    const axes = this.perChannel && x.rank > 1 ? allButLastAxis(x.rank) : undefined;
    let step: tf.Tensor;
    if (this.init === 'mean') {
      step = tf.div(tf.mul(meanAbs(x, this.perChannel ? 'channel' : 'layer'), 2), Math.sqrt(positive));
    } else {
      const range = { negative, positive };
      const largest = tf.maximum(tf.maximum(tf.div(tf.max(x, axes), positive), negative > 0 ? tf.div(tf.neg(tf.min(x, axes)), negative) : 0), 1e-8);
      step = this.init === 'max' ? largest : bestStep(x, largest, range, axes);
    }
    this.step.assign(tf.reshape(tf.maximum(step, 1e-8), this.step.shape));
  }

  /** Values sharing one step size, for the gradient scale g = 1/√(Q_P·numel). */
  private valuesPerStep(x: tf.Tensor): number {
    if (this.role === 'activations') {
      const perExample = x.rank > 1 ? x.size / x.shape[0]! : x.size;
      return this.perChannel ? perExample / this.step.size : perExample;
    }
    return this.perChannel ? x.size / this.step.size : x.size;
  }

  quantize(x: tf.Tensor): tf.Tensor {
    this.initializeIfNeeded(x);
    const range = this.levels();
    const gradScale = 1 / Math.sqrt(range.positive * this.valuesPerStep(x));
    return lsqQuantize(x, this.step.variable, range, gradScale);
  }

  /** Units in [−Q_N, Q_P] times the learned step (one per layer or per output channel). */
  override grid(): QuantizerGrid {
    const { negative, positive } = this.levels();
    return { kind: 'uniform', bits: this.bits, levels: 2 ** this.bits, step: Array.from(this.step.variable.dataSync()), min: -negative, max: positive };
  }

  override storedScalars(): number {
    return this.step.size;
  }

  override describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits, role: this.role, range: this.range, perChannel: this.perChannel, init: this.init };
  }
}

export interface DoReFaOptions {
  bits: number;
  mode: 'weights' | 'activations';
  /** max|tanh(w)| per output channel instead of per layer (weights only). */
  perChannel?: boolean;
}

/** DoReFa-Net quantization of weights (tanh normalization) or activations (clip to [0, 1]). */
export class DoReFa extends CompressQuantizer {
  readonly kind = 'dorefa';
  readonly bits: number;
  readonly mode: 'weights' | 'activations';
  readonly perChannel: boolean;

  constructor(options: DoReFaOptions) {
    super();
    checkBits(options.bits);
    this.bits = options.bits;
    this.mode = options.mode;
    this.perChannel = options.perChannel ?? false;
  }

  quantize(x: tf.Tensor): tf.Tensor {
    return this.mode === 'weights' ? dorefaWeights(x, this.bits, this.perChannel ? 'channel' : 'layer') : dorefaActivations(x, this.bits);
  }

  /**
   * Weights: q = 2k/L − 1 = (2/L)·(k − L/2), units k − L/2 ∈ [−L/2, L/2] (half-integers for odd L,
   * still L + 1 levels a step apart); activations: k/L, units k ∈ [0, L].
   */
  override grid(): QuantizerGrid {
    const levels = 2 ** this.bits - 1;
    if (this.mode === 'weights') return { kind: 'uniform', bits: this.bits, levels: levels + 1, step: [2 / levels], min: -levels / 2, max: levels / 2 };
    return { kind: 'uniform', bits: this.bits, levels: levels + 1, step: [1 / levels], min: 0, max: levels };
  }

  override describe(): Record<string, unknown> {
    return { kind: this.kind, bits: this.bits, mode: this.mode, perChannel: this.perChannel };
  }
}
