import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hdf5Shape, parseHdf5PointSets } from '../../../src/data/formats/hdf5.ts';
import { readFileBytes, readPointFileFromDisk } from '../../../src/data/formats/node-files.ts';
import { summarizePointFile } from '../../../src/data/formats/summary.ts';
import { Rng } from '../../../src/util/rng.ts';
import { asyncFormatErrorOf, text } from './helpers.ts';

type Dataset = { name: string; data: Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array; shape: number[] };

let directory: string;

/** Writes a real HDF5 file with h5wasm (the same library that reads it, but its C writer). */
async function writeH5(name: string, datasets: Dataset[]): Promise<Uint8Array> {
  await h5wasm.ready;
  const path = join(directory, name);
  const file = new h5wasm.File(path, 'w');
  for (const dataset of datasets) file.create_dataset(dataset);
  file.close();
  return readFileBytes(path);
}

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'bitpoint-hdf5-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('HDF5 point sets', () => {
  const rng = new Rng(4);
  const S = 3;
  const N = 5;
  const positions = Float32Array.from({ length: S * N * 3 }, () => rng.normal());

  it('modelnet40_ply_hdf5_2048 layout: data [S,N,3], label [S,1] uint8, normal', async () => {
    const normals = Float32Array.from({ length: S * N * 3 }, () => rng.uniform());
    const bytes = await writeH5('ply_data_train0.h5', [
      { name: 'data', data: positions, shape: [S, N, 3] },
      { name: 'label', data: Uint8Array.from([4, 0, 39]), shape: [S, 1] },
      { name: 'normal', data: normals, shape: [S, N, 3] },
    ]);
    const sets = await parseHdf5PointSets(bytes, 'ply_data_train0.h5');
    expect([sets.shapeCount, sets.pointsPerShape]).toEqual([S, N]);
    expect(sets.points).toEqual(positions);
    expect(sets.normals).toEqual(normals);
    expect(Array.from(sets.labels!)).toEqual([4, 0, 39]);
    expect(sets.datasets.map((d) => `${d.name}:${d.type}:${d.shape.join('x')}`)).toEqual(['data:float32:3x5x3', 'label:uint8:3x1', 'normal:float32:3x5x3']);
    const second = hdf5Shape(sets, 1);
    expect(second.label).toBe(0);
    expect(second.cloud.points).toEqual(positions.slice(N * 3, 2 * N * 3));
  });

  it('float64 data, label [S] int64, per-point pid (ShapeNetPart layout)', async () => {
    const doubles = Float64Array.from(positions, (value) => value + 1e-12);
    const pid = Int32Array.from({ length: S * N }, (_, i) => i % 4);
    const bytes = await writeH5('shapenet.h5', [
      { name: 'data', data: doubles, shape: [S, N, 3] },
      { name: 'label', data: BigInt64Array.from([1n, 2n, 3n]), shape: [S] },
      { name: 'pid', data: pid, shape: [S, N] },
    ]);
    const sets = await parseHdf5PointSets(bytes, 'shapenet.h5');
    expect(sets.points).toEqual(Float32Array.from(doubles));
    expect(Array.from(sets.labels!)).toEqual([1, 2, 3]);
    expect(sets.pointLabels).toEqual(pid);
    expect(hdf5Shape(sets, 2).cloud.labels).toEqual(pid.slice(2 * N));
  });

  it('readPointFile detects it and inspect summarizes shapes and points', async () => {
    await writeH5('summary.h5', [
      { name: 'data', data: positions, shape: [S, N, 3] },
      { name: 'label', data: Uint8Array.from([4, 0, 39]), shape: [S, 1] },
    ]);
    const summary = summarizePointFile(await readPointFileFromDisk(join(directory, 'summary.h5')));
    expect(summary).toMatchObject({ format: 'hdf5', encoding: 'hdf5', elements: { shape: S, vertex: S * N } });
    expect(summary.properties['shape']).toEqual([{ name: 'label', type: 'uint8' }]);
    expect(summary.bbox!.min[0]).toBe(Math.min(...positions.filter((_, i) => i % 3 === 0)));
  });

  it('any number of points per shape', async () => {
    const bytes = await writeH5('one.h5', [{ name: 'data', data: new Float32Array(1 * 7 * 3), shape: [1, 7, 3] }]);
    const sets = await parseHdf5PointSets(bytes, 'one.h5');
    expect([sets.shapeCount, sets.pointsPerShape, sets.labels]).toEqual([1, 7, undefined]);
  });

  it('wrong layouts are FormatErrors naming the dataset', async () => {
    const noData = await writeH5('nodata.h5', [{ name: 'points', data: positions, shape: [S, N, 3] }]);
    expect((await asyncFormatErrorOf(() => parseHdf5PointSets(noData, 'nodata.h5'))).message).toMatch(/nodata.h5: HDF5 file has no 'data' dataset/);
    const flat = await writeH5('flat.h5', [{ name: 'data', data: positions, shape: [S * N, 3] }]);
    expect((await asyncFormatErrorOf(() => parseHdf5PointSets(flat, 'flat.h5'))).message).toMatch(/'data' has shape \[15, 3\]; expected \[shapes, points, 3\]/);
    const badLabel = await writeH5('badlabel.h5', [
      { name: 'data', data: positions, shape: [S, N, 3] },
      { name: 'label', data: Uint8Array.from([1, 2]), shape: [2] },
    ]);
    expect((await asyncFormatErrorOf(() => parseHdf5PointSets(badLabel, 'badlabel.h5'))).message).toMatch(/'label' has shape \[2\]; expected \[3\] or \[3, 1\]/);
  });

  it('a non-HDF5 file, an empty one and a corrupted one are FormatErrors', async () => {
    expect((await asyncFormatErrorOf(() => parseHdf5PointSets(text('ply\n'), 'fake.h5'))).message).toMatch(/fake.h5 \(byte 0\): not an HDF5 file/);
    expect((await asyncFormatErrorOf(() => parseHdf5PointSets(new Uint8Array(0), 'empty.h5'))).message).toMatch(/empty file/);
    const bytes = await writeH5('good.h5', [{ name: 'data', data: positions, shape: [S, N, 3] }]);
    const truncated = bytes.slice(0, 100);
    expect((await asyncFormatErrorOf(() => parseHdf5PointSets(truncated, 'cut.h5'))).message).toMatch(/^cut.h5: cannot read HDF5 file: /);
    // The module keeps working after failures.
    expect((await parseHdf5PointSets(bytes, 'good.h5')).shapeCount).toBe(S);
  });

  it('thousands of bad files leave the HDF5 library working (no state leaks from failed opens)', async () => {
    const bytes = await writeH5('again.h5', [{ name: 'data', data: positions, shape: [S, N, 3] }]);
    const truncated = bytes.slice(0, 400);
    // h5wasm's throwing error handler broke the library after ~2300 of these.
    for (let i = 0; i < 3000; i++) await parseHdf5PointSets(truncated, 'cut.h5').catch(() => undefined);
    expect((await parseHdf5PointSets(bytes, 'again.h5')).points).toEqual(positions);
  });
});
