import { z } from 'zod';
import { InitializerSchema, RunConfigFragmentSchema } from '../train/run-config-schema.ts';
import { PolicySchema } from '../compress/policy-schema.ts';
import { RUN_CONFIG_RANGES } from '../train/run-config-ranges.ts';

/**
 * The shape of a study file (experiments/*.json; study.ts explains the grid): every key, its type
 * and range, unknown keys rejected; `schemas/study.schema.json` is generated from it. Config
 * blocks are partial run configs. Cross-references (a method's `from`, a quick variant's labels)
 * are checked by `parseStudy`.
 */
const label = z
  .string()
  .max(60, 'must be at most 60 characters (it names run folders)')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be letters, digits, '.', '_' or '-' (it names run folders)");
const labels = z.array(z.string().min(1));
const seeds = z.array(z.number().int().min(RUN_CONFIG_RANGES.seed.min).max(RUN_CONFIG_RANGES.seed.max)).min(1);

const TaskSchema = z.strictObject({
  label: label.optional(),
  model: z.string().min(1),
  dataset: z.string().min(1).optional(),
  config: RunConfigFragmentSchema.optional(),
  quick: RunConfigFragmentSchema.optional(),
});

const MethodSchema = z.union([
  label.describe('a preset name, as label and policy'),
  z.strictObject({
    label: label.optional(),
    compress: z.union([z.string().min(1), PolicySchema]).optional(),
    bits: z.number().min(0).max(32).optional(),
    activationBits: z.number().min(0).max(32).optional(),
    sparsity: z.number().min(0).max(0.9999).optional(),
    procedure: z.enum(['train', 'lottery-rewind', 'lottery-reinit']).optional(),
    tasks: labels.optional(),
    from: z.string().min(1).optional(),
    teacher: z.string().min(1).optional(),
    config: RunConfigFragmentSchema.optional(),
    reference: z.string().min(1).optional(),
  }),
]);

const InitializerEntrySchema = z.union([z.string().min(1), z.strictObject({ label, init: z.union([z.null(), z.literal('default'), InitializerSchema]).optional() })]);

export const StudySchema = z.strictObject({
  $schema: z.string().optional().describe('the JSON Schema this file follows (ignored by bitpoint)'),
  $comment: z.string().optional(),
  name: label,
  question: z.string().min(1),
  description: z.string().optional(),
  base: RunConfigFragmentSchema.optional(),
  tasks: z.array(TaskSchema).min(1),
  methods: z.array(MethodSchema).min(1),
  initializers: z.array(InitializerEntrySchema).min(1).optional(),
  seeds: seeds.optional(),
  reference: z.string().min(1).optional(),
  quick: z
    .strictObject({
      base: RunConfigFragmentSchema.optional(),
      tasks: labels.optional(),
      methods: labels.optional(),
      initializers: labels.optional(),
      seeds: seeds.optional(),
    })
    .optional(),
});

/** A study file as written: what `parseStudy` accepts. */
export type StudyInput = z.input<typeof StudySchema>;
