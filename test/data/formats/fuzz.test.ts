import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { parseHdf5PointSets } from '../../../src/data/formats/hdf5.ts';
import { decodeIdx } from '../../../src/data/formats/idx.ts';
import { npyPointSets, parseNpy, writeNpy } from '../../../src/data/formats/npy.ts';
import { parseNpz, writeNpz } from '../../../src/data/formats/npz.ts';
import { readFileBytes } from '../../../src/data/formats/node-files.ts';
import { parseOff } from '../../../src/data/formats/off.ts';
import { parsePcd, pcdToPointCloud, writePcd, writePointCloudPcd } from '../../../src/data/formats/pcd.ts';
import { parsePly, plyList, plyScalar, plyToMesh, plyToPointCloud, writePly } from '../../../src/data/formats/ply/index.ts';
import { readPointFile } from '../../../src/data/formats/read-point-file.ts';
import { summarizePointFile } from '../../../src/data/formats/summary.ts';
import { parsePointText } from '../../../src/data/formats/txt.ts';
import { FormatError } from '../../../src/util/errors.ts';
import { Rng } from '../../../src/util/rng.ts';
import { fixture } from './helpers.ts';

/**
 * Seeded mutations of real files. The only acceptable outcomes are a successful parse or a
 * FormatError: no RangeError/TypeError from a DataView or typed array, no hang (the suite would
 * time out), no huge allocation from a corrupted count (the process would die).
 */

// BITPOINT_FUZZ_MUTATIONS=20000 for a deeper run; the default keeps the suite fast.
const MUTATIONS_PER_FORMAT = Number(process.env['BITPOINT_FUZZ_MUTATIONS'] ?? 400);

function mutate(original: Uint8Array, rng: Rng): Uint8Array {
  let bytes: Uint8Array = original.slice();
  const steps = 1 + rng.int(3);
  for (let step = 0; step < steps; step++) {
    const at = rng.int(Math.max(1, bytes.length));
    switch (rng.int(7)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[at] ^= 1 << rng.int(8);
        break;
      case 1: // truncate
        bytes = bytes.slice(0, at);
        break;
      case 2: // insert bytes (sometimes text the parsers look for)
        bytes = splice(bytes, at, 0, rng.uniform() < 0.5 ? randomBytes(rng, 1 + rng.int(4)) : new TextEncoder().encode(pick(rng, [' ', '\n', '\r\n', '-', '.', 'e', '9', 'nan', ',', '#'])));
        break;
      case 3: // delete bytes
        bytes = splice(bytes, at, 1 + rng.int(8), new Uint8Array(0));
        break;
      case 4: // overwrite a byte
        if (bytes.length > 0) bytes[at] = rng.int(256);
        break;
      default: // change a number in the text (header counts, indices, list lengths)
        bytes = replaceNumber(bytes, rng);
    }
  }
  return bytes;
}

function replaceNumber(bytes: Uint8Array, rng: Rng): Uint8Array {
  const starts: number[] = [];
  for (let i = 0; i < Math.min(bytes.length, 4096); i++) {
    const digit = bytes[i]! >= 48 && bytes[i]! <= 57;
    const previousDigit = i > 0 && bytes[i - 1]! >= 48 && bytes[i - 1]! <= 57;
    if (digit && !previousDigit) starts.push(i);
  }
  if (starts.length === 0) return bytes;
  const start = pick(rng, starts);
  let end = start;
  while (end < bytes.length && bytes[end]! >= 48 && bytes[end]! <= 57) end++;
  const replacement = pick(rng, ['0', '1', '2', '3', '255', '256', '65536', '2147483648', '4294967295', '4294967296', '999999999999999', '1e308', '-1', '']);
  return splice(bytes, start, end - start, new TextEncoder().encode(replacement));
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - Math.min(remove, bytes.length - at) + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(Math.min(bytes.length, at + remove)), at + insert.length);
  return out;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

