/**
 * `--compress NAME|FILE` and the `compress` key of a run config: a preset name, a path to a
 * policy JSON file, or a policy object, validated into a ResolvedPolicy (plain JSON, so a run
 * folder can record exactly what was applied).
 *
 *   const policy = resolvePolicy('bipointnet');          // preset
 *   const policy = resolvePolicy('policies/mine.json');  // file (may say "extends": "bipointnet")
 *   applyPolicy(model, policy, { rng, totalSteps });
 *
 * Node only (it reads files); the browser-safe parts are policy.ts and presets.ts.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { checkAgainst, withoutSchemaKey } from '../util/schema.ts';
import { PolicySchema } from './policy-schema.ts';
import { parsePolicy, type ResolvedPolicy } from './policy.ts';
import { PRESET_NAMES, presetPolicy } from './presets.ts';

export function resolvePolicy(spec: unknown, path = 'compress'): ResolvedPolicy {
  if (spec === undefined || spec === null) return parsePolicy(presetPolicy('fp'), path);
  if (typeof spec === 'string') {
    const preset = presetPolicy(spec);
    if (preset) return parsePolicy(preset, `${path}(${spec})`);
    if (existsSync(spec)) {
      const json = withoutSchemaKey(readJsonFile(spec));
      checkAgainst(PolicySchema, json, `${path}(${spec})`);
      return parsePolicy(json, `${path}(${spec})`);
    }
    throw new ConfigError(path, `'${spec}' is neither a compression preset (${PRESET_NAMES.join(', ')}) nor an existing policy file`);
  }
  checkAgainst(PolicySchema, spec, path);
  return parsePolicy(spec, path);
}
