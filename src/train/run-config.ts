import { BACKEND_REQUESTS, type BackendRequest } from '../backend/select.ts';
import type { PointNetEncoderWidths } from '../models/pointnet-encoder.ts';
import type { PoolFrom } from '../models/pointnet.ts';
import { parseInitializer, type InitializerSpec } from '../nn/init/index.ts';
import { ConfigReader } from '../util/config-reader.ts';
import { checkAgainst, withoutSchemaKey } from '../util/schema.ts';
import { RunConfigSchema } from './run-config-schema.ts';
import { ConfigError } from '../util/errors.ts';
import { parseClipConfig } from './clip.ts';
import { parseOptimizerConfig } from './optimizers/index.ts';
import { parseScheduleConfig } from './schedules.ts';

/**
 * Everything that determines a training run. A run folder records the resolved config, so the
 * same config, seed and backend reproduce the same numbers.
 */
export interface AugmentConfig {
  /** 'up': random rotation about the up (y) axis; 'so3': any rotation; 'none'. */
  rotate: 'none' | 'up' | 'so3';
  /** Gaussian jitter σ per coordinate (clipped at 5σ), 0 for none. */
  jitter: number;
  /** Random anisotropic scale range [low, high]; null for none. */
  scale: [number, number] | null;
  /** Random shift range ±shift; 0 for none. */
  shift: number;
  /** Maximum fraction of points dropped (PointNet++'s point dropout); 0 for none. */
  pointDropout: number;
}

export interface RunConfig {
  name: string;
  model: string;
  modelOptions: { dropout?: number; init?: InitializerSpec; k?: number; encoder?: PointNetEncoderWidths; poolFrom?: PoolFrom };
  dataset: string;
  points: number;
  /** Points sampled from each cloud: farthest-point ('fps') or uniformly random ('random'). */
  sampling: 'random' | 'fps';
  normals: boolean;
  epochs: number;
  batchSize: number;
  optimizer: ReturnType<typeof parseOptimizerConfig>;
  schedule: ReturnType<typeof parseScheduleConfig>;
  labelSmoothing: number;
  clip: ReturnType<typeof parseClipConfig> | null;
  augment: AugmentConfig;
  /** Compression policy: a preset name, a policy file path, or a policy object. */
  compress: unknown;
  seed: number;
  backend: BackendRequest;
  /** Worker threads for data parallelism ('auto': one per extra core on single-threaded backends). */
  workers: number | 'auto';
  /** Evaluate every this many epochs (and always after the last). */
  evalEvery: number;
  /**
   * Fraction of the training split held out (stratified, the same samples for every seed) to
   * choose the best checkpoint on, instead of the test split. Absent: no hold-out, and the best
   * checkpoint is the best test evaluation. Absent rather than 0 so that configs without it keep
   * their hashes.
   */
  validation?: number;
  /**
   * Start from another run's weights instead of the initializer (fine-tuning a compressed model
   * from a full-precision or pruned one). Parameters are matched by name; quantizer parameters the
   * source lacks keep their initialization (and data-dependent ones initialize on the first batch).
   */
  initFrom: InitFromConfig | null;
  /**
   * Knowledge distillation from a trained run (src/train/distillation.ts). Absent: the labels
   * alone, and configs without it keep their hashes.
   */
  distill?: DistillConfig;
}

export interface InitFromConfig {
  /** The source run folder. */
  run: string;
  checkpoint: 'best' | 'last';
}

export const RUN_CONFIG_KEYS = [
  'name', 'model', 'modelOptions', 'dataset', 'points', 'sampling', 'normals', 'epochs', 'batchSize', 'optimizer', 'schedule',
  'labelSmoothing', 'clip', 'augment', 'compress', 'seed', 'backend', 'workers', 'evalEvery', 'validation', 'initFrom', 'distill',
] as const;

export interface DistillConfig extends InitFromConfig {
  /** w: the share of the loss that is the teacher's; 1 drops the labels. */
  weight: number;
  /** T: both distributions are softened by it. */
  temperature: number;
}

