/**
 * The variance-scaling family (Keras `VarianceScaling`): weights with standard deviation
 *
 *   std = gain · √(scale / n),   n = fanIn | fanOut | (fanIn + fanOut) / 2   (mode)
 *
 * drawn from any zero-mean distribution of `distributions.ts`. The named members are presets:
 *
 *   glorot_*  scale 1, fan_avg   (Glorot & Bengio 2010: var = 2 / (fanIn + fanOut))
 *   he_*      scale 2, fan_in    (He et al. 2015, for ReLU)
 *   lecun_*   scale 1, fan_in    (LeCun et al. 1998)
 *
 * `*_uniform` draws from U(−√3·std, √3·std). `*_normal` draws from a plain, untruncated
 * N(0, std²) — the distribution of the original papers and PyTorch's `kaiming_normal_`, so the
 * variance is exactly the formula's. (Keras's `*_normal` truncate at 2σ; that variant is
 * `{ name: 'variance_scaling', distribution: 'truncated_normal', ... }` here, std-corrected.)
 */
import type { Distribution } from './distributions.ts';

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';

export const FAN_MODES: readonly FanMode[] = ['fan_in', 'fan_out', 'fan_avg'];

export interface Fans {
  fanIn: number;
  fanOut: number;
}

export type VarianceScalingPresetName =
  | 'glorot_uniform'
  | 'glorot_normal'
  | 'he_uniform'
  | 'he_normal'
  | 'lecun_uniform'
  | 'lecun_normal';

export interface VarianceScalingPreset {
  scale: number;
  mode: FanMode;
  distribution: Distribution;
}

export const VARIANCE_SCALING_PRESETS: Readonly<Record<VarianceScalingPresetName, VarianceScalingPreset>> = {
  glorot_uniform: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  glorot_normal: { scale: 1, mode: 'fan_avg', distribution: 'normal' },
  he_uniform: { scale: 2, mode: 'fan_in', distribution: 'uniform' },
  he_normal: { scale: 2, mode: 'fan_in', distribution: 'normal' },
  lecun_uniform: { scale: 1, mode: 'fan_in', distribution: 'uniform' },
  lecun_normal: { scale: 1, mode: 'fan_in', distribution: 'normal' },
};

/** Keras's defaults for a bare `variance_scaling`. */
export const VARIANCE_SCALING_DEFAULTS: VarianceScalingPreset = { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' };

export function isVarianceScalingPreset(name: string): name is VarianceScalingPresetName {
  return Object.hasOwn(VARIANCE_SCALING_PRESETS, name);
}

/** The n of std = √(scale / n). */
export function fanForMode(fans: Fans, mode: FanMode): number {
  const n = mode === 'fan_in' ? fans.fanIn : mode === 'fan_out' ? fans.fanOut : (fans.fanIn + fans.fanOut) / 2;
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new RangeError(`variance scaling needs positive fans, got fanIn=${fans.fanIn}, fanOut=${fans.fanOut} (${mode})`);
  }
  return n;
}

/** Standard deviation of a variance-scaling initializer, before any gain. */
export function varianceScalingStd(fans: Fans, mode: FanMode, scale: number): number {
  return Math.sqrt(scale / fanForMode(fans, mode));
}

/**
 * Glorot's standard deviation √(2 / (fanIn + fanOut)). The plain distributions (uniform, normal,
 * Laplace, Rademacher, truncated normal) default to it when given no parameter of their own,
 * so switching the *shape* of the distribution does not also change its variance.
 */
export function glorotStd(fans: Fans): number {
  return varianceScalingStd(fans, 'fan_avg', 1);
}
