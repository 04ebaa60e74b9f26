import { readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../../src/data/datasets/detect-layout.ts';
import { openModelNetOff } from '../../../src/data/datasets/modelnet-off.ts';
import { openDataset } from '../../../src/data/datasets/open.ts';
import { ConfigError } from '../../../src/util/errors.ts';
import { FIXTURES, fixtureCopy, tempDir } from './helpers.ts';

const ROOT = join(FIXTURES, 'ModelNet-tiny');

describe('ModelNet OFF layout', () => {
  it('lists class folders and each split’s .off files, ignoring other files', async () => {
    const train = await openModelNetOff(ROOT, { split: 'train', cacheDir: null });
    expect(train.classNames).toEqual(['box', 'cone']);
    expect(train.ids).toEqual(['box/train/box_0001', 'box/train/box_0002', 'cone/train/cone_0001', 'cone/train/cone_0002']);
    expect(Array.from(train.labels)).toEqual([0, 0, 1, 1]);
    const test = await openModelNetOff(ROOT, { split: 'test', cacheDir: null });
    expect(test.ids).toEqual(['box/test/box_0003', 'cone/test/cone_0003']);
    expect(await detectLayout(ROOT)).toBe('modelnet-off');
  });

  it('samples points with unit normals on the mesh surface', async () => {
    const train = await openModelNetOff(ROOT, { split: 'train', points: 500, cacheDir: null });
    const cube = await train.get(0);
    expect(cube.points.length).toBe(1500);
    expect(cube.label).toBe(0);
    for (let i = 0; i < 500; i++) {
      const coords = Array.from(cube.points.subarray(3 * i, 3 * i + 3));
      // On a face of the cube [-0.5, 0.5]³: one coordinate at ±0.5, all within.
      expect(Math.max(...coords.map(Math.abs))).toBeCloseTo(0.5, 5);
      expect(Math.hypot(...cube.normals!.subarray(3 * i, 3 * i + 3))).toBeCloseTo(1, 5);
    }
    const defaultSize = await (await openModelNetOff(ROOT, { split: 'train', cacheDir: null })).get(0);
    expect(defaultSize.points.length).toBe(2048 * 3);
  });

  it('samples each shape with its own seeded stream: same seed same points, another seed other points', async () => {
    const open = (seed: number) => openModelNetOff(ROOT, { split: 'train', points: 64, seed, cacheDir: null });
    const a = await (await open(1)).get(0);
    const b = await (await open(1)).get(0);
    const c = await (await open(2)).get(0);
    const twin = await (await open(1)).get(1); // box_0002 has the same mesh as box_0001
    expect(b.points).toEqual(a.points);
    expect(c.points).not.toEqual(a.points);
    expect(twin.points).not.toEqual(a.points);
  });

  it('caches sampled shapes in <root>/.bitpoint-cache and serves later runs from there', async () => {
    const root = await fixtureCopy('ModelNet-tiny');
    const first = await openModelNetOff(root, { split: 'train', points: 32 });
    const sample = await first.get(0);
    const cacheDir = join(root, '.bitpoint-cache', 'modelnet-off');
    expect(await readdir(cacheDir)).toHaveLength(1);

    // Same size and mtime but garbage inside: a second run must not parse the file again.
    const file = join(root, 'box', 'train', 'box_0001.off');
    const info = await stat(file);
    const original = await readFile(file, 'utf8');
    await writeFile(file, 'X'.repeat(original.length));
    await utimes(file, info.atime, info.mtime);
    const second = await openModelNetOff(root, { split: 'train', points: 32 });
    expect((await second.get(0)).points).toEqual(sample.points);

    // A changed file (new mtime) is processed again, and the broken content is reported by name.
    await utimes(file, info.atime, new Date(info.mtimeMs + 5000));
    const third = await openModelNetOff(root, { split: 'train', points: 32 });
    await expect(third.get(0)).rejects.toThrow(/box_0001\.off/);
  });

  it('keeps the cache where it is told, and nowhere with cacheDir null', async () => {
    const cacheDir = await tempDir('cache');
    const dataset = await openModelNetOff(ROOT, { split: 'test', points: 16, cacheDir });
    await dataset.get(0);
    expect(await readdir(join(cacheDir, 'modelnet-off'))).toHaveLength(1);
  });

  it('has no validation split', async () => {
    await expect(openModelNetOff(ROOT, { split: 'val' })).rejects.toThrow(ConfigError);
  });

  it('is found by path through openDataset', async () => {
    const dataset = await openDataset(ROOT, { split: 'test', cacheDir: null });
    expect(dataset).toMatchObject({ task: 'classification', layout: 'modelnet-off', name: 'ModelNet-tiny', size: 2 });
  });
});
