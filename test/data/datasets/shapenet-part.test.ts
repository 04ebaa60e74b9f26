import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../../src/data/datasets/detect-layout.ts';
import { openShapeNetPart } from '../../../src/data/datasets/shapenet-part.ts';
import { FIXTURES, fixtureCopy, lines } from './helpers.ts';

const NAME = 'shapenetcore_partanno_segmentation_benchmark_v0_normal-tiny';
const ROOT = join(FIXTURES, NAME);
const AIRPLANE = '02691156';
const MUG = '03797390';

describe('ShapeNetPart layout', () => {
  it('reads the json splits, skipping duplicates, missing files and unknown categories', async () => {
    const { log, seen } = lines();
    const train = await openShapeNetPart(ROOT, { split: 'train', logger: log, cacheDir: null });
    expect(train.ids).toEqual([`${AIRPLANE}/1a04e3eab45ca15dd86060f189eb133`, `${MUG}/10f6e09036350e92b3f21f1137c3c347`]);
    expect(Array.from(train.categories)).toEqual([0, 1]);
    expect(train.skipped.map((entry) => entry.reason)).toEqual(['duplicate', `file missing: ${AIRPLANE}/ffffffffffffffffffffffffffffffff.txt`]);
    expect(seen).toHaveLength(1);
    const test = await openShapeNetPart(ROOT, { split: 'test', logger: () => undefined, cacheDir: null });
    expect(test.size).toBe(2);
    expect(test.skipped).toEqual([{ id: '04379243/abc', reason: "unknown category: '04379243' is not in synsetoffset2category.txt" }]);
    const trainval = await openShapeNetPart(ROOT, { split: 'trainval', logger: () => undefined, cacheDir: null });
    expect(trainval.size).toBe(3);
    expect(await detectLayout(ROOT)).toBe('shapenet-part');
  });

  it('gives points, normals, global part labels and the category; uses the standard table for standard categories', async () => {
    const train = await openShapeNetPart(ROOT, { split: 'train', logger: () => undefined, cacheDir: null });
    expect(train.partTable.source).toBe('standard');
    expect(train.partTable.partCount).toBe(50);
    expect(train.partTable.categories.map((c) => [c.name, c.parts])).toEqual([['Airplane', [0, 1, 2, 3]], ['Mug', [36, 37]]]);
    expect(train.name).toBe('shapenetpart');
    const mug = await train.get(1);
    expect(mug.category).toBe(1);
    expect(mug.points.length).toBe(30);
    expect(mug.normals!.length).toBe(30);
    expect(new Set(mug.labels)).toEqual(new Set([36, 37]));
  });

  it('prefers part_table.json in the root', async () => {
    const root = await fixtureCopy(NAME);
    await writeFile(join(root, 'part_table.json'), JSON.stringify({ Airplane: [0, 1, 2, 3, 4], Mug: [36, 37] }));
    const train = await openShapeNetPart(root, { split: 'train', logger: () => undefined });
    expect(train.partTable.source).toBe('json');
    expect(train.partTable.categories[0]!.parts).toEqual([0, 1, 2, 3, 4]);
  });

  it('derives the table from the files when the categories are not standard', async () => {
    const root = await fixtureCopy(NAME);
    const categories = await readFile(join(root, 'synsetoffset2category.txt'), 'utf8');
    await writeFile(join(root, 'synsetoffset2category.txt'), categories.replace('Airplane', 'Plane'));
    const test = await openShapeNetPart(root, { split: 'test', logger: () => undefined });
    expect(test.partTable.source).toBe('data');
    // Every split's files count, so the airplane in val with part 3 is included.
    expect(test.partTable.categories.map((c) => [c.name, c.parts])).toEqual([['Plane', [0, 1, 2, 3]], ['Mug', [36, 37]]]);
    expect(test.partTable.partCount).toBe(38);
  });

  it('names the file and line of a malformed category list', async () => {
    const root = await fixtureCopy(NAME);
    await writeFile(join(root, 'synsetoffset2category.txt'), 'Airplane 02691156\nMug\n');
    await expect(openShapeNetPart(root, { split: 'train' })).rejects.toThrow(/synsetoffset2category\.txt \(line 2\)/);
  });
});
