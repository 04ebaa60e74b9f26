import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePly, plyToPointCloud } from '../../src/data/formats/ply/index.ts';
import { readPredictionIndex } from '../../src/experiments/prediction-index.ts';
import { DEMO_CAVEAT } from '../../src/cli/demo.ts';

/**
 * `bitpoint demo` end to end, on the bit-width study with its data sets swapped for the tiny
 * fixtures and a few steps per run: results store, report and PLY predictions land in the out
 * folder, and a second demo reuses every finished run.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');

function bitpoint(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bitpoint demo', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-demo-'));
  const out = join(work, 'demo');
  const studyFile = join(work, 'bit-width-tiny.json');

  beforeAll(() => {
    const cls = join(work, 'ModelNet-tiny');
    const seg = join(work, 'shapenet-tiny');
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), cls, { recursive: true });
    cpSync(fileURLToPath(new URL('../fixtures/datasets/shapenetcore_partanno_segmentation_benchmark_v0_normal-tiny', import.meta.url)), seg, { recursive: true });
    // The real study, with tiny data and runs.
    const study = JSON.parse(readFileSync(join(repo, 'experiments/bit-width.json'), 'utf8')) as Record<string, unknown> & { tasks: Array<Record<string, unknown>> };
    study['base'] = { points: 32, epochs: 1, batchSize: 1, workers: 0, backend: 'wasm', augment: false, schedule: { name: 'cosine', lr: 0.01 } };
    study['quick'] = { seeds: [1] };
    study.tasks = [
      { label: 'pointnet-cls', model: 'pointnet-vanilla', dataset: cls },
      { label: 'pointnet-seg', model: 'pointnet-seg', dataset: seg },
    ];
    writeFileSync(studyFile, JSON.stringify(study));
  });

  it('trains the selection, writes store, report and predictions, and reuses finished runs when rerun', async () => {
    const first = await bitpoint(['demo', '--study', studyFile, '--out', out]);
    expect(first.stderr).not.toMatch(/internal error/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/\| pointnet-cls \| fp \|/);
    expect(first.stdout).toMatch(/\| pointnet-seg \| binary \|/);
    expect(first.stdout).toMatch(/ordering: /);
    // the table is the pipeline's, not the methods' accuracy, and it says so
    expect(first.stdout).toContain(DEMO_CAVEAT);
    expect(first.stdout).toMatch(/runs: +6 trained now, 0 reused, 0 failed/);
    expect(first.stdout).toContain(join(out, 'report', 'index.html'));

    const sqlite = new Database(join(out, 'results.sqlite'), { readonly: true });
    const rows = sqlite.prepare(`SELECT name, status, study FROM runs ORDER BY rowid`).all() as Array<{ name: string; status: string; study: string }>;
    sqlite.close();
    expect(rows.map((r) => r.name)).toEqual([
      'pointnet-cls__fp__s1',
      'pointnet-cls__int4__s1',
      'pointnet-cls__ternary__s1',
      'pointnet-cls__binary__s1',
      'pointnet-seg__fp__s1',
      'pointnet-seg__binary__s1',
    ]);
    expect(rows.every((r) => r.status === 'completed' && r.study === 'demo')).toBe(true);

    const report = readdirSync(join(out, 'report'));
    expect(report).toEqual(expect.arrayContaining(['index.html', 'report.md', 'accuracy-vs-bits.svg', 'curves-pointnet-cls.svg', 'curves-pointnet-seg.svg']));

    // Predictions: per shape and model, ground truth and prediction per point; probabilities for classifiers.
    const predictions = join(out, 'predictions');
    const read = readPredictionIndex(JSON.parse(readFileSync(join(predictions, 'index.json'), 'utf8')), 'index.json');
    expect(read.warnings).toEqual([]);
    const index = read.index!.entries;
    const segEntry = index.find((p) => p.task_label === 'pointnet-seg' && p.method === 'binary')!;
    const seg = plyToPointCloud(parsePly(readFileSync(join(predictions, segEntry.file)), segEntry.file), segEntry.file);
    expect(Object.keys(seg.attributes ?? {})).toContain('pred');
    expect(seg.labels ?? seg.attributes?.['label']).toBeDefined();
    const clsEntry = index.find((p) => p.task_label === 'pointnet-cls' && p.method === 'ternary')!;
    const cls = plyToPointCloud(parsePly(readFileSync(join(predictions, clsEntry.file)), clsEntry.file), clsEntry.file);
    expect(Object.keys(cls.attributes ?? {})).toEqual(expect.arrayContaining(['pred', 'prob_box', 'prob_cone']));
    expect(index.filter((p) => p.task_label === 'pointnet-cls')).toHaveLength(2 * 4); // 2 test shapes (one per class) × 4 models
    // Each entry carries the run's facts, so the viewer needs no names: bits, sparsity, size, reference, names.
    expect(segEntry).toMatchObject({ task: 'segmentation', model: 'binary', reference: 'fp', weight_bits: 1, activation_bits: 1, category: expect.any(String), parts: expect.any(Array) });
    expect(segEntry.packed_bytes).toBeGreaterThan(0);
    expect(segEntry.sparsity).toBeGreaterThanOrEqual(0);
    expect(clsEntry).toMatchObject({ task: 'classification', weight_bits: 1.58, activation_bits: 32, reference: 'fp', class_names: expect.arrayContaining(['box', 'cone']) });
    // The reference's file first in each shape: the viewer's panel order.
    expect(index.find((p) => p.task_label === 'pointnet-cls')!.method).toBe('fp');

    const second = await bitpoint(['demo', '--study', studyFile, '--out', out]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/runs: +0 trained now, 6 reused, 0 failed/);
    expect(existsSync(join(out, 'report', 'index.html'))).toBe(true);
  }, 600_000);
});
