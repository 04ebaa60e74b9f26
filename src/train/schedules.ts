import { ConfigError } from '../util/errors.ts';

/**
 * Learning-rate schedules, configured by name and defined in epochs, evaluated per optimizer step:
 *
 *   const lrAt = createSchedule({ name: 'cosine', lr: 1e-3, epochs: 200, minLr: 1e-5, warmupEpochs: 5 });
 *   optimizer.step(params, grads, lrAt(step, stepsPerEpoch));
 *
 *   constant    lr
 *   cosine      minLr + (lr − minLr)·(1 + cos(π·p))/2, p = (t − warmup)/(epochs − warmup) ∈ [0, 1]
 *   step        max(minLr, lr·gamma^⌊t / everyEpochs⌋)              (PointNet: 0.7 every 20 epochs)
 *   piecewise   values[i] on [boundaries[i−1], boundaries[i]) epochs
 *
 * t is the time in epochs. `updateEvery: 'step'` (default) uses the fractional epoch
 * step / stepsPerEpoch, so the rate moves smoothly within an epoch; `updateEvery: 'epoch'` uses
 * whole epochs, so it changes only at epoch boundaries (the usual PyTorch per-epoch
 * `scheduler.step()`).
 *
 * `warmupEpochs` (any schedule) ramps the rate linearly from lr/warmupUnits up to the schedule's
 * value over the first epochs, counting the current unit, so the very first update is not zero.
 * A cosine decays over the epochs after its warm-up.
 */
export type LearningRateSchedule = (step: number, stepsPerEpoch: number) => number;

export type ScheduleUpdate = 'step' | 'epoch';

interface ScheduleCommon {
  warmupEpochs?: number;
  updateEvery?: ScheduleUpdate;
}

export interface ConstantScheduleConfig extends ScheduleCommon {
  name: 'constant';
  lr: number;
}

export interface CosineScheduleConfig extends ScheduleCommon {
  name: 'cosine';
  /** The peak rate, reached at the end of warm-up. */
  lr: number;
  /** Total length, warm-up included; the rate stays at minLr afterwards. */
  epochs: number;
  minLr?: number;
}

export interface StepScheduleConfig extends ScheduleCommon {
  name: 'step';
  lr: number;
  everyEpochs: number;
  gamma: number;
  minLr?: number;
}

export interface PiecewiseScheduleConfig extends ScheduleCommon {
  name: 'piecewise';
  /** Increasing epochs where the rate changes. */
  boundaries: number[];
  /** One more than boundaries. */
  values: number[];
}

export type ScheduleConfig = ConstantScheduleConfig | CosineScheduleConfig | StepScheduleConfig | PiecewiseScheduleConfig;

export const SCHEDULE_NAMES = ['constant', 'cosine', 'step', 'piecewise'] as const;

const KEYS: Record<ScheduleConfig['name'], readonly string[]> = {
  constant: ['lr'],
  cosine: ['lr', 'epochs', 'minLr'],
  step: ['lr', 'everyEpochs', 'gamma', 'minLr'],
  piecewise: ['boundaries', 'values'],
};
const COMMON_KEYS = ['name', 'warmupEpochs', 'updateEvery'];

