import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../src/experiments/runner.ts';
import { expandStudy, parseStudy } from '../../src/experiments/study.ts';

/**
 * A method's policy can change under the same run name (a policy file edited, a preset whose rules
 * changed): the run folder's config.json still says the same thing, so only the store knows the
 * folder holds the other config. --resume must train the new config from scratch, not "continue"
 * the old run's finished checkpoint, and must keep the old run's files for its record.
 */
describe('sweep --resume after a policy changed under the same run name', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-sweep-change-'));
  const data = join(work, 'ModelNet-tiny');
  const policyFile = join(work, 'policy.json');
  const study = () =>
    parseStudy({
      name: 'change',
      question: 'Is a changed policy trained anew?',
      base: { points: 32, epochs: 1, batchSize: 2, workers: 0, backend: 'wasm', augment: false },
      tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: data }],
      methods: [{ label: 'q', compress: policyFile, bits: 4, activationBits: 4 }],
      seeds: [1],
    });

  beforeAll(() => {
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
  });

  it('moves the old run aside with its record and trains the new config', async () => {
    const out = join(work, 'runs');
    writeFileSync(policyFile, JSON.stringify({ name: 'p', extends: 'int4' }));
    const first = await runSweep(expandStudy(study()), { outDir: out, log: () => {} });
    expect(first).toMatchObject({ completed: 1 });
    const oldHash = expandStudy(study())[0]!.configHash;

    writeFileSync(policyFile, JSON.stringify({ name: 'p', extends: 'int4', layers: [{ match: 'head.fc2.linear', activations: 'fp' }] }));
    const [changed] = expandStudy(study());
    expect(changed!.configHash).not.toBe(oldHash);
    const logs: string[] = [];
    const second = await runSweep([changed!], { outDir: out, resume: true, log: (line) => logs.push(line) });
    expect(second).toMatchObject({ completed: 1, skipped: 0 });
    const text = logs.join('\n');
    expect(text).not.toMatch(/resuming/);
    const folder = join(out, 'cls__q__s1');
    const aside = `${folder}.${oldHash.slice(0, 12)}`;
    expect(text).toContain(`moved it to ${aside}`);
    expect(existsSync(join(aside, 'checkpoints', 'last.safetensors'))).toBe(true);
    // the new run trained its epoch in the folder (one epoch line of its own)
    const epochs = readFileSync(join(folder, 'metrics.jsonl'), 'utf8').trim().split('\n').filter((line) => JSON.parse(line).epoch !== undefined);
    expect(epochs.length).toBeGreaterThan(0);

    const sqlite = new Database(first.dbFile, { readonly: true });
    const rows = sqlite.prepare('SELECT config_hash, method, status, run_dir FROM runs ORDER BY run_dir').all();
    sqlite.close();
    const old = `@superseded-${new Date().toISOString().slice(0, 10)}`;
    expect(rows).toEqual([
      { config_hash: changed!.configHash, method: 'q', status: 'completed', run_dir: folder },
      { config_hash: oldHash, method: `q${old}`, status: 'completed', run_dir: aside },
    ]);
  }, 300_000);
  it('keeps a folder of another config that the store does not know (a sweep with another --db)', async () => {
    const out = join(work, 'runs-two-stores');
    writeFileSync(policyFile, JSON.stringify({ name: 'p', extends: 'int4' }));
    const [before] = expandStudy(study());
    await runSweep([before!], { outDir: out, dbFile: join(work, 'first.sqlite'), log: () => {} });
    const folder = join(out, 'cls__q__s1');
    expect(JSON.parse(readFileSync(join(folder, 'sweep-run.json'), 'utf8'))).toEqual({ config_hash: before!.configHash, name: 'cls__q__s1' });

    // config.json still says the same policy file, so only the folder's identity tells them apart
    writeFileSync(policyFile, JSON.stringify({ name: 'p', extends: 'int4', layers: [{ match: 'head.fc2.linear', activations: 'fp' }] }));
    const [after] = expandStudy(study());
    const logs: string[] = [];
    const second = await runSweep([after!], { outDir: out, dbFile: join(work, 'second.sqlite'), resume: true, log: (line) => logs.push(line) });
    expect(second).toMatchObject({ completed: 1, skipped: 0 });
    const aside = `${folder}.${before!.configHash.slice(0, 12)}`;
    expect(logs.join('\n')).toContain(`holds the run of another config (${before!.configHash.slice(0, 12)}); moved it to ${aside}`);
    expect(logs.join('\n')).not.toMatch(/resuming/);
    expect(existsSync(join(aside, 'checkpoints', 'last.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(folder, 'sweep-run.json'), 'utf8')).config_hash).toBe(after!.configHash);
  }, 300_000);
});