/** `"runs/fp"`, `"runs/fp:last"` or `{ "run": …, "checkpoint": …, "weight": …, "temperature": … }`. */
export function parseDistillConfig(raw: unknown, path: string): DistillConfig {
  // The folder and checkpoint are written as initFrom's are.
  if (typeof raw === 'string') return { ...parseInitFrom(raw, path)!, weight: 1, temperature: 1 };
  const r = new ConfigReader(raw, path);
  const config: DistillConfig = {
    run: r.string('run'),
    checkpoint: r.oneOf('checkpoint', ['best', 'last'] as const, { default: 'best' }),
    weight: r.number('weight', { min: 0, max: 1, default: 1 }),
    temperature: r.number('temperature', { min: 0.01, default: 1 }),
  };
  r.done();
  if (config.weight === 0) throw new ConfigError(`${path}.weight`, 'must be in (0, 1]; leave distill out to train on the labels alone');
  return config;
}

/** Validates a run config (from JSON or flags), fills defaults, and names the path of any bad key. */
export function parseRunConfig(raw: unknown, path = ''): RunConfig {
  raw = withoutSchemaKey(raw);
  // the schema checks every key's type and range; what follows fills in defaults and cross-key rules
  checkAgainst(RunConfigSchema, raw, path);
  const r = new ConfigReader(raw, path);
  const model = r.string('model');
  const dataset = r.string('dataset', { default: model.startsWith('mnist') ? 'mnist' : model.endsWith('-seg') ? 'synth-seg' : 'synth-cls' });
  const modelOptionsReader = r.child('modelOptions', { optional: true });
  const modelOptions: RunConfig['modelOptions'] = {};
  if (modelOptionsReader) {
    const dropout = modelOptionsReader.optionalNumber('dropout', { min: 0, max: 0.99 });
    if (dropout !== undefined) modelOptions.dropout = dropout;
    if (modelOptionsReader.has('init')) modelOptions.init = parseInitializer(modelOptionsReader.raw('init'), join(path, 'modelOptions.init'));
    const k = modelOptionsReader.optionalNumber('k', { min: 1 });
    if (k !== undefined) modelOptions.k = k;
    if (modelOptionsReader.has('encoder')) modelOptions.encoder = parseEncoderWidths(modelOptionsReader.raw('encoder'), model, join(path, 'modelOptions.encoder'));
    if (modelOptionsReader.has('poolFrom')) {
      if (model !== 'pointnet' && model !== 'pointnet-vanilla') throw new ConfigError(join(path, 'modelOptions.poolFrom'), `only the PointNet classifiers (pointnet, pointnet-vanilla) take poolFrom, not '${model}'`);
      modelOptions.poolFrom = modelOptionsReader.oneOf<PoolFrom>('poolFrom', ['last', 'all']);
    }
    modelOptionsReader.done();
  }
  const epochs = r.integer('epochs', { min: 1, default: 20 });
  const augment = parseAugment(r.raw('augment'), join(path, 'augment'));
  const workers = r.raw('workers');
  if (workers !== undefined && workers !== 'auto' && !(Number.isInteger(workers) && (workers as number) >= 0)) {
    throw new ConfigError(join(path, 'workers'), `must be 'auto' or an integer ≥ 0, got ${JSON.stringify(workers)}`);
  }
  const config: RunConfig = {
    name: r.string('name', { default: model }),
    model,
    modelOptions,
    dataset,
    points: r.integer('points', { min: 1, default: 1024 }),
    sampling: r.oneOf('sampling', ['random', 'fps'] as const, { default: 'random' }),
    normals: r.boolean('normals', { default: false }),
    epochs,
    batchSize: r.integer('batchSize', { min: 1, default: 32 }),
    optimizer: parseOptimizerConfig(r.raw('optimizer') ?? { name: 'adam' }, join(path, 'optimizer')),
    schedule: parseScheduleConfig(scheduleWithRunEpochs(r.raw('schedule'), epochs), join(path, 'schedule')),
    labelSmoothing: r.number('labelSmoothing', { min: 0, max: 0.5, default: 0 }),
    clip: r.has('clip') && r.raw('clip') !== null ? parseClipConfig(r.raw('clip'), join(path, 'clip')) : (r.raw('clip'), null),
    augment,
    compress: r.raw('compress') ?? 'fp',
    seed: r.integer('seed', { min: 0, default: 1 }),
    backend: r.oneOf('backend', BACKEND_REQUESTS, { default: 'auto' }),
    workers: (workers as number | 'auto' | undefined) ?? 'auto',
    evalEvery: r.integer('evalEvery', { min: 1, default: 1 }),
    validation: parseValidation(r, path),
    initFrom: parseInitFrom(r.raw('initFrom'), join(path, 'initFrom')),
  };
  if (r.has('distill')) config.distill = parseDistillConfig(r.raw('distill'), join(path, 'distill'));
  r.done();
  return config;
}