/** Validates a schedule config (ConfigError naming the key path) and returns it with defaults. */
export function parseScheduleConfig(raw: unknown, path = 'schedule'): ScheduleConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(path, `expected an object like { name: 'cosine', lr: 0.001, epochs: 200 }, got ${JSON.stringify(raw)}`);
  }
  const fields = raw as Record<string, unknown>;
  const name = fields['name'];
  if (typeof name !== 'string' || !Object.hasOwn(KEYS, name)) {
    throw new ConfigError(`${path}.name`, `unknown schedule ${JSON.stringify(name)}; choose one of ${SCHEDULE_NAMES.join(', ')}`);
  }
  const kind = name as ScheduleConfig['name'];
  const allowed = [COMMON_KEYS[0]!, ...KEYS[kind], ...COMMON_KEYS.slice(1)];
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) throw new ConfigError(`${path}.${key}`, `unknown key for the ${kind} schedule (it takes ${allowed.slice(1).join(', ')})`);
  }

  const positive = (key: string, fallback?: number): number => {
    const value = fields[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`${path}.${key}`, value === undefined ? 'missing (a positive number)' : `must be a positive number, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const nonNegative = (key: string, fallback: number): number => {
    const value = fields[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(`${path}.${key}`, `must be a number ≥ 0, got ${JSON.stringify(value)}`);
    }
    return value;
  };

  const updateEvery = fields['updateEvery'] ?? 'step';
  if (updateEvery !== 'step' && updateEvery !== 'epoch') {
    throw new ConfigError(`${path}.updateEvery`, `must be 'step' or 'epoch', got ${JSON.stringify(updateEvery)}`);
  }
  const common: { warmupEpochs: number; updateEvery: ScheduleUpdate } = { warmupEpochs: nonNegative('warmupEpochs', 0), updateEvery };

  switch (kind) {
    case 'constant':
      return { name: kind, lr: positive('lr'), ...common };
    case 'cosine': {
      const config = { name: kind, lr: positive('lr'), ...common, epochs: positive('epochs'), minLr: nonNegative('minLr', 0) };
      if (config.minLr > config.lr) throw new ConfigError(`${path}.minLr`, `must not exceed lr (${config.lr}), got ${config.minLr}`);
      if (config.warmupEpochs >= config.epochs) {
        throw new ConfigError(`${path}.warmupEpochs`, `must be less than epochs (${config.epochs}), got ${config.warmupEpochs}`);
      }
      return config;
    }
    case 'step': {
      const gamma = positive('gamma');
      if (gamma > 1) throw new ConfigError(`${path}.gamma`, `must be in (0, 1], got ${gamma}`);
      return { name: kind, lr: positive('lr'), ...common, everyEpochs: positive('everyEpochs'), gamma, minLr: nonNegative('minLr', 0) };
    }
    case 'piecewise': {
      const boundaries = numberList(fields['boundaries'], `${path}.boundaries`);
      const values = numberList(fields['values'], `${path}.values`);
      boundaries.forEach((epoch, i) => {
        if (!(epoch > (i === 0 ? 0 : boundaries[i - 1]!))) {
          throw new ConfigError(`${path}.boundaries.${i}`, `boundaries must be positive and increasing, got ${JSON.stringify(boundaries)}`);
        }
      });
      values.forEach((value, i) => {
        if (!(value > 0)) throw new ConfigError(`${path}.values.${i}`, `must be a positive number, got ${value}`);
      });
      if (values.length !== boundaries.length + 1) {
        throw new ConfigError(`${path}.values`, `needs one more entry than boundaries (${boundaries.length + 1}), got ${values.length}`);
      }
      return { name: kind, ...common, boundaries, values };
    }
  }
}

function numberList(value: unknown, path: string): number[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'number' && Number.isFinite(item))) {
    throw new ConfigError(path, `must be a list of numbers, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}

/** The schedule as a function of the global step (0-based) and the number of steps per epoch. */
export function createSchedule(config: ScheduleConfig, path = 'schedule'): LearningRateSchedule {
  const schedule = parseScheduleConfig(config, path);
  const warmupEpochs = schedule.warmupEpochs ?? 0;
  const perEpoch = schedule.updateEvery === 'epoch';

  return (step: number, stepsPerEpoch: number): number => {
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`schedule step must be an integer ≥ 0, got ${step}`);
    if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) throw new RangeError(`stepsPerEpoch must be an integer ≥ 1, got ${stepsPerEpoch}`);
    const epochs = perEpoch ? Math.floor(step / stepsPerEpoch) : step / stepsPerEpoch;
    // One update unit (a step or an epoch) in epochs: warm-up counts the current unit as done.
    const unit = perEpoch ? 1 : 1 / stepsPerEpoch;
    const warmup = warmupEpochs > 0 ? Math.min(1, (epochs + unit) / warmupEpochs) : 1;
    return warmup * rateAt(schedule, epochs, warmupEpochs);
  };
}

/** The schedule's rate at time `epochs`, before warm-up scaling. */
function rateAt(schedule: ScheduleConfig, epochs: number, warmupEpochs: number): number {
  switch (schedule.name) {
    case 'constant':
      return schedule.lr;
    case 'cosine': {
      const minLr = schedule.minLr ?? 0;
      const progress = Math.min(1, Math.max(0, (epochs - warmupEpochs) / (schedule.epochs - warmupEpochs)));
      return minLr + ((schedule.lr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
    case 'step':
      return Math.max(schedule.minLr ?? 0, schedule.lr * schedule.gamma ** Math.floor(epochs / schedule.everyEpochs));
    case 'piecewise': {
      let index = 0;
      while (index < schedule.boundaries.length && epochs >= schedule.boundaries[index]!) index++;
      return schedule.values[index]!;
    }
  }
}
