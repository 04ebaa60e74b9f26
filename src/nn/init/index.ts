/**
 * Initializers: the registry that turns a configured name into initial weights.
 *
 *   const w = initialTensor('he_normal', [64, 128], { fanIn: 64, fanOut: 128 }, rng);
 *   initialValues({ name: 'laplace', b: 0.05 }, [64, 128], fans, rng);       // Float32Array
 *   initialValues({ name: 'variance_scaling', distribution: 'rademacher', mode: 'fan_in', scale: 2 }, ...);
 *
 * Values are drawn in JavaScript from the `Rng` passed in (which advances), then turned into a
 * tensor, so a seed gives bit-identical weights on every backend. How the initial distribution
 * changes what survives pruning and quantization is a research question here, so every
 * distribution shape can be combined with every variance scaling (see `variance-scaling.ts`).
 *
 * Defaults: the plain distributions (uniform, normal, truncated_normal, laplace, rademacher)
 * given no parameter of their own take Glorot's variance 2 / (fanIn + fanOut), so changing
 * only the name changes only the *shape* of the distribution.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../util/rng.ts';
import { parseInitializer, type InitializerConfig, type InitializerSpec } from './config.ts';
import { fillDistribution, parameterForStd, type Distribution } from './distributions.ts';
import { orthogonalValues } from './orthogonal.ts';
import {
  VARIANCE_SCALING_DEFAULTS,
  VARIANCE_SCALING_PRESETS,
  glorotStd,
  isVarianceScalingPreset,
  varianceScalingStd,
  type Fans,
} from './variance-scaling.ts';

export { parseInitializer, describeInitializer, INITIALIZER_NAMES } from './config.ts';
export type { InitializerName, InitializerConfig, InitializerSpec } from './config.ts';
export type { Fans, FanMode } from './variance-scaling.ts';
export type { Distribution } from './distributions.ts';
export { fansOf } from './fans.ts';
export { orthogonalValues } from './orthogonal.ts';

/** Initial values of a weight of `shape`, row-major. Throws ConfigError on a bad spec. */
export function initialValues(spec: InitializerSpec, shape: number[], fans: Fans, rng: Rng): Float32Array {
  const config = parseInitializer(spec);
  const out = new Float32Array(elementCount(shape));
  const gain = config.gain ?? 1;
  const name = config.name;

  if (isVarianceScalingPreset(name) || name === 'variance_scaling') {
    const preset = name === 'variance_scaling' ? VARIANCE_SCALING_DEFAULTS : VARIANCE_SCALING_PRESETS[name];
    const distribution = config.distribution ?? preset.distribution;
    const std = gain * varianceScalingStd(fans, config.mode ?? preset.mode, config.scale ?? preset.scale);
    fillDistribution(distribution, out, parameterForStd(distribution, std), rng);
    return out;
  }
  switch (name) {
    case 'truncated_normal':
    case 'normal':
    case 'uniform':
    case 'laplace':
    case 'rademacher':
      fillDistribution(name, out, gain * (explicitParameter(config, name) ?? parameterForStd(name, glorotStd(fans))), rng);
      return out;
    case 'orthogonal': {
      if (out.length === 0) return out;
      const [rows, cols] = orthogonalMatrixShape(shape, fans);
      out.set(orthogonalValues(rows, cols, gain, rng));
      return out;
    }
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(gain);
  }
}

export function initialTensor(spec: InitializerSpec, shape: number[], fans: Fans, rng: Rng): tf.Tensor {
  return tf.tensor(initialValues(spec, shape, fans, rng), shape, 'float32');
}

/** The distribution's own parameter when the config gives it. */
function explicitParameter(config: InitializerConfig, distribution: Distribution): number | undefined {
  switch (distribution) {
    case 'uniform':
    case 'rademacher':
      return config.limit;
    case 'normal':
    case 'truncated_normal':
      return config.stddev;
    case 'laplace':
      return config.b;
  }
}

/**
 * The matrix an orthogonal initializer orthonormalizes: [fanIn, fanOut] when that covers the
 * weight (linear layers), else [all axes but the last, last] (Keras's flattening for convolutions,
 * whose fans count kernel positions on both sides).
 */
function orthogonalMatrixShape(shape: number[], fans: Fans): [number, number] {
  const size = elementCount(shape);
  if (fans.fanIn * fans.fanOut === size) return [fans.fanIn, fans.fanOut];
  if (shape.length < 2) throw new RangeError(`orthogonal initialization needs a weight of rank ≥ 2, got shape [${shape}]`);
  const cols = shape[shape.length - 1]!;
  return [size / cols, cols];
}

function elementCount(shape: number[]): number {
  let count = 1;
  for (const size of shape) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`invalid weight shape [${shape}]`);
    count *= size;
  }
  return count;
}
