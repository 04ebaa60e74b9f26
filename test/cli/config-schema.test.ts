import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../src/compress/resolve.ts';
import { parseStudy, readStudyFile } from '../../src/experiments/study.ts';
import { CONFIG_SCHEMAS, jsonSchemaOf } from '../../src/schemas.ts';
import { parseRunConfig } from '../../src/train/run-config.ts';
import { RunConfigSchema } from '../../src/train/run-config-schema.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bitpoint-config-schema-'));

describe('JSON Schemas', () => {
  it.each(Object.keys(CONFIG_SCHEMAS))('schemas/%s.schema.json is what the zod schema generates (run `npm run schemas` after changing one)', (name) => {
    expect(readFileSync(join(repo, 'schemas', `${name}.schema.json`), 'utf8')).toBe(jsonSchemaOf(name as keyof typeof CONFIG_SCHEMAS));
  });

  it('the run-config schema carries the ranges and rejects unknown keys', () => {
    const schema = JSON.parse(jsonSchemaOf('run-config'));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.epochs).toEqual({ type: 'integer', minimum: 1, maximum: 100000 });
    expect(schema.properties.batchSize).toEqual({ type: 'integer', minimum: 1, maximum: 65536 });
    expect(schema.required).toEqual(['model']);
  });

  it('every study file points at the study schema, and it does not change what the study plans', () => {
    for (const file of ['bit-width', 'compression-table', 'modelnet40']) {
      const path = join(repo, 'experiments', `${file}.json`);
      const raw = JSON.parse(readFileSync(path, 'utf8'));
      expect(raw.$schema).toBe('../schemas/study.schema.json');
      const { $schema: _ignored, ...without } = raw;
      expect(readStudyFile(path)).toEqual(parseStudy(without));
    }
  });
});

describe('run configs checked against the schema', () => {
  const error = (raw: unknown) => {
    try {
      parseRunConfig(raw);
    } catch (caught) {
      return (caught as Error).message;
    }
    throw new Error('accepted');
  };

  it('gives every number a sane range (issue 28)', () => {
    expect(error({ model: 'pointnet', epochs: 1e300 })).toBe('config epochs: must be an integer from 1 to 100000, got 1e+300');
    expect(error({ model: 'pointnet', batchSize: 100000 })).toBe('config batchSize: must be an integer from 1 to 65536, got 100000');
    expect(error({ model: 'pointnet', points: 2e6 })).toBe('config points: must be an integer from 1 to 1000000, got 2000000');
    expect(error({ model: 'pointnet', schedule: { name: 'cosine', lr: 0 } })).toBe('config schedule.lr: must be a number > 0 and ≤ 10, got 0');
    expect(error({ model: 'pointnet', schedule: { name: 'cosine', lr: 50 } })).toBe('config schedule.lr: must be a number > 0 and ≤ 10, got 50');
  });

  it('an unknown key lists every valid key, distill included', () => {
    const message = error({ model: 'pointnet', epohcs: 3 });
    expect(message).toMatch(/^config epohcs: unknown key \(valid keys: \$schema, name, model, modelOptions, dataset, points/);
    for (const key of Object.keys(RunConfigSchema.shape)) expect(message).toContain(key);
    expect(message).toContain('distill');
    expect(error({ model: 'pointnet', distill: { run: 'runs/fp', temprature: 2 } })).toBe('config distill.temprature: unknown key (valid keys: run, checkpoint, weight, temperature)');
  });

  it('names the key and clips the value of a wrong type', () => {
    expect(error({ model: 'pointnet', normals: 'yes' })).toBe("config normals: must be true or false, got 'yes'");
    const huge = error({ model: 'pointnet', sampling: 'x'.repeat(1_000_000) });
    expect(huge.length).toBeLessThan(200);
    expect(huge).toBe(`config sampling: must be one of random, fps, got '${'x'.repeat(80)}…'`);
  });

  it('a $schema key is ignored: the parsed config is the same object', () => {
    expect(parseRunConfig({ $schema: '../schemas/run-config.schema.json', model: 'pointnet', epochs: 3 })).toEqual(parseRunConfig({ model: 'pointnet', epochs: 3 }));
  });

  it('a run name that cannot be a folder is refused up front', () => {
    expect(error({ model: 'pointnet', name: 'a'.repeat(300) })).toMatch(/^config name: must be at most 100 characters \(it names a folder\), got 'a{80}…'$/);
    expect(error({ model: 'pointnet', name: '../escape' })).toMatch(/^config name: must start with a letter or digit/);
  });

  it('a policy file is checked with its file in the key path', () => {
    const file = join(work, 'policy.json');
    writeFileSync(file, JSON.stringify({ $schema: '../schemas/policy.schema.json', extends: 'int4', layers: [{ match: '*', weigths: 'ste_sign' }] }));
    expect(() => resolvePolicy(file)).toThrow(`config compress(${file}).layers.0.weigths: unknown key (valid keys: match, weights, activations, prune, outputScale, thresholdSpread)`);
  });
});

describe('config files through the CLI', () => {
  const bitpoint = (...args: string[]) => spawnSync(process.execPath, [join(repo, 'bin/bitpoint.js'), ...args], { cwd: work, encoding: 'utf8' });

  it('a JSON syntax error names the line and column, exit 1', () => {
    const file = join(work, 'broken.json');
    writeFileSync(file, '{\n  "model": "pointnet",\n  "epochs" 3\n}\n');
    const result = bitpoint('train', '--config', file);
    expect(result.status).toBe(1);
    // the file as given, relative to the working folder (absolute paths only with --debug)
    expect(result.stderr).toBe('bitpoint: broken.json (line 3, column 12): not valid JSON: Unexpected number\n');
  });

  it('a bad study file names the file and the key path', () => {
    const file = join(work, 'study.json');
    writeFileSync(file, JSON.stringify({ name: 's', question: 'q', tasks: [{ model: 'pointnet' }], methods: [{ label: 'fp', bits: 64 }] }));
    const result = bitpoint('sweep', file, '--dry-run');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('bitpoint: study.json: methods.0.bits: must be a number from 0 to 32, got 64\n');
  });
});