/** Runs `parse` on mutations of each seed; returns how many parsed and how many were FormatErrors. */
async function fuzz(seed: number, originals: Uint8Array[], parse: (bytes: Uint8Array) => unknown): Promise<{ parsed: number; rejected: number }> {
  const rng = new Rng(seed);
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < MUTATIONS_PER_FORMAT; i++) {
    const bytes = mutate(originals[i % originals.length]!, rng);
    try {
      await parse(bytes);
      parsed++;
    } catch (error) {
      if (!(error instanceof FormatError)) {
        const hex = Buffer.from(bytes.subarray(0, 300)).toString('hex');
        expect.fail(`mutation ${i} threw ${(error as Error)?.stack ?? String(error)}\nfirst bytes: ${hex}`);
      }
      rejected++;
    }
  }
  return { parsed, rejected };
}

const plyWithLists = (format: 'ascii' | 'binary_big_endian') =>
  writePly(
    {
      elements: [
        { name: 'vertex', properties: [plyScalar('x', 'float64', [1, 2, 3]), plyScalar('y', 'int16', [1, 2, 3]), plyScalar('z', 'uint8', [1, 2, 3]), plyList('n', 'uint16', 'float32', [[1], [], [2, 3]])] },
        { name: 'face', properties: [plyList('vertex_indices', 'uint8', 'uint32', [[0, 1, 2], [2, 1, 0, 1]])] },
      ],
    },
    { format },
  );

