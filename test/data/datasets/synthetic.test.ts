import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src/data/datasets/open.ts';
import { SYNTH_CLS_CLASSES } from '../../../src/data/datasets/synthetic/cls-classes.ts';
import { deform } from '../../../src/data/datasets/synthetic/deform.ts';
import { synthClsDifficulty } from '../../../src/data/datasets/synthetic/difficulty-report.ts';
import { ensureSyntheticData } from '../../../src/data/datasets/synthetic/ensure.ts';
import { generateSynthCls } from '../../../src/data/datasets/synthetic/generate-cls.ts';
import { surfaceArea } from '../../../src/data/datasets/synthetic/mesh-ops.ts';
import { SYNTH_SEG_CATEGORIES } from '../../../src/data/datasets/synthetic/seg-categories.ts';
import { Rng } from '../../../src/util/rng.ts';
import { tempDir } from './helpers.ts';

const SMALL = { cls: { trainPerClass: 2, testPerClass: 1 }, seg: { trainPerCategory: 2, valPerCategory: 1, testPerCategory: 1, points: 256 } };

async function filesOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      out.set(path.slice(dir.length), await readFile(path, 'utf8'));
    }
  }
  return out;
}

describe('generated meshes', () => {
  it('every class makes a valid mesh with surface, at every difficulty', () => {
    for (const shapeClass of SYNTH_CLS_CLASSES) {
      for (const difficulty of [0, 0.5, 1]) {
        const rng = new Rng(3).fork(shapeClass.name);
        const mesh = deform(shapeClass.make(rng, difficulty), rng, difficulty);
        const vertexCount = mesh.vertices.length / 3;
        expect(mesh.vertices.every(Number.isFinite)).toBe(true);
        expect(mesh.faces.every((index) => index < vertexCount)).toBe(true);
        expect(surfaceArea(mesh)).toBeGreaterThan(0.1);
      }
    }
  });

  it('every seg category gives one mesh list per named part', () => {
    for (const category of SYNTH_SEG_CATEGORIES) {
      const parts = category.make(new Rng(1).fork(category.name));
      expect(parts).toHaveLength(category.partNames.length);
      expect(parts[0]!.length).toBeGreaterThan(0);
    }
  });
});

describe('synth-cls generation', () => {
  it('writes ModelNet’s layout, numbering train shapes first, with a marker recording version and seed', async () => {
    const dir = await tempDir('synth-cls');
    const info = await generateSynthCls(dir, { seed: 4, trainPerClass: 2, testPerClass: 1 });
    expect(info).toMatchObject({ generator: 'synth-cls', seed: 4, difficulty: 0.5, version: 1 });
    expect(await readdir(join(dir, 'torus', 'train'))).toEqual(['torus_0001.off', 'torus_0002.off']);
    expect(await readdir(join(dir, 'torus', 'test'))).toEqual(['torus_0003.off']);
    expect(JSON.parse(await readFile(join(dir, 'bitpoint-synthetic.json'), 'utf8'))).toEqual(info);
    const train = await openDataset(dir, { split: 'train', cacheDir: null, points: 128 });
    expect(train).toMatchObject({ task: 'classification', layout: 'modelnet-off', size: 24 });
    expect(train.task === 'classification' && train.classNames.length).toBe(12);
  });

  it('is deterministic: the same seed gives the same files, another seed other files', async () => {
    const [a, b, c] = [await tempDir('a'), await tempDir('b'), await tempDir('c')];
    await generateSynthCls(a, { seed: 7, trainPerClass: 1, testPerClass: 1 });
    await generateSynthCls(b, { seed: 7, trainPerClass: 1, testPerClass: 1 });
    await generateSynthCls(c, { seed: 8, trainPerClass: 1, testPerClass: 1 });
    const filesA = await filesOf(a);
    expect(await filesOf(b)).toEqual(filesA);
    expect((await filesOf(c)).get('/box/train/box_0001.off')).not.toEqual(filesA.get('/box/train/box_0001.off'));
  });

  it('difficulty is one knob: descriptor k-NN accuracy drops as it rises, and stays above chance', async () => {
    const accuracy = async (difficulty: number) => {
      const dir = await tempDir(`difficulty-${difficulty}`);
      await generateSynthCls(dir, { seed: 2, difficulty, trainPerClass: 16, testPerClass: 8 });
      return (await synthClsDifficulty(dir, { points: 512 })).knnProfileAccuracy;
    };
    const easy = await accuracy(0);
    const hard = await accuracy(1);
    expect(easy).toBeGreaterThan(hard + 0.1);
    expect(hard).toBeGreaterThan(3 / 12);
  });
});

