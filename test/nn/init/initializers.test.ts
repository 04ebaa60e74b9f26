import { describe, expect, it } from 'vitest';
import {
  describeInitializer,
  fansOf,
  initialValues,
  parseInitializer,
  type Fans,
  type InitializerSpec,
} from '../../../src/nn/init/index.ts';
import { ConfigError } from '../../../src/util/errors.ts';
import { Rng } from '../../../src/util/rng.ts';

// Large enough that sample moments sit within a few percent of the formulas.
const SHAPE = [200, 300];
const FANS: Fans = { fanIn: 200, fanOut: 300 };
const GLOROT_STD = Math.sqrt(2 / (200 + 300));

function moments(values: Float32Array): { mean: number; std: number; kurtosis: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let m2 = 0;
  let m4 = 0;
  for (const v of values) {
    const d = v - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= values.length;
  m4 /= values.length;
  return { mean, std: Math.sqrt(m2), kurtosis: m4 / (m2 * m2) };
}

function sample(spec: InitializerSpec, seed = 1): Float32Array {
  return initialValues(spec, SHAPE, FANS, new Rng(seed));
}

// Kurtosis (not excess) of each shape; the truncated normal at ±2σ is 1.4162 / 0.77374².
const KURTOSIS = { uniform: 1.8, normal: 3, truncated_normal: 2.3656, laplace: 6, rademacher: 1 } as const;
// Three standard errors of the sample kurtosis at n = 60 000 (Laplace's is large: μ8/σ⁸ = 2520).
const KURTOSIS_TOLERANCE = { uniform: 0.02, normal: 0.12, truncated_normal: 0.05, laplace: 0.7, rademacher: 1e-3 } as const;

function expectDistribution(values: Float32Array, std: number, shape: keyof typeof KURTOSIS): void {
  const m = moments(values);
  expect(Math.abs(m.mean)).toBeLessThan(0.02 * std);
  expect(Math.abs(m.std / std - 1)).toBeLessThan(0.02);
  expect(Math.abs(m.kurtosis - KURTOSIS[shape])).toBeLessThan(KURTOSIS_TOLERANCE[shape]);
}

describe('variance-scaling presets', () => {
  const cases: Array<[string, number, keyof typeof KURTOSIS]> = [
    ['glorot_uniform', Math.sqrt(2 / 500), 'uniform'],
    ['glorot_normal', Math.sqrt(2 / 500), 'normal'],
    ['he_uniform', Math.sqrt(2 / 200), 'uniform'],
    ['he_normal', Math.sqrt(2 / 200), 'normal'],
    ['lecun_uniform', Math.sqrt(1 / 200), 'uniform'],
    ['lecun_normal', Math.sqrt(1 / 200), 'normal'],
  ];
  for (const [name, std, shape] of cases) {
    it(`${name} has std ${std.toFixed(4)} and a ${shape} shape`, () => {
      expectDistribution(sample(name as InitializerSpec), std, shape);
    });
  }

  it('uniform presets stay inside ±√3·std', () => {
    const limit = Math.sqrt(3) * Math.sqrt(2 / 200);
    const values = sample('he_uniform');
    expect(Math.max(...values)).toBeLessThanOrEqual(limit);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...values)).toBeGreaterThan(0.99 * limit);
  });

  it('mode, scale and gain change the std as the formula says', () => {
    expectDistribution(sample({ name: 'he_normal', mode: 'fan_out' }), Math.sqrt(2 / 300), 'normal');
    expectDistribution(sample({ name: 'glorot_uniform', scale: 3 }), Math.sqrt(3 / 250), 'uniform');
    expectDistribution(sample({ name: 'lecun_normal', gain: 2 }), 2 * Math.sqrt(1 / 200), 'normal');
  });
});

describe('variance_scaling with any distribution', () => {
  const shapes = ['uniform', 'normal', 'truncated_normal', 'laplace', 'rademacher'] as const;
  for (const distribution of shapes) {
    it(`${distribution}, fan_in, scale 2 has He's std`, () => {
      const values = sample({ name: 'variance_scaling', distribution, mode: 'fan_in', scale: 2 });
      expectDistribution(values, Math.sqrt(2 / 200), distribution);
    });
  }

  it('defaults to Keras: truncated normal, fan_in, scale 1, std-corrected', () => {
    const values = sample('variance_scaling');
    expectDistribution(values, Math.sqrt(1 / 200), 'truncated_normal');
    const sigmaBeforeTruncation = Math.sqrt(1 / 200) / 0.8796256610342398;
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(2 * sigmaBeforeTruncation * (1 + 1e-6));
  });
});

