import { z } from 'zod';
import { PolicySchema } from './compress/policy-schema.ts';
import { StudySchema } from './experiments/study-schema.ts';
import { RunConfigSchema } from './train/run-config-schema.ts';

/**
 * The JSON Schemas of bitpoint's config files, generated from the zod schemas that validate
 * them, for editors (`"$schema": "../schemas/study.schema.json"` in a study file gives
 * completion and range checks). `npm run schemas` writes them to schemas/; a test fails when
 * the committed files differ from what this generates.
 */
export const CONFIG_SCHEMAS = {
  'run-config': { schema: RunConfigSchema, title: 'bitpoint run config', description: 'One training run: `bitpoint train --config FILE`.' },
  policy: { schema: PolicySchema, title: 'bitpoint compression policy', description: 'Per-layer quantizers, pruning and model switches: `--compress FILE` or a run config\'s `compress`.' },
  study: { schema: StudySchema, title: 'bitpoint study', description: 'A grid of runs answering one question: `bitpoint sweep FILE`.' },
} as const;

export function jsonSchemaOf(name: keyof typeof CONFIG_SCHEMAS): string {
  const { schema, title, description } = CONFIG_SCHEMAS[name];
  const json = { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', reused: 'ref' }), title, description };
  return `${JSON.stringify(json, null, 2)}\n`;
}
