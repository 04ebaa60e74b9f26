import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * A real sweep (tiny runs on a fixture data set) into a real SQLite file, killed with SIGKILL
 * after its first run is recorded, then resumed: every run ends up in the store exactly once, the
 * finished run is not redone, the failing run is recorded with its error and the sweep goes on.
 * Then the report: its table cell equals the mean ± std recomputed from the raw rows, and its SVG
 * figures rasterize to pictures that are not blank.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function bitpoint(args: string[], when?: (stderr: string, child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      when?.(stderr, child);
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('sweep → SQLite store → report', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-sweep-'));
  const data = join(work, 'ModelNet-tiny');
  const studyFile = join(work, 'tiny.json');
  const out = join(work, 'runs');
  const db = join(out, 'results.sqlite');
  const study = {
    name: 'tiny',
    question: 'Does a sweep survive SIGKILL and resume with every run recorded exactly once?',
    base: { dataset: undefined, points: 32, epochs: 2, batchSize: 2, workers: 0, backend: 'wasm', augment: false, schedule: { name: 'cosine', lr: 0.01 } },
    tasks: [
      { label: 'cls', model: 'pointnet-vanilla', dataset: data },
      { label: 'cls48', model: 'pointnet-vanilla', dataset: data, config: { points: 48 } },
      { label: 'broken', model: 'no-such-model', dataset: data },
    ],
    methods: [{ label: 'fp', compress: 'fp' }],
    seeds: [1, 2],
    reference: 'fp',
  };
  const expectedRuns = 3 * 2;

  beforeAll(() => {
    // A copy, because data sets write their sample cache next to the data.
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    writeFileSync(studyFile, JSON.stringify(study));
  });

  it('killed after the first recorded run and resumed, it records every run exactly once', async () => {
    // Killed after the first run is recorded, in the middle of the second (its epoch-1 checkpoint written).
    let killed = false;
    const first = await bitpoint(['sweep', studyFile, '--out', out], (stderr, child) => {
      const recorded = stderr.indexOf('recorded cls__fp__s1: completed');
      if (!killed && recorded >= 0 && /epoch 2\/2 \[/.test(stderr.slice(recorded))) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    expect(first.signal).toBe('SIGKILL');
    {
      const sqlite = new Database(db, { readonly: true });
      const rows = sqlite.prepare('SELECT name, status FROM runs ORDER BY rowid').all() as Array<{ name: string; status: string }>;
      sqlite.close();
      expect(rows).toHaveLength(expectedRuns);
      expect(rows[0]).toEqual({ name: 'cls__fp__s1', status: 'completed' });
      expect(rows[1]).toEqual({ name: 'cls__fp__s2', status: 'running' });
      expect(rows.filter((r) => r.status === 'completed')).toHaveLength(1);
    }

    // Without --resume the sweep refuses to touch existing results.
    const refused = await bitpoint(['sweep', studyFile, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already has 2 of these 6 runs.*--resume/);

    const resumed = await bitpoint(['sweep', studyFile, '--out', out, '--resume', '--json']);
    expect(resumed.code).toBe(1); // the broken task fails (recorded), the rest completes
    const summary = JSON.parse(resumed.stdout) as { total: number; completed: number; skipped: number; failed: number };
    expect(summary).toMatchObject({ total: expectedRuns, completed: 3, skipped: 1, failed: 2 });
    expect(resumed.stderr).toMatch(/sweep \[#+\.*\] \d\/6 runs/);
    expect(resumed.stderr).toMatch(/ETA \d/);
    // the half-finished run continues from its checkpoint rather than starting again
    expect(resumed.stderr).toMatch(/resuming \S*cls__fp__s2 at epoch 2, batch 1/);

    const sqlite = new Database(db, { readonly: true });
    const rows = sqlite.prepare('SELECT config_hash, name, status, attempts, error, epochs, packed_bytes FROM runs').all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(expectedRuns);
    expect(new Set(rows.map((r) => r['config_hash'])).size).toBe(expectedRuns);
    const byName = new Map(rows.map((r) => [r['name'] as string, r]));
    expect([...byName.keys()].sort()).toEqual(['broken__fp__s1', 'broken__fp__s2', 'cls48__fp__s1', 'cls48__fp__s2', 'cls__fp__s1', 'cls__fp__s2']);
    expect(byName.get('cls__fp__s1')).toMatchObject({ status: 'completed', attempts: 1 }); // not redone
    for (const name of ['cls__fp__s2', 'cls48__fp__s1', 'cls48__fp__s2']) expect(byName.get(name)).toMatchObject({ status: 'completed', epochs: 2 });
    expect(byName.get('broken__fp__s1')!['status']).toBe('failed');
    expect(byName.get('broken__fp__s1')!['error']).toMatch(/unknown model 'no-such-model'/);
    expect(Number(byName.get('cls__fp__s1')!['packed_bytes'])).toBeGreaterThan(0);
    // per-epoch metrics and weight histograms of every completed run, exactly once each
    const epochs = sqlite.prepare('SELECT config_hash, COUNT(*) AS n FROM epochs GROUP BY config_hash').all() as Array<{ n: number }>;
    expect(epochs).toHaveLength(4);
    expect(epochs.every((e) => e.n === 2)).toBe(true);
    const kinds = sqlite.prepare(`SELECT DISTINCT kind FROM histograms WHERE layer = '*' ORDER BY kind`).all() as Array<{ kind: string }>;
    expect(kinds.map((k) => k.kind)).toEqual(['effective', 'initial', 'latent']);
    expect((sqlite.pragma('journal_mode') as Array<{ journal_mode: string }>)[0]!.journal_mode).toBe('wal');
    sqlite.close();

    // A second resume has nothing left but the failed runs, which it tries again.
    const again = await bitpoint(['sweep', studyFile, '--out', out, '--resume', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ completed: 0, skipped: 4, failed: 2 });
    const check = new Database(db, { readonly: true });
    expect(check.prepare(`SELECT attempts FROM runs WHERE name = 'broken__fp__s1'`).get()).toEqual({ attempts: 2 });
    expect(check.prepare('SELECT COUNT(*) AS n FROM runs').get()).toEqual({ n: expectedRuns });
    check.close();
  }, 600_000);

  it('the report: its numbers are the store’s numbers, its figures are real pictures', async () => {
    const reportDir = join(work, 'report');
    const result = await bitpoint(['report', '--db', db, '--study', 'tiny', '--out', reportDir]);
    expect(result.code).toBe(0);
    for (const file of ['index.html', 'report.md', 'report.json']) expect(existsSync(join(reportDir, file))).toBe(true);

    // Recompute the cell of task cls48 (mean ± std over seeds, percent) from the raw rows.
    const sqlite = new Database(db, { readonly: true });
    const values = (sqlite.prepare(`SELECT overall_accuracy FROM runs WHERE task_label = 'cls48' AND status = 'completed' ORDER BY seed`).all() as Array<{ overall_accuracy: number }>).map(
      (r) => r.overall_accuracy,
    );
    sqlite.close();
    expect(values).toHaveLength(2);
    const mean = (values[0]! + values[1]!) / 2;
    const std = Math.sqrt(((values[0]! - mean) ** 2 + (values[1]! - mean) ** 2) / 1);
    const expected = `${(mean * 100).toFixed(2)} ± ${(std * 100).toFixed(2)}`;
    const markdown = readFileSync(join(reportDir, 'report.md'), 'utf8');
    const row = markdown.split('\n').find((line) => line.startsWith('| cls48 |'))!;
    expect(row).toBeDefined();
    const header = markdown.split('\n').find((line) => line.startsWith('| task |'))!.split('|').map((s) => s.trim());
    const cells = row.split('|').map((s) => s.trim());
    expect(cells[header.indexOf('mean ± std (%)')]).toBe(expected);
    expect(cells[header.indexOf('seeds')]).toBe('2');
    expect(readFileSync(join(reportDir, 'index.html'), 'utf8')).toContain(`<td>${expected}</td>`);
    expect(markdown).toMatch(/broken__fp__s1 \| failed/);

    // Every figure rasterizes to a picture with real content.
    const figures = (JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as { cells: unknown[] }).cells.length;
    expect(figures).toBe(2);
    const svgs = ['curves-cls.svg', 'curves-cls48.svg', 'weights-cls-default.svg'];
    for (const svg of svgs) {
      const png = new Resvg(readFileSync(join(reportDir, svg), 'utf8'), {
        background: '#ffffff',
        font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
      }).render();
      const pixels = png.pixels;
      let ink = 0;
      let sum = 0;
      let sumSquares = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const grey = (pixels[i]! + pixels[i + 1]! + pixels[i + 2]!) / 3;
        sum += grey;
        sumSquares += grey * grey;
        if (grey < 200) ink++;
      }
      const count = pixels.length / 4;
      const variance = sumSquares / count - (sum / count) ** 2;
      expect(png.width).toBeGreaterThan(300);
      expect(ink / count, `${svg}: fraction of drawn pixels`).toBeGreaterThan(0.01);
      expect(variance, `${svg}: pixel variance`).toBeGreaterThan(100);
    }
  }, 600_000);
});
