import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import h5wasm from 'h5wasm';
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../../src/data/datasets/detect-layout.ts';
import { openModelNetHdf5 } from '../../../src/data/datasets/modelnet-hdf5.ts';
import { lines, tempDir } from './helpers.ts';

/** Writes a PointNet-style HDF5 file: data [S, N, 3] float32, label [S, 1] uint8, optional normal. */
async function writeH5(path: string, shapes: number, points: number, firstLabel: number, withNormals: boolean): Promise<void> {
  const { FS } = await h5wasm.ready;
  const memoryPath = `/test-${Math.random().toString(36).slice(2)}.h5`;
  const file = new h5wasm.File(memoryPath, 'w');
  // Shape s, point p has x = s + p / 100, so a test can tell where a point came from.
  const data = Float32Array.from({ length: shapes * points * 3 }, (_, i) => Math.floor(i / (points * 3)) + Math.floor((i % (points * 3)) / 3) / 100);
  file.create_dataset({ name: 'data', data, shape: [shapes, points, 3], dtype: '<f' });
  file.create_dataset({ name: 'label', data: Uint8Array.from({ length: shapes }, (_, s) => (firstLabel + s) % 3), shape: [shapes, 1], dtype: '<B' });
  if (withNormals) file.create_dataset({ name: 'normal', data: new Float32Array(shapes * points * 3).fill(0.5), shape: [shapes, points, 3], dtype: '<f' });
  file.close();
  await writeFile(path, FS!.readFile(memoryPath));
  FS!.unlink(memoryPath);
}

async function makeHdf5Layout(): Promise<string> {
  const root = await tempDir('hdf5');
  await writeH5(join(root, 'ply_data_train0.h5'), 3, 8, 0, true);
  await writeH5(join(root, 'ply_data_train1.h5'), 2, 8, 1, false);
  await writeH5(join(root, 'ply_data_test0.h5'), 2, 8, 2, false);
  // Paths as PointNet wrote them, a duplicate, a missing file, no final newline.
  await writeFile(
    join(root, 'train_files.txt'),
    'data/modelnet40_ply_hdf5_2048/ply_data_train0.h5\ndata/modelnet40_ply_hdf5_2048/ply_data_train1.h5\n' +
      'data/modelnet40_ply_hdf5_2048/ply_data_train0.h5\ndata/modelnet40_ply_hdf5_2048/ply_data_train2.h5',
  );
  await writeFile(join(root, 'test_files.txt'), 'data/modelnet40_ply_hdf5_2048/ply_data_test0.h5\n');
  await writeFile(join(root, 'shape_names.txt'), 'airplane\nbathtub\nbed\n');
  return root;
}

describe('ModelNet HDF5 layout', () => {
  it('reads the listed files by name, with labels and class names, reporting skipped entries', async () => {
    const root = await makeHdf5Layout();
    expect(await detectLayout(root)).toBe('modelnet-hdf5');
    const { log, seen } = lines();
    const train = await openModelNetHdf5(root, { split: 'train', logger: log });
    expect(train.ids).toEqual(['ply_data_train0.h5#0', 'ply_data_train0.h5#1', 'ply_data_train0.h5#2', 'ply_data_train1.h5#0', 'ply_data_train1.h5#1']);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 1, 2]);
    expect(train.classNames).toEqual(['airplane', 'bathtub', 'bed']);
    expect(train.skipped.map((entry) => entry.reason)).toEqual(['duplicate', 'file missing: ply_data_train2.h5']);
    expect(seen).toHaveLength(1);
  });

  it('gives each shape its points (cut to `points`), normals when the file has them, and label', async () => {
    const root = await makeHdf5Layout();
    const train = await openModelNetHdf5(root, { split: 'train', points: 5, logger: () => undefined });
    const shape = await train.get(1);
    expect(shape.points.length).toBe(15);
    expect(shape.points[3]).toBeCloseTo(1.01, 5); // shape 1, point 1
    expect(shape.normals![0]).toBe(0.5);
    expect(shape.label).toBe(1);
    const noNormals = await train.get(3);
    expect(noNormals.normals).toBeUndefined();
    const test = await openModelNetHdf5(root, { split: 'test', logger: () => undefined });
    expect(test.size).toBe(2);
    expect((await test.get(0)).points.length).toBe(8 * 3);
  });

  it('numbers the classes when shape_names.txt is missing (and says so), but rejects an empty one', async () => {
    const root = await makeHdf5Layout();
    await rm(join(root, 'shape_names.txt'));
    const { log, seen } = lines();
    const test = await openModelNetHdf5(root, { split: 'test', logger: log });
    expect(test.classNames).toEqual(['class_0', 'class_1', 'class_2']);
    expect(seen[0]).toMatch(/no shape_names\.txt/);
    await writeFile(join(root, 'shape_names.txt'), '');
    await expect(openModelNetHdf5(root, { split: 'test', logger: () => undefined })).rejects.toThrow(/shape_names\.txt: no class names/);
  });
});
