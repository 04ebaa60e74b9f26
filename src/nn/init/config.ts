import { ConfigError } from '../../util/errors.ts';
import { DISTRIBUTIONS, type Distribution } from './distributions.ts';
import {
  FAN_MODES,
  VARIANCE_SCALING_DEFAULTS,
  VARIANCE_SCALING_PRESETS,
  isVarianceScalingPreset,
  type FanMode,
} from './variance-scaling.ts';

/**
 * How an initializer is named in configs: a bare name (`'he_normal'`) or an object with the
 * name and its parameters (`{ name: 'laplace', b: 0.05 }`). Validation rejects keys that do not
 * apply to the named initializer, so a typo cannot silently fall back to a default.
 */
export type InitializerName =
  | 'glorot_uniform'
  | 'glorot_normal'
  | 'he_uniform'
  | 'he_normal'
  | 'lecun_uniform'
  | 'lecun_normal'
  | 'variance_scaling'
  | 'truncated_normal'
  | 'uniform'
  | 'normal'
  | 'laplace'
  | 'rademacher'
  | 'orthogonal'
  | 'zeros'
  | 'ones';

export interface InitializerConfig {
  name: InitializerName;
  /** Variance-scaling family: which fan divides the variance. */
  mode?: FanMode;
  /** Variance-scaling family: the numerator of var = scale / fan. */
  scale?: number;
  /** Multiplies every value (so the standard deviation); 1 by default. */
  gain?: number;
  /** uniform: values in ±limit; rademacher: values are exactly ±limit. */
  limit?: number;
  /** normal: σ; truncated_normal: σ of the normal before truncation at ±2σ. */
  stddev?: number;
  /** laplace: the scale b (variance 2b²). */
  b?: number;
  /** variance_scaling only: the distribution's shape (default truncated_normal, as in Keras). */
  distribution?: Distribution;
}

export type InitializerSpec = InitializerName | InitializerConfig;

type ConfigKey = Exclude<keyof InitializerConfig, 'name'>;

/** The keys each initializer takes; anything else is a config error. */
const KEYS_BY_NAME: Readonly<Record<InitializerName, readonly ConfigKey[]>> = {
  glorot_uniform: ['mode', 'scale', 'gain'],
  glorot_normal: ['mode', 'scale', 'gain'],
  he_uniform: ['mode', 'scale', 'gain'],
  he_normal: ['mode', 'scale', 'gain'],
  lecun_uniform: ['mode', 'scale', 'gain'],
  lecun_normal: ['mode', 'scale', 'gain'],
  variance_scaling: ['mode', 'scale', 'distribution', 'gain'],
  truncated_normal: ['stddev', 'gain'],
  uniform: ['limit', 'gain'],
  normal: ['stddev', 'gain'],
  laplace: ['b', 'gain'],
  rademacher: ['limit', 'gain'],
  orthogonal: ['gain'],
  zeros: [],
  ones: ['gain'],
};

export const INITIALIZER_NAMES = Object.keys(KEYS_BY_NAME) as InitializerName[];

const POSITIVE_NUMBER_KEYS: readonly ConfigKey[] = ['scale', 'gain', 'limit', 'stddev', 'b'];

function isInitializerName(value: unknown): value is InitializerName {
  return typeof value === 'string' && Object.hasOwn(KEYS_BY_NAME, value);
}

function unknownNameError(path: string, value: unknown): ConfigError {
  return new ConfigError(path, `unknown initializer ${JSON.stringify(value)}; choose one of ${INITIALIZER_NAMES.join(', ')}`);
}

/**
 * Checks an initializer spec from a config file and returns it as an object (a bare name becomes
 * `{ name }`). Defaults are not filled in here: some depend on the weight's fans.
 * Throws ConfigError naming the key path, e.g. `model.init.stddev`.
 */
