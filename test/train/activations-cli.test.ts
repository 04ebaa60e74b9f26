import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: 'utf8' });

describe('bitpoint activations on a trained 4-bit run', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-activations-'));
  const data = join(work, 'ModelNet-tiny');
  const runDir = join(work, 'run');

  beforeAll(() => {
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    execFileSync(
      process.execPath,
      [cli, 'train', '--model', 'pointnet-vanilla', '--compress', 'int4', '--dataset', data, '--points', '64', '--batch-size', '2', '--epochs', '1', '--workers', '0', '--out', runDir],
      { cwd: repo, stdio: 'ignore' },
    );
  });

  it('reports every 4-bit input with the accuracy eval gives', () => {
    const result = run(['activations', '--run', runDir, '--json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    const evaluation = JSON.parse(run(['eval', '--run', runDir, '--checkpoint', 'last', '--json']).stdout);
    expect(report.overall_accuracy).toBe(evaluation.overall_accuracy);
    expect(report.samples).toBe(evaluation.samples);
    // int4 leaves the first and last layer's inputs in float: the others are reported
    const names = report.layers.map((layer: { layer: string }) => layer.layer);
    expect(names).toContain('head.fc1.linear');
    expect(names).not.toContain('encoder1.0.linear');
    for (const layer of report.layers) {
      expect(layer).toMatchObject({ kind: 'uniform', quantizer: 'lsq', bits: 4 });
      expect(layer.codesUsed).toBeGreaterThan(0);
      expect(layer.codesUsed).toBeLessThanOrEqual(layer.codes[1] - layer.codes[0] + 1);
      expect(layer.codesPerChannel).toBeLessThanOrEqual(layer.codesUsed);
      expect(layer.clippedLow + layer.clippedHigh).toBeLessThanOrEqual(1);
    }
    const fc1 = report.layers.find((layer: { layer: string }) => layer.layer === 'head.fc1.linear');
    expect(fc1.channels).toBe(1024);
    expect(fc1.values).toBe(1024 * evaluation.samples); // one global feature per cloud

    const table = run(['activations', '--run', runDir]);
    expect(table.stdout).toMatch(/head\.fc1\.linear\s+lsq 4b/);
  });

  it('a bad split is a bad flag value (exit 1) that names the valid ones', () => {
    const result = run(['activations', '--run', runDir, '--split', 'validation']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("bitpoint: --split 'validation': must be one of test, train\n");
  });
});