describe('plain distributions', () => {
  it('default to Glorot variance when given no parameter', () => {
    expectDistribution(sample('uniform'), GLOROT_STD, 'uniform');
    expectDistribution(sample('normal'), GLOROT_STD, 'normal');
    expectDistribution(sample('truncated_normal'), GLOROT_STD, 'truncated_normal');
    expectDistribution(sample('laplace'), GLOROT_STD, 'laplace');
    expectDistribution(sample('rademacher'), GLOROT_STD, 'rademacher');
  });

  it('use their explicit parameters', () => {
    expectDistribution(sample({ name: 'uniform', limit: 0.1 }), 0.1 / Math.sqrt(3), 'uniform');
    expectDistribution(sample({ name: 'normal', stddev: 0.02 }), 0.02, 'normal');
    expectDistribution(sample({ name: 'laplace', b: 0.05 }), 0.05 * Math.SQRT2, 'laplace');
    // stddev is σ before truncation at ±2σ (Keras and PyTorch semantics)
    expectDistribution(sample({ name: 'truncated_normal', stddev: 0.1 }), 0.1 * 0.8796256610342398, 'truncated_normal');
  });

  it('rademacher draws exactly ±limit, half each', () => {
    const values = sample({ name: 'rademacher', limit: 0.25 });
    const positives = values.filter((v) => v === 0.25).length;
    const negatives = values.filter((v) => v === -0.25).length;
    expect(positives + negatives).toBe(values.length);
    expect(Math.abs(positives / values.length - 0.5)).toBeLessThan(0.01);
  });

  it('truncated_normal never leaves ±2σ', () => {
    const values = sample({ name: 'truncated_normal', stddev: 0.5 });
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.99);
  });

  it('gain scales explicit parameters too', () => {
    expectDistribution(sample({ name: 'laplace', b: 0.05, gain: 3 }), 3 * 0.05 * Math.SQRT2, 'laplace');
  });

  it('zeros and ones are constant', () => {
    expect(sample('zeros').every((v) => v === 0)).toBe(true);
    expect(sample('ones').every((v) => v === 1)).toBe(true);
    expect(sample({ name: 'ones', gain: 0.5 }).every((v) => v === 0.5)).toBe(true);
  });
});

describe('orthogonal', () => {
  /** Largest |(AᵀA − gain²I)ij| over columns of a rows×cols row-major A (or rows, if `byRows`). */
  function orthogonalityError(values: Float32Array, rows: number, cols: number, gain: number, byRows: boolean): number {
    const count = byRows ? rows : cols;
    const length = byRows ? cols : rows;
    const at = (vector: number, index: number): number => (byRows ? values[vector * cols + index]! : values[index * cols + vector]!);
    let worst = 0;
    for (let i = 0; i < count; i++) {
      for (let j = i; j < count; j++) {
        let dot = 0;
        for (let k = 0; k < length; k++) dot += at(i, k) * at(j, k);
        worst = Math.max(worst, Math.abs(dot - (i === j ? gain * gain : 0)));
      }
    }
    return worst;
  }

  it('tall weights have orthonormal columns: WᵀW = I', () => {
    const values = initialValues('orthogonal', [300, 200], { fanIn: 300, fanOut: 200 }, new Rng(3));
    expect(orthogonalityError(values, 300, 200, 1, false)).toBeLessThan(1e-5);
  });

  it('wide weights have orthonormal rows: WWᵀ = I', () => {
    const values = initialValues('orthogonal', SHAPE, FANS, new Rng(3));
    expect(orthogonalityError(values, 200, 300, 1, true)).toBeLessThan(1e-5);
  });

  it('gain scales the matrix', () => {
    const values = initialValues({ name: 'orthogonal', gain: 2 }, [64, 64], { fanIn: 64, fanOut: 64 }, new Rng(5));
    expect(orthogonalityError(values, 64, 64, 2, false)).toBeLessThan(1e-5);
    expect(orthogonalityError(values, 64, 64, 2, true)).toBeLessThan(1e-5);
  });

  it('flattens a convolution kernel to [kh·kw·in, out]', () => {
    const shape = [3, 3, 4, 8];
    const values = initialValues('orthogonal', shape, fansOf(shape), new Rng(7));
    expect(orthogonalityError(values, 36, 8, 1, false)).toBeLessThan(1e-5);
  });

  it('rejects a rank-1 weight it cannot flatten', () => {
    expect(() => initialValues('orthogonal', [5], { fanIn: 2, fanOut: 2 }, new Rng(1))).toThrow(/rank ≥ 2/);
  });
});

describe('seeding', () => {
  const specs: InitializerSpec[] = ['he_normal', 'glorot_uniform', 'truncated_normal', 'laplace', 'rademacher', 'orthogonal'];
  for (const spec of specs) {
    it(`${String(spec)}: same seed, same weights; another seed, other weights`, () => {
      const shape = [20, 30];
      const fans = { fanIn: 20, fanOut: 30 };
      const a = initialValues(spec, shape, fans, new Rng(11));
      const b = initialValues(spec, shape, fans, new Rng(11));
      const c = initialValues(spec, shape, fans, new Rng(12));
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(Array.from(c)).not.toEqual(Array.from(a));
    });
  }

  it('draws from the stream it is given, so consecutive layers differ', () => {
    const rng = new Rng(1);
    const first = initialValues('he_normal', [4, 4], { fanIn: 4, fanOut: 4 }, rng);
    const second = initialValues('he_normal', [4, 4], { fanIn: 4, fanOut: 4 }, rng);
    expect(Array.from(second)).not.toEqual(Array.from(first));
  });

  it('pins the first values of a seed, so a change of sampling code is noticed', () => {
    const values = initialValues({ name: 'uniform', limit: 1 }, [3], { fanIn: 1, fanOut: 1 }, new Rng(42));
    const rng = new Rng(42);
    expect(Array.from(values)).toEqual([rng.range(-1, 1), rng.range(-1, 1), rng.range(-1, 1)].map(Math.fround));
  });
});

