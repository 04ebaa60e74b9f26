import { z } from 'zod';
import { BACKEND_REQUESTS } from '../backend/select.ts';
import { PolicySchema } from '../compress/policy-schema.ts';
import { INITIALIZER_NAMES } from '../nn/init/config.ts';
import { OPTIMIZER_NAMES } from './optimizers/config.ts';
import { RUN_CONFIG_RANGES as R, type NumericRange } from './run-config-ranges.ts';
import { SCHEDULE_NAMES } from './schedules.ts';

/**
 * The shape of a run config as written (JSON file or flags): every key, its type and its range
 * (run-config-ranges.ts), unknown keys rejected. `parseRunConfig` checks a config against it and
 * then fills in the defaults; `schemas/run-config.schema.json` is generated from it for editors.
 */
function ranged(range: NumericRange, options: { integer?: boolean } = {}): z.ZodNumber {
  let schema = options.integer ? z.number().int() : z.number();
  if (range.min !== undefined) schema = range.exclusiveMin ? schema.gt(range.min) : schema.min(range.min);
  if (range.max !== undefined) schema = schema.max(range.max);
  return schema;
}

const positive = (max: number) => z.number().gt(0).max(max);
const runReference = z.string().min(1).describe('a run folder, optionally with :best or :last');
const checkpoint = z.enum(['best', 'last']);

export const InitializerSchema = z.union([
  z.enum(INITIALIZER_NAMES as [string, ...string[]]),
  z.looseObject({ name: z.enum(INITIALIZER_NAMES as [string, ...string[]]) }).describe('an initializer with its parameters (mode, scale, gain, …)'),
]);

/** A run name: it becomes a folder name, so letters, digits, `.`, `_`, `-`, and not too long. */
export const RUN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const RUN_NAME_MAX = 100;
export const RunNameSchema = z
  .string()
  .max(RUN_NAME_MAX, `must be at most ${RUN_NAME_MAX} characters (it names a folder)`)
  .regex(RUN_NAME_PATTERN, 'must start with a letter or digit and hold only letters, digits, ., _ and - (it names a folder)');

/**
 * `partial`: a fragment of a run config (a study's base, a task's or method's config block), which
 * is merged key by key into the others, so no key is required, nested ones included.
 */
function runConfigSchema(partial: boolean) {
  const need = <T extends z.ZodType>(schema: T) => (partial ? schema.optional() : schema);
  const OptimizerSchema = z.strictObject({
    name: need(z.enum(OPTIMIZER_NAMES)),
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  epsilon: z.number().gt(0).max(1).optional(),
  weightDecay: z.number().min(0).max(10).optional(),
  decoupled: z.boolean().optional(),
  momentum: z.number().min(0).lt(1).optional(),
  nesterov: z.boolean().optional(),
});

  const ScheduleSchema = z.strictObject({
    name: need(z.enum(SCHEDULE_NAMES)),
  lr: ranged(R.lr).optional(),
  epochs: positive(R.epochs.max).optional(),
  minLr: z.number().min(0).max(R.lr.max).optional(),
  everyEpochs: positive(R.epochs.max).optional(),
  gamma: z.number().gt(0).max(1).optional(),
  boundaries: z.array(positive(R.epochs.max)).optional(),
  values: z.array(ranged(R.lr)).optional(),
  warmupEpochs: z.number().min(0).max(R.epochs.max).optional(),
  updateEvery: z.enum(['step', 'epoch']).optional(),
});

  const ClipSchema = z.strictObject({
    mode: need(z.enum(['global_norm', 'value'])),
  maxNorm: positive(1e6).optional(),
  limit: positive(1e6).optional(),
});

  const AugmentSchema = z.union([
  z.literal(false),
  z.null(),
  z.strictObject({
    rotate: z.enum(['none', 'up', 'so3']).optional(),
    jitter: z.number().min(0).max(10).optional(),
    scale: z.tuple([positive(100), positive(100)]).nullable().optional(),
    shift: z.number().min(0).max(100).optional(),
    pointDropout: z.number().min(0).max(0.99).optional(),
  }),
]);

  const InitFromSchema = z.union([runReference, z.strictObject({ run: need(z.string().min(1)), checkpoint: checkpoint.optional() })]);

  const DistillSchema = z.union([
  runReference,
  z.strictObject({
    run: need(z.string().min(1)),
    checkpoint: checkpoint.optional(),
    weight: z.number().gt(0).max(1).optional(),
    temperature: z.number().min(0.01).max(1000).optional(),
  }),
]);

  return z.strictObject({
  $schema: z.string().optional().describe('the JSON Schema this file follows (ignored by bitpoint)'),
  name: RunNameSchema.optional(),
  model: need(z.string().min(1)),
  modelOptions: z
    .strictObject({
      dropout: z.number().min(0).max(0.99).optional(),
      init: InitializerSchema.optional(),
      k: z.number().min(1).max(1024).optional(),
      // checked by parseRunConfig, whose message shows the expected form
      encoder: z.unknown().optional().describe('two lists of positive integer widths (before and after the feature T-Net), e.g. [[64, 64], [64, 128, 1024]]'),
      poolFrom: z.enum(['last', 'all']).optional(),
    })
    .optional(),
  dataset: z.string().min(1).optional(),
  points: ranged(R.points, { integer: true }).optional(),
  sampling: z.enum(['random', 'fps']).optional(),
  normals: z.boolean().optional(),
  epochs: ranged(R.epochs, { integer: true }).optional(),
  batchSize: ranged(R.batchSize, { integer: true }).optional(),
  optimizer: OptimizerSchema.optional(),
  schedule: ScheduleSchema.optional(),
  labelSmoothing: ranged(R.labelSmoothing).optional(),
  clip: ClipSchema.nullable().optional(),
  augment: AugmentSchema.optional(),
  compress: z.union([z.string().min(1), PolicySchema]).optional().describe('a preset name, a policy file, or a policy'),
  seed: ranged(R.seed, { integer: true }).optional(),
  backend: z.enum(BACKEND_REQUESTS as [string, ...string[]]).optional(),
  workers: z.union([z.literal('auto'), ranged(R.workers, { integer: true })]).optional(),
  evalEvery: ranged(R.evalEvery, { integer: true }).optional(),
  validation: ranged(R.validation).optional(),
  initFrom: InitFromSchema.nullable().optional(),
  distill: DistillSchema.optional(),
});

}

export const RunConfigSchema = runConfigSchema(false);

/** A run config as written: what `parseRunConfig` accepts. */
export type RunConfigInput = z.input<typeof RunConfigSchema>;

/** Part of a run config (a study's base, a task's or method's config): any key, none required. */
export const RunConfigFragmentSchema = runConfigSchema(true);
