import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../src/experiments/runner.ts';
import { expandStudy, parseStudy } from '../../src/experiments/study.ts';

/**
 * A sweep with a fine-tuning method (`from`) and a distilling one (`teacher`): their runs start
 * from, or learn from, the source run's last checkpoint, in the folder the store recorded; without
 * a completed source they fail, recorded, with a message that says what to run first.
 */
describe("sweep: methods that start from another method's runs", () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-sweep-from-'));
  const data = join(work, 'ModelNet-tiny');
  const study = parseStudy({
    name: 'ft',
    question: 'Does a quantized run fine-tuned from fp start from the fp weights?',
    base: { points: 32, epochs: 1, batchSize: 2, workers: 0, backend: 'wasm', augment: false, schedule: { name: 'cosine', lr: 0.01 } },
    tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: data }],
    methods: [
      { label: 'fp', compress: 'fp' },
      { label: 'int4-ft', compress: 'int4', bits: 4, activationBits: 4, from: 'fp' },
      { label: 'binary-kd', compress: 'bipointnet', bits: 1, activationBits: 1, teacher: 'fp', config: { distill: { temperature: 2 } } },
    ],
    seeds: [1],
  });

  beforeAll(() => {
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
  });

  it('runs the source first and starts the fine-tuning run from its last checkpoint', async () => {
    const out = join(work, 'runs');
    const logs: string[] = [];
    const summary = await runSweep(expandStudy(study), { outDir: out, log: (line) => logs.push(line) });
    expect(summary).toMatchObject({ total: 3, completed: 3, failed: 0 });
    const config = JSON.parse(readFileSync(join(out, 'cls__int4-ft__s1', 'config.json'), 'utf8'));
    expect(config.initFrom).toEqual({ run: join(out, 'cls__fp__s1'), checkpoint: 'last' });
    expect(logs.join('\n')).toMatch(/init: \d+ tensors from .*cls__fp__s1.*last\.safetensors; \d+ keep their initialization/);
    // The distilling run learns from the teacher's last checkpoint, in the folder the store recorded.
    const distilled = JSON.parse(readFileSync(join(out, 'cls__binary-kd__s1', 'config.json'), 'utf8'));
    expect(distilled.distill).toEqual({ run: join(out, 'cls__fp__s1'), checkpoint: 'last', weight: 1, temperature: 2 });
    expect(logs.join('\n')).toContain(`distill: teacher ${join(out, 'cls__fp__s1')} (last), weight 1, temperature 2`);
    // Resuming finds all completed: the folders' configs (with initFrom, distill) hash to the planned runs.
    const again = await runSweep(expandStudy(study), { outDir: out, resume: true, log: () => {} });
    expect(again).toMatchObject({ completed: 0, skipped: 3 });
  }, 300_000);

  it('without a completed source the run fails, recorded, naming what to run first', async () => {
    const out = join(work, 'alone');
    const withoutSource = expandStudy(study, { only: { methods: ['int4-ft', 'binary-kd'] } });
    const summary = await runSweep(withoutSource, { outDir: out, log: () => {} });
    expect(summary).toMatchObject({ total: 2, completed: 0, failed: 2 });
    expect(summary.failures[0]!.error).toMatch(/starts from cls__fp__s1 \(method 'fp'\), which has not completed in this store: run it first/);
    expect(summary.failures[1]!.error).toMatch(/distills from cls__fp__s1 \(method 'fp'\), which has not completed in this store: run it first/);
    const sqlite = new Database(summary.dbFile, { readonly: true });
    expect(sqlite.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'failed' }, { status: 'failed' }]);
    sqlite.close();
  }, 300_000);
});
