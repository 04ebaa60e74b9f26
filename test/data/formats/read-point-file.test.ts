import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../src/data/formats/detect.ts';
import { readPointFile } from '../../../src/data/formats/read-point-file.ts';
import { summarizePointFile } from '../../../src/data/formats/summary.ts';
import { asyncFormatErrorOf, fixture, formatErrorOf, text } from './helpers.ts';

describe('detectFormat', () => {
  it.each([
    ['cube_binary_le.ply', 'ply'],
    ['cube_ascii_crlf.ply', 'ply'],
    ['cube_quads.off', 'off'],
    ['modelnet_quirk.off', 'off'],
    ['tetra_colors.off', 'off'],
    ['airplane_0001.txt', 'txt'],
    ['shapenetpart.txt', 'txt'],
    ['t10k-labels-idx1-ubyte', 'idx'],
    ['t10k-images-idx3-ubyte.gz', 'idx'],
  ])('%s → %s', (name, format) => {
    expect(detectFormat(fixture(name), name)).toBe(format);
  });

  it('trusts content over a misleading name, and the name when content is ambiguous', () => {
    expect(detectFormat(fixture('cube_quads.off'), 'mislabelled.ply')).toBe('off');
    expect(detectFormat(fixture('cube_binary_le.ply'), 'cube.txt')).toBe('ply');
    expect(detectFormat(text('garbage'), 'broken.ply')).toBe('ply');
    expect(detectFormat(text('1 2 3\n'), 'points')).toBe('txt');
    expect(detectFormat(new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), 'x')).toBe('hdf5');
  });

  it('refuses what it cannot read', () => {
    expect(formatErrorOf(() => detectFormat(new Uint8Array(0), 'e.ply')).message).toMatch(/empty file/);
    expect(formatErrorOf(() => detectFormat(text('hello world'), 'notes')).message).toMatch(/unknown format/);
    expect(formatErrorOf(() => detectFormat(gzipSync(text('1 2 3')), 'cloud.txt.gz')).message).toMatch(/gzip-compressed/);
  });
});

describe('readPointFile and its summary (what inspect prints)', () => {
  it('PLY: elements, typed properties, bbox, cloud and mesh', async () => {
    const file = await readPointFile(fixture('cube_binary_le.ply'), 'cube.ply');
    if (file.format !== 'ply') throw new Error('expected ply');
    expect(file.cloud!.points.length).toBe(24);
    expect(file.mesh!.faces.length).toBe(36);
    const summary = summarizePointFile(file);
    expect(summary).toMatchObject({
      file: 'cube.ply',
      format: 'ply',
      encoding: 'binary_little_endian',
      elements: { vertex: 8, face: 6 },
      bbox: { min: [0, 0, 0], max: [1, 1, 1] },
    });
    expect(summary.properties['face']).toEqual([{ name: 'vertex_indices', type: 'list uint8 int32' }]);
    expect(summary.properties['vertex']!.map((p) => p.name)).toEqual(['x', 'y', 'z', 'red', 'green', 'blue', 'label', 'intensity']);
  });

  it('a PLY without positions still summarizes, with no bbox', async () => {
    const summary = summarizePointFile(await readPointFile(fixture('lists_everywhere.ply'), 'lists.ply'));
    expect(summary.elements).toEqual({ vertex: 4, face: 2, edge: 3 });
    expect(summary.bbox).toBeNull();
  });

  it('OFF and text files report their points as vertex', async () => {
    const off = summarizePointFile(await readPointFile(fixture('modelnet_quirk.off'), 'm.off'));
    expect(off).toMatchObject({ format: 'off', encoding: 'ascii', elements: { vertex: 490, face: 518 } });
    expect(off.bbox!.max[2]).toBe(10.5);
    const txt = summarizePointFile(await readPointFile(fixture('shapenetpart.txt'), 's.txt'));
    expect(txt).toMatchObject({ format: 'txt', encoding: 'space', elements: { vertex: 24 } });
    expect(txt.properties['vertex']!.map((p) => p.name)).toEqual(['x', 'y', 'z', 'nx', 'ny', 'nz', 'label']);
  });

  it('IDX reports its dims and value range', async () => {
    const summary = summarizePointFile(await readPointFile(fixture('t10k-images-idx3-ubyte.gz'), 'images-idx3-ubyte.gz'));
    expect(summary).toMatchObject({ format: 'idx', encoding: 'gzip', elements: { item: 3 }, dims: [3, 4, 5], bbox: null });
    expect(summary.properties).toEqual({ item: [{ name: 'value', type: 'uint8' }] });
  });

  it('a damaged file is a FormatError from the format it claims to be', async () => {
    const error = await asyncFormatErrorOf(() => readPointFile(fixture('cube_binary_le.ply').subarray(0, 400), 'cut.ply'));
    expect(error.message).toMatch(/^cut.ply \(byte \d+\): element 'vertex' declares 8 records/);
  });
});