describe('ensureSyntheticData', () => {
  it('generates once, then finds the sets present; regenerates after an interruption or a new seed', async () => {
    const root = await tempDir('ensure');
    const first = await ensureSyntheticData(root, { seed: 1, ...SMALL });
    expect(first.generated).toEqual(['synth-cls', 'synth-seg']);
    expect((await ensureSyntheticData(root, { seed: 1, ...SMALL })).generated).toEqual([]);

    // A run that died before writing its marker leaves a folder that does not count.
    await rm(join(first.clsRoot, 'bitpoint-synthetic.json'));
    expect((await ensureSyntheticData(root, { seed: 1, ...SMALL })).generated).toEqual(['synth-cls']);
    expect((await ensureSyntheticData(root, { seed: 2, ...SMALL, which: ['synth-seg'] })).generated).toEqual(['synth-seg']);
    const marker = JSON.parse(await readFile(join(first.segRoot, 'bitpoint-synthetic.json'), 'utf8'));
    expect(marker).toMatchObject({ generator: 'synth-seg', seed: 2 });
  });

  it('openDataset uses a set generated with other settings instead of regenerating it', async () => {
    const syntheticRoot = await tempDir('ensure-accept');
    await ensureSyntheticData(syntheticRoot, { seed: 9, difficulty: 0.8, ...SMALL, which: ['synth-cls'] });
    const train = await openDataset('synth-cls', { split: 'train', syntheticRoot, cacheDir: null });
    expect(train.size).toBe(24);
    const marker = JSON.parse(await readFile(join(syntheticRoot, 'synth-cls', 'bitpoint-synthetic.json'), 'utf8'));
    expect(marker).toMatchObject({ seed: 9, difficulty: 0.8 });
  });

  it('cleans up temporary folders of dead runs and never shows a half-written set', async () => {
    const root = await tempDir('ensure-tmp');
    const stale = join(root, '.synth-cls.999999999.tmp');
    await mkdir(stale, { recursive: true });
    await writeFile(join(stale, 'half.off'), 'OFF');
    await ensureSyntheticData(root, { seed: 1, ...SMALL, which: ['synth-cls'] });
    expect((await readdir(root)).sort()).toEqual(['synth-cls']);
  });

  it('concurrent calls in one process generate once', async () => {
    const root = await tempDir('ensure-concurrent');
    const results = await Promise.all([ensureSyntheticData(root, { seed: 1, ...SMALL }), ensureSyntheticData(root, { seed: 1, ...SMALL })]);
    expect(results.map((result) => result.generated.length)).toEqual([2, 0]);
  });
});

describe('the default generated sets', () => {
  it('synth-seg: ShapeNetPart layout, 5 categories, 2048 points with part labels of the shape’s own category', async () => {
    const syntheticRoot = await tempDir('synth-default');
    const train = await openDataset('synth-seg', { split: 'train', syntheticRoot, cacheDir: null });
    if (train.task !== 'segmentation') throw new Error('expected a segmentation data set');
    expect(train.layout).toBe('shapenet-part');
    expect(train.partTable.source).toBe('json');
    expect(train.partTable.categories.map((c) => c.name)).toEqual(['Airplane', 'Mug', 'Lamp', 'Table', 'Chair']);
    expect(train.size).toBe(5 * 72);
    for (const index of [0, 100, 359]) {
      const sample = await train.get(index);
      expect(sample.points.length).toBe(2048 * 3);
      const allowed = new Set(train.partTable.categories[sample.category!]!.parts);
      expect(sample.labels!.every((label) => allowed.has(label))).toBe(true);
      // Every shape has at least two of its parts.
      expect(new Set(sample.labels).size).toBeGreaterThanOrEqual(2);
    }
    const val = await openDataset('synth-seg', { split: 'val', syntheticRoot, cacheDir: null });
    expect(val.size).toBe(5 * 8);
  });

  it('synth-cls: 12 classes, 80 train and 25 test shapes each', async () => {
    const syntheticRoot = await tempDir('synth-default-cls');
    const train = await openDataset('synth-cls', { split: 'train', syntheticRoot, cacheDir: null });
    const test = await openDataset('synth-cls', { split: 'test', syntheticRoot, cacheDir: null });
    expect([train.name, train.size, test.size]).toEqual(['synth-cls', 960, 300]);
  });
});
