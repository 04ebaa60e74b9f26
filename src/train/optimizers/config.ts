import { ConfigError } from '../../util/errors.ts';

/**
 * Optimizer configs as written in experiment files, and their validation. Every field but the
 * name is optional; `parseOptimizerConfig` fills the defaults and names the key path of a bad
 * value (`optimizer.beta2`).
 *
 *   { name: 'adam' }                                      // β 0.9/0.999, ε 1e-8, no decay
 *   { name: 'adam', weightDecay: 1e-4 }                   // L2 penalty: wd·θ added to the gradient
 *   { name: 'adamw', weightDecay: 0.01 }                  // = adam with decoupled: true
 *   { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 }
 */
export interface AdamConfig {
  name: 'adam';
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /**
   * false (default): weight decay is an L2 penalty folded into the gradient, so Adam's scaling
   * applies to it. true: AdamW (Loshchilov & Hutter 2019), θ ← θ − lr·wd·θ beside the Adam step.
   */
  decoupled?: boolean;
}

/** AdamW shorthand: Adam with decoupled weight decay, 0.01 by default (PyTorch's). */
export interface AdamWConfig {
  name: 'adamw';
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

export interface SgdConfig {
  name: 'sgd';
  /** Heavy-ball momentum; 0.9 by default (the PointNet/DGCNN recipes), 0 for plain SGD. */
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty: wd·θ added to the gradient. */
  weightDecay?: number;
}

export type OptimizerConfig = AdamConfig | AdamWConfig | SgdConfig;

export type ResolvedAdamConfig = Required<AdamConfig>;
export type ResolvedSgdConfig = Required<SgdConfig>;
export type ResolvedOptimizerConfig = ResolvedAdamConfig | ResolvedSgdConfig;

export const OPTIMIZER_NAMES = ['adam', 'adamw', 'sgd'] as const;

const ADAM_KEYS = ['name', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'decoupled'];
const SGD_KEYS = ['name', 'momentum', 'nesterov', 'weightDecay'];

/** Validates an optimizer config and fills in its defaults. */
export function parseOptimizerConfig(raw: unknown, path = 'optimizer'): ResolvedOptimizerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(path, `expected an object like { name: 'adam' }, got ${JSON.stringify(raw)}`);
  }
  const fields = raw as Record<string, unknown>;
  const name = fields['name'];
  if (name !== 'adam' && name !== 'adamw' && name !== 'sgd') {
    throw new ConfigError(`${path}.name`, `unknown optimizer ${JSON.stringify(name)}; choose one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
  const allowed = name === 'sgd' ? SGD_KEYS : name === 'adamw' ? ADAM_KEYS.filter((key) => key !== 'decoupled') : ADAM_KEYS;
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) throw new ConfigError(`${path}.${key}`, `unknown key for ${name} (it takes ${allowed.slice(1).join(', ')})`);
  }
  const read = fieldReader(fields, path);

  if (name === 'sgd') {
    const momentum = read.number('momentum', 0.9, { min: 0, below: 1 });
    const nesterov = read.boolean('nesterov', false);
    if (nesterov && momentum === 0) throw new ConfigError(`${path}.nesterov`, 'Nesterov momentum needs momentum > 0');
    return { name, momentum, nesterov, weightDecay: read.number('weightDecay', 0, { min: 0 }) };
  }
  return {
    name: 'adam',
    beta1: read.number('beta1', 0.9, { min: 0, below: 1 }),
    beta2: read.number('beta2', 0.999, { min: 0, below: 1 }),
    epsilon: read.number('epsilon', 1e-8, { above: 0 }),
    weightDecay: read.number('weightDecay', name === 'adamw' ? 0.01 : 0, { min: 0 }),
    decoupled: name === 'adamw' ? true : read.boolean('decoupled', false),
  };
}

interface NumberBounds {
  min?: number;
  above?: number;
  below?: number;
}

function fieldReader(fields: Record<string, unknown>, path: string) {
  return {
    number(key: string, fallback: number, bounds: NumberBounds): number {
      const value = fields[key];
      if (value === undefined) return fallback;
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (bounds.min === undefined || value >= bounds.min) &&
        (bounds.above === undefined || value > bounds.above) &&
        (bounds.below === undefined || value < bounds.below);
      if (!ok) {
        const range = [
          bounds.min !== undefined ? `≥ ${bounds.min}` : null,
          bounds.above !== undefined ? `> ${bounds.above}` : null,
          bounds.below !== undefined ? `< ${bounds.below}` : null,
        ].filter((part) => part !== null);
        throw new ConfigError(`${path}.${key}`, `must be a number ${range.join(' and ')}, got ${JSON.stringify(value)}`);
      }
      return value as number;
    },
    boolean(key: string, fallback: boolean): boolean {
      const value = fields[key];
      if (value === undefined) return fallback;
      if (typeof value !== 'boolean') throw new ConfigError(`${path}.${key}`, `must be true or false, got ${JSON.stringify(value)}`);
      return value;
    },
  };
}
