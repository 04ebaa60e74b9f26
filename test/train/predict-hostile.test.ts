import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePointCloudPcd } from '../../src/data/formats/pcd.ts';
import { parsePly, plyToPointCloud, writePointCloudPly } from '../../src/data/formats/ply/index.ts';

/** Issue 28 (c): empty, all-NaN, partly NaN and too-small clouds through `bitpoint predict`. */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: 'utf8', timeout: 300_000 });

describe('predict on clouds with missing or too few points', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-predict-hostile-'));
  const runDir = join(work, 'run');
  const packed = join(work, 'model.bitpoint');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(() => {
    const data = join(work, 'ModelNet-tiny');
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    execFileSync(process.execPath, [cli, 'train', '--model', 'pointnet-vanilla', '--dataset', data, '--points', '16', '--batch-size', '2', '--epochs', '1', '--workers', '0', '--out', runDir], { cwd: repo, stdio: 'ignore' });
    execFileSync(process.execPath, [cli, 'export', '--run', runDir, '--out', packed], { cwd: repo, stdio: 'ignore' });
  }, 600_000);

  const cloudOf = (count: number, nan: (i: number) => boolean) => ({
    points: Float32Array.from({ length: count * 3 }, (_, j) => (nan(Math.floor(j / 3)) ? NaN : Math.sin(j) * 1e4 + 5e4)),
  });

  it('a cloud with no finite points: exit 1, one line, with --run and with --model', () => {
    const input = join(work, 'holes.pcd');
    writeFileSync(input, writePointCloudPcd(cloudOf(12, () => true), { encoding: 'binary', width: 4, height: 3 }));
    for (const source of [['--run', runDir], ['--model', packed]]) {
      const result = run(['predict', ...source, '--input', input, '--out', join(work, 'x.ply')]);
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([`bitpoint: ${input}: has no finite points (all 12 have a NaN or infinite coordinate)`]);
    }
  });

  it('an empty cloud: exit 1, one line', () => {
    const input = join(work, 'empty.ply');
    writeFileSync(input, writePointCloudPly({ points: new Float32Array(0) }));
    const result = run(['predict', '--run', runDir, '--input', input, '--out', join(work, 'x.ply')]);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([`bitpoint: ${input}: has no points`]);
  });

  it('drops the non-finite points and says how many; the output holds the finite ones with predictions', () => {
    const input = join(work, 'scan.pcd');
    writeFileSync(input, writePointCloudPcd(cloudOf(24, (i) => i % 6 === 0), { encoding: 'binary_compressed', width: 6, height: 4 }));
    const out = join(work, 'scan-pred.ply');
    const result = run(['predict', '--model', packed, '--input', input, '--out', out]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`${input}: dropped 4 of 24 points with a NaN or infinite coordinate`);
    const cloud = plyToPointCloud(parsePly(readFileSync(out), out), out);
    expect(cloud.points.length / 3).toBe(20);
    expect(Array.from(cloud.points).every(Number.isFinite)).toBe(true);
    expect(cloud.attributes!['pred']!.values.length).toBe(20);
  });

  it('fewer points than the model was trained on: repeated at random, said so, output keeps the original points', () => {
    const input = join(work, 'few.ply');
    writeFileSync(input, writePointCloudPly(cloudOf(5, () => false)));
    const out = join(work, 'few-pred.ply');
    const result = run(['predict', '--run', runDir, '--input', input, '--out', out, '--json']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`${input}: the cloud has 5 points, fewer than the 16 the model was trained on: 11 repeated at random to make 16`);
    expect(JSON.parse(result.stdout).points).toBe(5);
    expect(plyToPointCloud(parsePly(readFileSync(out), out), out).points.length / 3).toBe(5);
  });
});