describe('fuzzing: damaged files give FormatError or a result, nothing else', () => {
  it('PLY (all encodings, lists, CRLF)', async () => {
    const seeds = ['cube_ascii.ply', 'cube_ascii_crlf.ply', 'cube_binary_le.ply', 'cube_binary_be.ply', 'lists_everywhere.ply'].map(fixture);
    seeds.push(plyWithLists('ascii'), plyWithLists('binary_big_endian'));
    const result = await fuzz(1, seeds, (bytes) => {
      const ply = parsePly(bytes, 'fuzz.ply');
      if (ply.elements.some((element) => element.name === 'vertex')) {
        try {
          plyToPointCloud(ply, 'fuzz.ply');
          plyToMesh(ply, 'fuzz.ply');
        } catch (error) {
          if (!(error instanceof FormatError)) throw error;
        }
      }
    });
    expect(result.rejected).toBeGreaterThan(MUTATIONS_PER_FORMAT / 4);
    expect(result.parsed).toBeGreaterThan(0);
  });

  it('OFF (plain, ModelNet quirk, COFF, NOFF)', async () => {
    const seeds = ['cube_quads.off', 'modelnet_quirk.off', 'tetra_colors.off', 'tetra_normals.off'].map(fixture);
    const result = await fuzz(2, seeds, (bytes) => parseOff(bytes, 'fuzz.off'));
    expect(result.rejected).toBeGreaterThan(MUTATIONS_PER_FORMAT / 4);
    expect(result.parsed).toBeGreaterThan(0);
  });

  it('point text (comma and space separated)', async () => {
    const seeds = ['airplane_0001.txt', 'shapenetpart.txt'].map(fixture);
    const result = await fuzz(3, seeds, (bytes) => parsePointText(bytes, 'fuzz.txt'));
    expect(result.rejected).toBeGreaterThan(MUTATIONS_PER_FORMAT / 4);
    expect(result.parsed).toBeGreaterThan(0);
  });

  it('IDX (raw and gzipped)', async () => {
    const seeds = ['t10k-labels-idx1-ubyte', 't10k-images-idx3-ubyte.gz'].map(fixture);
    const result = await fuzz(4, seeds, (bytes) => decodeIdx(bytes, 'fuzz-idx3-ubyte'));
    expect(result.rejected).toBeGreaterThan(MUTATIONS_PER_FORMAT / 4);
  });

  it('HDF5', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'bitpoint-fuzz-'));
    try {
      await h5wasm.ready;
      const path = join(directory, 'seed.h5');
      const file = new h5wasm.File(path, 'w');
      file.create_dataset({ name: 'data', data: Float32Array.from({ length: 2 * 8 * 3 }, (_, i) => i / 7), shape: [2, 8, 3] });
      file.create_dataset({ name: 'label', data: Uint8Array.from([1, 2]), shape: [2, 1] });
      file.close();
      const seed = await readFileBytes(path);
      const result = await fuzz(5, [seed], (bytes) => parseHdf5PointSets(bytes, 'fuzz.h5'));
      expect(result.rejected).toBeGreaterThan(MUTATIONS_PER_FORMAT / 4);
      expect((await parseHdf5PointSets(seed, 'seed.h5')).shapeCount).toBe(2);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('NumPy .npy (v1 C order, v2, Fortran order, big-endian int16)', async () => {
    const header = (dict: string, version: number) => {
      const prefix = version === 1 ? 10 : 12;
      const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
      const text = dict.padEnd(total - prefix - 1, ' ') + '\n';
      const out = new Uint8Array(total);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
      if (version === 1) new DataView(out.buffer).setUint16(8, text.length, true);
      else new DataView(out.buffer).setUint32(8, text.length, true);
      out.set(new TextEncoder().encode(text), prefix);
      return out;
    };
    const join = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);
    const seeds = [
      writeNpy(Float32Array.from({ length: 8 * 6 }, (_, i) => i / 3), [8, 6]),
      join(header("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 4, 3), }", 2), new Uint8Array(2 * 4 * 3 * 8).fill(63)),
      join(header("{'descr': '>i2', 'fortran_order': False, 'shape': (5, 3), }", 3), Uint8Array.from({ length: 30 }, (_, i) => i)),
    ];
    const result = await fuzz(7, seeds, (bytes) => {
      const array = parseNpy(bytes, 'fuzz.npy');
      try {
        npyPointSets(array, 'fuzz.npy');
      } catch (error) {
        if (!(error instanceof FormatError)) throw error;
      }
    });
    expect(result.rejected).toBeGreaterThan(MUTATIONS_PER_FORMAT / 4);
    expect(result.parsed).toBeGreaterThan(0);
  });

  it('NumPy .npz (stored and deflated)', async () => {
    const arrays = { points: { data: Float32Array.from({ length: 8 * 3 }, (_, i) => i), shape: [8, 3] }, label: { data: [1, 2, 3, 4, 5, 6, 7, 8], shape: [8], dtype: 'int32' as const } };
    const seeds = [writeNpz(arrays, false), writeNpz(arrays, true)];
    const result = await fuzz(8, seeds, async (bytes) => summarizePointFile(await readPointFile(bytes, 'fuzz.npz')));
    expect(result.rejected).toBeGreaterThan(MUTATIONS_PER_FORMAT / 4);
    expect(result.parsed).toBeGreaterThan(0);
    expect(parseNpz(seeds[1]!, 'seed.npz').compressed).toBe(true);
  });

  it('PCD (ascii, binary with padding and COUNT > 1, binary_compressed, organized)', async () => {
    const cloud = {
      points: Float32Array.from({ length: 8 * 3 }, (_, i) => (i % 5 === 0 ? NaN : i / 4)),
      colors: Float32Array.from({ length: 8 * 3 }, (_, i) => (i % 3) / 2),
      attributes: { pred: { type: 'uint8' as const, values: Uint8Array.from([0, 1, 2, 3, 0, 1, 2, 3]) } },
    };
    const padded = writePcd(
      [
        { name: 'x', type: 'F', size: 4, values: [1, 2, 3, 4] },
        { name: 'y', type: 'F', size: 4, values: [1, 2, 3, 4] },
        { name: 'z', type: 'F', size: 4, values: [1, 2, 3, 4] },
        { name: '_', type: 'U', size: 1, values: [0, 0, 0, 0] },
        { name: 'h', type: 'I', size: 2, count: 3, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
      ],
      4,
      { encoding: 'binary', width: 2, height: 2 },
    );
    const seeds = [writePointCloudPcd(cloud, { encoding: 'ascii' }), writePointCloudPcd(cloud, { encoding: 'binary' }), writePointCloudPcd(cloud, { encoding: 'binary_compressed' }), padded];
    const result = await fuzz(9, seeds, (bytes) => pcdToPointCloud(parsePcd(bytes, 'fuzz.pcd')));
    expect(result.rejected).toBeGreaterThan(MUTATIONS_PER_FORMAT / 4);
    expect(result.parsed).toBeGreaterThan(0);
  });

  it('readPointFile + summary on anything (format detection included)', async () => {
    const seeds = ['cube_binary_le.ply', 'modelnet_quirk.off', 'shapenetpart.txt', 't10k-labels-idx1-ubyte'].map(fixture);
    await fuzz(6, seeds, async (bytes) => summarizePointFile(await readPointFile(bytes, 'fuzz-file')));
  });
});