describe('parseInitializer', () => {
  it('turns a name into a config and keeps valid keys', () => {
    expect(parseInitializer('he_normal')).toEqual({ name: 'he_normal' });
    expect(parseInitializer({ name: 'laplace', b: 0.05, gain: 2 })).toEqual({ name: 'laplace', b: 0.05, gain: 2 });
    expect(parseInitializer({ name: 'variance_scaling', distribution: 'laplace', mode: 'fan_out', scale: 2 })).toEqual({
      name: 'variance_scaling',
      distribution: 'laplace',
      mode: 'fan_out',
      scale: 2,
    });
  });

  function configErrorOf(spec: unknown, path?: string): ConfigError {
    try {
      parseInitializer(spec, path);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error(`expected ${JSON.stringify(spec)} to be rejected`);
  }

  it('names the key path of what is wrong', () => {
    expect(configErrorOf('he_nromal', 'model.init').path).toBe('model.init');
    expect(configErrorOf('he_nromal').message).toMatch(/unknown initializer "he_nromal"; choose one of glorot_uniform/);
    expect(configErrorOf({ name: 'bogus' }, 'model.init').path).toBe('model.init.name');
    expect(configErrorOf({ b: 1 }, 'model.init').path).toBe('model.init.name');
    expect(configErrorOf({ name: 'normal', stddev: -1 }, 'layers.0.init').path).toBe('layers.0.init.stddev');
    expect(configErrorOf({ name: 'normal', stddev: '0.1' }).path).toBe('init.stddev');
    expect(configErrorOf({ name: 'he_normal', mode: 'fan_sum' }).path).toBe('init.mode');
    expect(configErrorOf({ name: 'variance_scaling', distribution: 'cauchy' }).path).toBe('init.distribution');
    expect(configErrorOf(42).path).toBe('init');
    expect(configErrorOf(null).path).toBe('init');
  });

  it('rejects keys that do not apply to the initializer (a typo must not fall back to a default)', () => {
    const error = configErrorOf({ name: 'he_normal', b: 0.1 });
    expect(error.path).toBe('init.b');
    expect(error.message).toMatch(/does not apply to he_normal \(it takes mode, scale, gain\)/);
    expect(configErrorOf({ name: 'laplace', stdev: 0.1 }).path).toBe('init.stdev');
    expect(configErrorOf({ name: 'zeros', gain: 2 }).message).toMatch(/takes no parameters/);
  });

  it('initialValues validates too', () => {
    expect(() => initialValues({ name: 'uniform', limit: 0 }, [2], { fanIn: 1, fanOut: 1 }, new Rng(1))).toThrow(ConfigError);
  });
});

describe('describeInitializer', () => {
  it('gives short names for logs and legends', () => {
    expect(describeInitializer('he_normal')).toBe('he_normal(fan_in)');
    expect(describeInitializer('glorot_uniform')).toBe('glorot_uniform(fan_avg)');
    expect(describeInitializer({ name: 'he_uniform', mode: 'fan_out', gain: 2 })).toBe('he_uniform(fan_out, gain=2)');
    expect(describeInitializer({ name: 'lecun_normal', scale: 3 })).toBe('lecun_normal(fan_in, scale=3)');
    expect(describeInitializer({ name: 'laplace', b: 0.05 })).toBe('laplace(b=0.05)');
    expect(describeInitializer('rademacher')).toBe('rademacher(glorot variance)');
    expect(describeInitializer({ name: 'truncated_normal', stddev: 0.02 })).toBe('truncated_normal(stddev=0.02)');
    expect(describeInitializer({ name: 'variance_scaling', distribution: 'laplace', scale: 2 })).toBe(
      'variance_scaling(laplace, fan_in, scale=2)',
    );
    expect(describeInitializer('orthogonal')).toBe('orthogonal');
    expect(describeInitializer({ name: 'orthogonal', gain: Math.SQRT2 })).toBe('orthogonal(gain=1.414)');
    expect(describeInitializer('zeros')).toBe('zeros');
  });
});

describe('fansOf', () => {
  it('counts kernel positions on both sides, output channels last', () => {
    expect(fansOf([64, 128])).toEqual({ fanIn: 64, fanOut: 128 });
    expect(fansOf([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
    expect(fansOf([10])).toEqual({ fanIn: 10, fanOut: 10 });
  });
});
