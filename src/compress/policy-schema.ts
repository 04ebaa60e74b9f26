import { z } from 'zod';
import { OUTPUT_SCALE_NAMES } from './output-scale.ts';
import { PRUNING_METHODS } from './prune/masks.ts';
import { QUANTIZER_NAMES } from './quantizers/registry.ts';

/**
 * The shape of a compression policy file (policy.ts explains what each key does): key names,
 * types and ranges, from which `schemas/policy.schema.json` is generated. Rules that span keys
 * (a gradual schedule needs an end, global scope is for magnitude pruning) and each quantizer's
 * own parameters are checked by `resolvePolicy`.
 */
const fraction = z.number().min(0).max(1);
const step = z.number().int().min(0).max(1e9);

/** A quantizer: its name, or an object with its name and parameters (quantizers/registry.ts); null is full precision. */
export const QuantizerSpecSchema = z.union([
  z.null(),
  z.enum(QUANTIZER_NAMES),
  z.looseObject({ name: z.enum(QUANTIZER_NAMES) }).describe('a quantizer with its parameters (bits, perChannel, scaling, …)'),
]);

const PruningTimingSchema = z.union([
  z.enum(['one-shot', 'gradual']),
  z.strictObject({
    kind: z.enum(['one-shot', 'gradual']),
    at: fraction.optional(),
    atStep: step.optional(),
    begin: fraction.optional(),
    end: fraction.optional(),
    beginStep: step.optional(),
    endStep: step.optional(),
    initialSparsity: z.number().min(0).max(0.999).optional(),
    updates: z.number().int().min(1).max(1e6).optional(),
  }),
]);

export const PruneSpecSchema = z.strictObject({
  method: z.enum(PRUNING_METHODS as [string, ...string[]]).optional(),
  scope: z.enum(['layer', 'global']).optional(),
  sparsity: z.number().min(0).max(0.999),
  schedule: PruningTimingSchema.optional(),
});

export const PolicyRuleSchema = z.strictObject({
  match: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('layer-name glob(s), or first, last, pooled, transforms'),
  weights: QuantizerSpecSchema.optional(),
  activations: QuantizerSpecSchema.optional(),
  prune: PruneSpecSchema.nullable().optional(),
  outputScale: z.enum(OUTPUT_SCALE_NAMES as [string, ...string[]]).optional(),
  thresholdSpread: z.number().min(0).max(100).optional(),
});

export const PolicySchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).max(200).optional(),
  description: z.string().optional(),
  extends: z.string().min(1).optional().describe('a preset whose rules and switches come first'),
  layers: z.array(PolicyRuleSchema).optional(),
  model: z
    .strictObject({
      entropyMaximizingPool: z.boolean().optional(),
      hiddenActivation: z.enum(['keep', 'none']).optional(),
      realShortcuts: z.boolean().optional(),
    })
    .optional(),
});

export type PolicyInput = z.input<typeof PolicySchema>;
