import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { resultsTable } from '../../src/experiments/report/index.ts';
import { aggregate } from '../../src/experiments/report/aggregate.ts';
import { ResultsStore, STORE_SCHEMA_VERSION, type CompletedOutcome } from '../../src/experiments/store.ts';
import { expandStudy, parseStudy } from '../../src/experiments/study.ts';

/**
 * Runs with a validation hold-out record its metric in the store (schema version 2), the report
 * shows it next to the test metric, and a version-1 file (before the column) is upgraded in place
 * without losing its runs. Version 3 adds each epoch's flip ratio, upgraded the same way.
 */
const study = parseStudy({
  name: 'lr',
  question: 'Which fine-tuning learning rate?',
  base: { points: 64, epochs: 2, validation: 0.2 },
  tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: 'synth-cls' }],
  methods: [
    { label: 'fp', compress: 'fp' },
    { label: 'int4', compress: 'int4', bits: 4, activationBits: 4 },
  ],
  seeds: [1, 2],
});

function outcome(test: number, validation: number | null): CompletedOutcome {
  const evaluation = (accuracy: number) => ({ task: 'classification' as const, samples: 100, overall_accuracy: accuracy, mean_class_accuracy: accuracy });
  return {
    task: 'classification',
    environment: { backend: 'wasm' },
    final: evaluation(test),
    ...(validation === null ? {} : { finalValidation: evaluation(validation) }),
    best: { epoch: 1, metric: validation ?? test },
    history: [],
    epochs: 2,
    durationSeconds: 1,
    compression: { packedBytes: 10, float32Bytes: 40, compressionRatio: 4, measuredSparsity: 0, summary: null },
    histograms: [],
  };
}

describe('validation metrics in the results store', () => {
  it('records each run’s validation metric and the report shows its mean next to the test metric', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bitpoint-store-')), 'results.sqlite');
    const store = ResultsStore.open(file);
    const runs = expandStudy(study);
    store.plan(runs);
    const validation: Record<string, number> = { fp: 0.9, int4: 0.8 };
    for (const run of runs) {
      store.markRunning(run.configHash, `runs/${run.name}`);
      store.recordCompleted(run.configHash, outcome(0.5, validation[run.method.label]! + run.seed / 100));
    }
    const rows = store.runs({ study: 'lr' });
    store.close();
    expect(rows.map((r) => r.validation_metric)).toEqual(runs.map((r) => validation[r.method.label]! + r.seed / 100));
    const table = resultsTable(aggregate(rows, { study: 'fp' }), 'fp');
    const column = table.header.indexOf('validation (%)');
    expect(column).toBeGreaterThan(table.header.indexOf('mean ± std (%)'));
    expect(table.rows.map((row) => row[column])).toEqual(['91.50 ± 0.71', '81.50 ± 0.71']);
  });

  it('leaves the column out when no run has a hold-out', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bitpoint-store-')), 'results.sqlite');
    const store = ResultsStore.open(file);
    const runs = expandStudy(study);
    store.plan(runs);
    for (const run of runs) {
      store.markRunning(run.configHash, `runs/${run.name}`);
      store.recordCompleted(run.configHash, outcome(0.5, null));
    }
    const rows = store.runs();
    store.close();
    expect(rows.every((r) => r.validation_metric === null)).toBe(true);
    expect(resultsTable(aggregate(rows, { study: 'fp' }), 'fp').header).not.toContain('validation (%)');
  });

  it('upgrades a version-1 file in place and keeps its runs; read-only opening of one still works', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bitpoint-store-')), 'results.sqlite');
    const store = ResultsStore.open(file);
    const runs = expandStudy(study);
    store.plan(runs);
    store.markRunning(runs[0]!.configHash, 'runs/a');
    store.recordCompleted(runs[0]!.configHash, outcome(0.75, null));
    store.close();
    // What a version-1 file looks like: no validation column.
    const raw = new Database(file);
    raw.exec(`ALTER TABLE runs DROP COLUMN validation_metric; UPDATE meta SET value = '1' WHERE key = 'schema_version'`);
    raw.close();

    const old = ResultsStore.open(file, { readonly: true });
    expect(old.runs()[0]).toMatchObject({ metric: 0.75, validation_metric: null });
    old.close();

    const upgraded = ResultsStore.open(file);
    expect(upgraded.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get()).toEqual({ value: String(STORE_SCHEMA_VERSION) });
    expect(upgraded.runs()).toHaveLength(runs.length);
    expect(upgraded.runs()[0]).toMatchObject({ status: 'completed', metric: 0.75, validation_metric: null });
    upgraded.markRunning(runs[1]!.configHash, 'runs/b');
    upgraded.recordCompleted(runs[1]!.configHash, outcome(0.7, 0.6));
    expect(upgraded.runs()[1]!.validation_metric).toBe(0.6);
    upgraded.close();
  });

  it('records the flip ratio of each epoch; a version-2 file gains the column, and reads null before', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bitpoint-store-')), 'results.sqlite');
    const store = ResultsStore.open(file);
    const runs = expandStudy(study);
    store.plan(runs);
    const epoch = (n: number, flip?: number) => ({ epoch: n, train_loss: 1, train_accuracy: 0.5, learning_rate: 1e-3, samples_per_s: 10, seconds: 1, ...(flip === undefined ? {} : { flip_ratio: flip }) });
    store.markRunning(runs[0]!.configHash, 'runs/a');
    store.recordCompleted(runs[0]!.configHash, { ...outcome(0.75, null), history: [epoch(0, 2e-3), epoch(1, 5e-4)] });
    store.markRunning(runs[1]!.configHash, 'runs/b');
    store.recordCompleted(runs[1]!.configHash, { ...outcome(0.7, null), history: [epoch(0)] });
    expect(store.epochs(runs[0]!.configHash).map((e) => e.flip_ratio)).toEqual([2e-3, 5e-4]);
    // a full-precision run has no binary or ternary layers to count
    expect(store.epochs(runs[1]!.configHash).map((e) => e.flip_ratio)).toEqual([null]);
    store.close();
    // What a version-2 file looks like: no flip_ratio column.
    const raw = new Database(file);
    raw.exec(`ALTER TABLE epochs DROP COLUMN flip_ratio; UPDATE meta SET value = '2' WHERE key = 'schema_version'`);
    raw.close();
    const old = ResultsStore.open(file, { readonly: true });
    expect(old.epochs(runs[0]!.configHash).map((e) => [e.train_loss, e.flip_ratio])).toEqual([[1, null], [1, null]]);
    old.close();
    const upgraded = ResultsStore.open(file);
    expect(upgraded.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get()).toEqual({ value: String(STORE_SCHEMA_VERSION) });
    upgraded.markRunning(runs[2]!.configHash, 'runs/c');
    upgraded.recordCompleted(runs[2]!.configHash, { ...outcome(0.6, null), history: [epoch(0, 1e-3)] });
    expect(upgraded.epochs(runs[2]!.configHash)[0]!.flip_ratio).toBe(1e-3);
    expect(upgraded.epochs(runs[0]!.configHash).map((e) => e.flip_ratio)).toEqual([null, null]);
    upgraded.close();
  });

  it('refuses a file of a newer schema, naming it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bitpoint-store-')), 'results.sqlite');
    ResultsStore.open(file).close();
    const raw = new Database(file);
    raw.exec(`UPDATE meta SET value = '9' WHERE key = 'schema_version'`);
    raw.close();
    expect(() => ResultsStore.open(file)).toThrow(new RegExp(`${file.replace(/[.]/g, '\\.')}.*schema version 9, this bitpoint reads ${STORE_SCHEMA_VERSION}`));
  });
});
