import type { Rng } from '../../util/rng.ts';

/**
 * The zero-mean distributions initial weights are drawn from, each with its own natural parameter
 * and a way to pick that parameter for a target standard deviation. Keeping the shape of the
 * distribution apart from its scale is what lets the variance-scaling family use any of them:
 * the research compares, say, He-scaled Laplace against He-scaled uniform at equal variance.
 *
 *   fillLaplace(out, 0.05, rng);                      // b = 0.05, variance 2b²
 *   parameterForStd('laplace', 0.1);                  // → b = 0.1/√2
 *
 * All sampling happens in JavaScript from the seeded `Rng`, so a seed gives the same weights on
 * every tfjs backend.
 */
export type Distribution = 'uniform' | 'normal' | 'truncated_normal' | 'laplace' | 'rademacher';

export const DISTRIBUTIONS: readonly Distribution[] = ['uniform', 'normal', 'truncated_normal', 'laplace', 'rademacher'];

/** Truncation point of `truncated_normal`, in units of σ (as in Keras and PyTorch's usual use). */
export const TRUNCATION_SIGMAS = 2;

/**
 * Standard deviation of N(0, 1) truncated to [-2, 2]: √(1 − 2·2·φ(2) / (Φ(2) − Φ(−2))).
 * Dividing by it makes a truncated normal reach a target standard deviation (Keras does the same).
 */
export const TRUNCATED_NORMAL_STD = 0.8796256610342398;

/** Uniform on [−limit, limit): variance limit²/3. */
export function fillUniform(out: Float32Array, limit: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.range(-limit, limit);
}

/** N(0, stddev²). */
export function fillNormal(out: Float32Array, stddev: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = stddev * rng.normal();
}

/**
 * N(0, stddev²) with draws outside ±2·stddev redrawn; `stddev` is the σ of the normal before
 * truncation, so the result's standard deviation is 0.88·stddev.
 */
export function fillTruncatedNormal(out: Float32Array, stddev: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) {
    let z = rng.normal();
    while (Math.abs(z) > TRUNCATION_SIGMAS) z = rng.normal();
    out[i] = stddev * z;
  }
}

/** Laplace(0, b) by inverting its CDF: variance 2b², heavier tails than a normal (kurtosis 6). */
export function fillLaplace(out: Float32Array, b: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) {
    // u ∈ (−½, ½); 1 − 2|u| ∈ (0, 1], so the log is finite.
    let u = rng.uniform() - 0.5;
    while (u === -0.5) u = rng.uniform() - 0.5;
    out[i] = u < 0 ? b * Math.log(1 + 2 * u) : -b * Math.log(1 - 2 * u);
  }
}

/** ±limit with equal probability: variance limit², already "binary" before any quantizer. */
export function fillRademacher(out: Float32Array, limit: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform() < 0.5 ? -limit : limit;
}

export function fillDistribution(distribution: Distribution, out: Float32Array, parameter: number, rng: Rng): void {
  switch (distribution) {
    case 'uniform':
      return fillUniform(out, parameter, rng);
    case 'normal':
      return fillNormal(out, parameter, rng);
    case 'truncated_normal':
      return fillTruncatedNormal(out, parameter, rng);
    case 'laplace':
      return fillLaplace(out, parameter, rng);
    case 'rademacher':
      return fillRademacher(out, parameter, rng);
  }
}

/** The natural parameter (limit, σ, σ before truncation, b, ±a) that gives standard deviation `std`. */
export function parameterForStd(distribution: Distribution, std: number): number {
  switch (distribution) {
    case 'uniform':
      return std * Math.sqrt(3);
    case 'normal':
      return std;
    case 'truncated_normal':
      return std / TRUNCATED_NORMAL_STD;
    case 'laplace':
      return std / Math.SQRT2;
    case 'rademacher':
      return std;
  }
}