export function parseInitializer(spec: unknown, path = 'init'): InitializerConfig {
  if (typeof spec === 'string') {
    if (!isInitializerName(spec)) throw unknownNameError(path, spec);
    return { name: spec };
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ConfigError(path, `expected an initializer name or an object like { name: 'he_normal' }, got ${JSON.stringify(spec)}`);
  }
  const fields = spec as Record<string, unknown>;
  if (!('name' in fields)) throw new ConfigError(`${path}.name`, `missing; choose one of ${INITIALIZER_NAMES.join(', ')}`);
  if (!isInitializerName(fields['name'])) throw unknownNameError(`${path}.name`, fields['name']);
  const name = fields['name'];
  const allowed = KEYS_BY_NAME[name];
  const result: InitializerConfig = { name };

  for (const [key, value] of Object.entries(fields)) {
    if (key === 'name' || value === undefined) continue;
    const keyPath = `${path}.${key}`;
    if (!(allowed as readonly string[]).includes(key)) {
      const takes = allowed.length > 0 ? `it takes ${allowed.join(', ')}` : 'it takes no parameters';
      throw new ConfigError(keyPath, `does not apply to ${name} (${takes})`);
    }
    const configKey = key as ConfigKey;
    if (configKey === 'mode') {
      if (!FAN_MODES.includes(value as FanMode)) throw new ConfigError(keyPath, `must be one of ${FAN_MODES.join(', ')}, got ${JSON.stringify(value)}`);
      result.mode = value as FanMode;
    } else if (configKey === 'distribution') {
      if (!DISTRIBUTIONS.includes(value as Distribution)) {
        throw new ConfigError(keyPath, `must be one of ${DISTRIBUTIONS.join(', ')}, got ${JSON.stringify(value)}`);
      }
      result.distribution = value as Distribution;
    } else if (POSITIVE_NUMBER_KEYS.includes(configKey)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new ConfigError(keyPath, `must be a positive number, got ${JSON.stringify(value)}`);
      }
      result[configKey as 'scale' | 'gain' | 'limit' | 'stddev' | 'b'] = value;
    }
  }
  return result;
}

/**
 * A short human-readable form for logs, summaries and plot legends:
 * 'he_normal(fan_in)', 'variance_scaling(laplace, fan_in, scale=2)', 'laplace(b=0.05)',
 * 'uniform(glorot variance)' (a plain distribution without its parameter), 'orthogonal(gain=2)'.
 */
export function describeInitializer(spec: InitializerSpec): string {
  const config = parseInitializer(spec);
  const gain = config.gain !== undefined && config.gain !== 1 ? `gain=${formatNumber(config.gain)}` : null;
  const withArguments = (...parts: Array<string | null>): string => {
    const present = parts.filter((part): part is string => part !== null);
    return present.length > 0 ? `${config.name}(${present.join(', ')})` : config.name;
  };

  const name = config.name;
  if (isVarianceScalingPreset(name)) {
    const preset = VARIANCE_SCALING_PRESETS[name];
    const scale = config.scale !== undefined && config.scale !== preset.scale ? `scale=${formatNumber(config.scale)}` : null;
    return withArguments(config.mode ?? preset.mode, scale, gain);
  }
  switch (name) {
    case 'variance_scaling':
      return withArguments(
        config.distribution ?? VARIANCE_SCALING_DEFAULTS.distribution,
        config.mode ?? VARIANCE_SCALING_DEFAULTS.mode,
        `scale=${formatNumber(config.scale ?? VARIANCE_SCALING_DEFAULTS.scale)}`,
        gain,
      );
    case 'truncated_normal':
    case 'normal':
      return withArguments(config.stddev !== undefined ? `stddev=${formatNumber(config.stddev)}` : 'glorot variance', gain);
    case 'uniform':
    case 'rademacher':
      return withArguments(config.limit !== undefined ? `limit=${formatNumber(config.limit)}` : 'glorot variance', gain);
    case 'laplace':
      return withArguments(config.b !== undefined ? `b=${formatNumber(config.b)}` : 'glorot variance', gain);
    case 'orthogonal':
    case 'zeros':
    case 'ones':
      return withArguments(gain);
  }
}

function formatNumber(value: number): string {
  return String(Number(value.toPrecision(4)));
}
