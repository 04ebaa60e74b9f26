import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/data/formats/npy.ts';
import { parsePly, plyToPointCloud } from '../../src/data/formats/ply/index.ts';

/**
 * Every packed model of the zoo loads and classifies a user's cloud through `bitpoint predict`,
 * and has its card beside it. The cloud is in raw units (radius 500, off-centre): predict
 * normalizes it as training did.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');
const zoo = join(repo, 'models');
const models = readdirSync(zoo).filter((name) => name.endsWith('.bitpoint'));

describe('model zoo', () => {
  it('has at least one model, each with a card', () => {
    expect(models.length).toBeGreaterThan(0);
    for (const model of models) expect(readFileSync(join(zoo, model.replace(/\.bitpoint$/, '.md')), 'utf8')).toMatch(/test accuracy/);
  });

  it.each(models)('%s classifies a NumPy cloud through predict --model', (model) => {
    const work = mkdtempSync(join(tmpdir(), 'bitpoint-zoo-'));
    const points = new Float32Array(1024 * 3);
    for (let i = 0; i < 1024; i++) {
      // A box of 2 × 1 × 0.5 units, scaled by 500 and moved away from the origin.
      points[3 * i] = 1000 + 500 * (((i * 7919) % 1000) / 500 - 1);
      points[3 * i + 1] = -300 + 250 * (((i * 104729) % 1000) / 500 - 1);
      points[3 * i + 2] = 125 * (((i * 15485863) % 1000) / 500 - 1);
    }
    const input = join(work, 'box.npy');
    writeFileSync(input, writeNpy(points, [1024, 3]));
    const out = join(work, 'box-pred.ply');
    const result = spawnSync(process.execPath, [cli, 'predict', '--model', join(zoo, model), '--input', input, '--out', out, '--json'], { cwd: repo, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(JSON.stringify(summary)).toMatch(/classification|class/);
    const cloud = plyToPointCloud(parsePly(readFileSync(out), out), out);
    expect(cloud.points.length).toBe(1024 * 3);
    expect(cloud.colors?.length).toBe(1024 * 3);
  });
});