function parseValidation(r: ConfigReader, path: string): number | undefined {
  const fraction = r.optionalNumber('validation', { min: 0, max: 0.9 });
  if (fraction === 0) throw new ConfigError(join(path, 'validation'), 'must be a fraction in (0, 0.9] of the training split; leave it out for no validation set');
  return fraction;
}

/** `"runs/fp"`, `"runs/fp:last"` or `{ "run": "runs/fp", "checkpoint": "best" }`; null for none. */
export function parseInitFrom(raw: unknown, path: string): InitFromConfig | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') {
    const match = /^(.*?)(?::(best|last))?$/.exec(raw)!;
    if (!match[1]) throw new ConfigError(path, 'must name a run folder');
    return { run: match[1], checkpoint: (match[2] as 'best' | 'last' | undefined) ?? 'best' };
  }
  const r = new ConfigReader(raw, path);
  const config: InitFromConfig = { run: r.string('run'), checkpoint: r.oneOf('checkpoint', ['best', 'last'] as const, { default: 'best' }) };
  r.done();
  return config;
}

function parseAugment(raw: unknown, path: string): AugmentConfig {
  const defaults: AugmentConfig = { rotate: 'none', jitter: 0.01, scale: [0.8, 1.25], shift: 0.1, pointDropout: 0 };
  if (raw === undefined) return defaults;
  if (raw === false || raw === null) return { rotate: 'none', jitter: 0, scale: null, shift: 0, pointDropout: 0 };
  const r = new ConfigReader(raw, path);
  const scaleRaw = r.raw('scale');
  let scale = defaults.scale;
  if (scaleRaw === null) scale = null;
  else if (scaleRaw !== undefined) {
    if (!Array.isArray(scaleRaw) || scaleRaw.length !== 2 || !scaleRaw.every((v) => typeof v === 'number' && v > 0) || scaleRaw[0] > scaleRaw[1]) {
      throw new ConfigError(join(path, 'scale'), 'must be [low, high] with 0 < low ≤ high, or null');
    }
    scale = [scaleRaw[0], scaleRaw[1]];
  }
  const config: AugmentConfig = {
    rotate: r.oneOf('rotate', ['none', 'up', 'so3'] as const, { default: defaults.rotate }),
    jitter: r.number('jitter', { min: 0, default: defaults.jitter }),
    scale,
    shift: r.number('shift', { min: 0, default: defaults.shift }),
    pointDropout: r.number('pointDropout', { min: 0, max: 0.99, default: defaults.pointDropout }),
  };
  r.done();
  return config;
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

/** `modelOptions.encoder`: two non-empty lists of positive integer widths, for the PointNet models only. */
function parseEncoderWidths(raw: unknown, model: string, path: string): PointNetEncoderWidths {
  if (!model.startsWith('pointnet')) throw new ConfigError(path, `only the PointNet models take encoder widths, not '${model}'`);
  const isWidths = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((w) => Number.isInteger(w) && w >= 1);
  if (!Array.isArray(raw) || raw.length !== 2 || !isWidths(raw[0]) || !isWidths(raw[1])) {
    throw new ConfigError(path, `must be two lists of positive integer widths (before and after the feature T-Net), e.g. [[64, 64], [64, 128, 1024]]; got ${JSON.stringify(raw)}`);
  }
  return [raw[0], raw[1]];
}

/** A cosine schedule without its own `epochs` decays over the run's epochs (the default: cosine from 1e-3). */
function scheduleWithRunEpochs(raw: unknown, epochs: number): unknown {
  if (raw === undefined) return { name: 'cosine', lr: 0.001, epochs };
  const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  if (isObject && (raw as Record<string, unknown>)['name'] === 'cosine' && (raw as Record<string, unknown>)['epochs'] === undefined) return { ...raw, epochs };
  return raw;
}
