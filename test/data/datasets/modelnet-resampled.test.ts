import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../../src/data/datasets/detect-layout.ts';
import { openModelNetResampled } from '../../../src/data/datasets/modelnet-resampled.ts';
import { FIXTURES, lines } from './helpers.ts';

const ROOT = join(FIXTURES, 'modelnet40_normal_resampled-tiny');

describe('ModelNet resampled layout', () => {
  it('survives an untidy split list and reports every entry it skipped, in one warning', async () => {
    const { log, seen } = lines();
    const train = await openModelNetResampled(ROOT, { split: 'train', logger: log, cacheDir: null });
    expect(train.ids).toEqual(['airplane_0001', 'airplane_0002', 'night_stand_0001', 'night_stand_0002']);
    expect(Array.from(train.labels)).toEqual([0, 0, 1, 1]);
    expect(train.classNames).toEqual(['airplane', 'night_stand']);
    expect(train.skipped).toEqual([
      { id: 'airplane_0001', reason: 'duplicate' },
      { id: 'sofa_0001', reason: "unknown class: 'sofa' is not in modelnet40_shape_names.txt" },
      { id: 'airplane_0099', reason: 'file missing: airplane/airplane_0099.txt' },
    ]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/modelnet40 train .*skipped 3 of 7 entries/);
    expect(await detectLayout(ROOT)).toBe('modelnet-resampled');
  });

  it('reads x,y,z,nx,ny,nz rows and keeps the first `points` of them', async () => {
    const train = await openModelNetResampled(ROOT, { split: 'train', points: 5, cacheDir: null });
    const sample = await train.get(2);
    expect(sample.id).toBe('night_stand_0001');
    expect(sample.label).toBe(1);
    const firstRow = (await readFile(join(ROOT, 'night_stand', 'night_stand_0001.txt'), 'utf8')).split('\n')[0]!.split(',').map(Number);
    expect(Array.from(sample.points.subarray(0, 3))).toEqual(firstRow.slice(0, 3).map(Math.fround));
    expect(sample.points.length).toBe(15);
    expect(Array.from(sample.normals!.subarray(0, 3))).toEqual([0, 1, 0]);
    const all = await (await openModelNetResampled(ROOT, { split: 'train', cacheDir: null })).get(2);
    expect(all.points.length).toBe(12 * 3);
  });

  it('opens the test list too', async () => {
    const test = await openModelNetResampled(ROOT, { split: 'test', cacheDir: null });
    expect(test.ids).toEqual(['airplane_0003']);
    expect(test.skipped).toEqual([]);
  });
});
