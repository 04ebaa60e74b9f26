import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../src/backend/select.ts';
import { writeNpy } from '../../../src/data/formats/npy.ts';
import { writePointCloudPcd } from '../../../src/data/formats/pcd.ts';
import { writePointCloudPly } from '../../../src/data/formats/ply/index.ts';
import { detectLayout } from '../../../src/data/datasets/detect-layout.ts';
import { openDataset } from '../../../src/data/datasets/open.ts';
import { createModel } from '../../../src/models/registry.ts';
import { createOptimizer } from '../../../src/train/optimizers/index.ts';
import { batchStream } from '../../../src/train/pipeline.ts';
import { Trainer } from '../../../src/train/trainer.ts';
import { Rng } from '../../../src/util/rng.ts';
import { tempDir } from './helpers.ts';

/**
 * ModelNet's folder layout with point clouds instead of meshes: `<class>/{train,test}/*.npy` as
 * people export ModelNet40 from PyTorch pipelines, and a class of PLY and PCD clouds beside them.
 */

const POINTS = 32;

/** A cloud of `count` points on a sphere of `radius` around `centre`, with unit normals (N, 6). */
function sphereCloud(count: number, radius: number, centre: [number, number, number], seed: number): Float32Array {
  const rng = new Rng(seed);
  const values = new Float32Array(count * 6);
  for (let i = 0; i < count; i++) {
    const n = [rng.normal(), rng.normal(), rng.normal()];
    const length = Math.hypot(...n);
    for (let k = 0; k < 3; k++) {
      values[6 * i + k] = centre[k]! + (radius * n[k]!) / length;
      values[6 * i + 3 + k] = n[k]! / length;
    }
  }
  return values;
}

async function writeModelNetFolder(root: string): Promise<void> {
  for (const [c, className] of ['bowl', 'chair'].entries()) {
    for (const split of ['train', 'test']) {
      await mkdir(join(root, className, split), { recursive: true });
      for (let k = 1; k <= 2; k++) {
        // Raw scanner units: radius 1e5, far off the origin.
        const cloud = sphereCloud(POINTS * 2, 1e5 * (c + 1), [3e5, -2e5, 7e5], 10 * c + k);
        await writeFile(join(root, className, split, `${className}_000${k}.npy`), writeNpy(cloud, [POINTS * 2, 6]));
      }
    }
  }
  // One class as PLY point clouds (no faces): read as clouds, not sampled as meshes.
  await mkdir(join(root, 'lamp', 'train'), { recursive: true });
  const values = sphereCloud(POINTS, 1, [0, 0, 0], 99);
  const points = new Float32Array(POINTS * 3);
  const normals = new Float32Array(POINTS * 3);
  for (let i = 0; i < POINTS; i++) {
    points.set(values.subarray(6 * i, 6 * i + 3), 3 * i);
    normals.set(values.subarray(6 * i + 3, 6 * i + 6), 3 * i);
  }
  await writeFile(join(root, 'lamp', 'train', 'lamp_0001.ply'), writePointCloudPly({ points, normals }, { format: 'binary_little_endian' }));
  // A scan as PCL writes it: organized, with NaN holes that the data set drops.
  const scan = new Float32Array((POINTS + 4) * 3);
  scan.fill(NaN, 0, 12);
  scan.set(points, 12);
  await writeFile(join(root, 'lamp', 'train', 'lamp_0002.pcd'), writePointCloudPcd({ points: scan }, { encoding: 'binary_compressed', width: (POINTS + 4) / 4, height: 4 }));
}

describe('ModelNet layout of NumPy point clouds', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is detected, lists the classes and keeps the first points with their normals', async () => {
    const root = await tempDir('modelnet-npy');
    await writeModelNetFolder(root);
    expect(await detectLayout(root)).toBe('modelnet-off');
    const train = await openDataset(root, { split: 'train', points: POINTS, cacheDir: null });
    if (train.task !== 'classification') throw new Error('expected classification');
    expect(train.classNames).toEqual(['bowl', 'chair', 'lamp']);
    expect(train.ids).toEqual(['bowl/train/bowl_0001', 'bowl/train/bowl_0002', 'chair/train/chair_0001', 'chair/train/chair_0002', 'lamp/train/lamp_0001', 'lamp/train/lamp_0002']);
    const first = await train.get(0);
    expect(first.points.length).toBe(POINTS * 3);
    const source = sphereCloud(POINTS * 2, 1e5, [3e5, -2e5, 7e5], 1);
    expect(first.points[3]).toBe(source[6]); // point 1's x, as stored
    expect(first.normals![5]).toBe(source[11]); // point 1's nz
    const lamp = await train.get(4);
    expect(lamp.label).toBe(2);
    expect(lamp.points.length).toBe(POINTS * 3);
    const scan = await train.get(5);
    expect(scan.label).toBe(2);
    expect(Array.from(scan.points)).toEqual(Array.from(lamp.points)); // the 4 NaN points dropped
    const test = await openDataset(root, { split: 'test', points: POINTS, cacheDir: null });
    expect(test.size).toBe(4);
  });

  it('a cloud in raw units (radius 1e5, off-centre) reaches the model centred in the unit sphere and trains', async () => {
    const root = await tempDir('modelnet-npy');
    await writeModelNetFolder(root);
    const dataset = await openDataset(root, { split: 'train', points: POINTS, cacheDir: null });
    const config = { points: 16, sampling: 'random' as const, normals: false, augment: { rotate: 'none' as const, jitter: 0, scale: null, shift: 0, pointDropout: 0 } };
    const stream = batchStream(dataset, { batchSize: 4, seed: 1, epoch: 0, training: true, config });
    const batch = (await stream.next()).value!;
    try {
      expect(batch.inputs.shape).toEqual([4, 16, 3]);
      const values = batch.inputs.dataSync();
      for (let b = 0; b < 4; b++) {
        let radius = 0;
        const centre = [0, 0, 0];
        for (let i = 0; i < 16; i++) {
          const at = (b * 16 + i) * 3;
          radius = Math.max(radius, Math.hypot(values[at]!, values[at + 1]!, values[at + 2]!));
          for (let k = 0; k < 3; k++) centre[k]! += values[at + k]! / 16;
        }
        expect(radius).toBeCloseTo(1, 5);
        for (const c of centre) expect(Math.abs(c)).toBeLessThan(1e-5);
      }
      const trainer = new Trainer(createModel('pointnet-vanilla', { rng: new Rng(1), numClasses: 3, dropout: 0 }), { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 1e-3 });
      const step = trainer.trainStep(batch);
      expect(Number.isFinite(step.loss)).toBe(true);
      expect(trainer.step).toBe(1);
    } finally {
      batch.dispose();
      await stream.return(undefined);
    }
  });
});
