import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { npyToPointCloud, parseNpy, writeNpy } from '../../../src/data/formats/npy.ts';
import { parseNpz, writeNpz } from '../../../src/data/formats/npz.ts';
import { readPointFile } from '../../../src/data/formats/read-point-file.ts';
import { summarizePointFile } from '../../../src/data/formats/summary.ts';
import { asyncFormatErrorOf, formatErrorOf } from './helpers.ts';

/**
 * Every `.npy` here is built byte by byte (magic, version, header length, the dict, the raw
 * values through a DataView) the way NumPy's `format.write_array` lays it out.
 */
type Code = 'f2' | 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4';
const SIZE: Record<Code, number> = { f2: 2, f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4 };

interface NpyBytesOptions {
  version?: 1 | 2 | 3;
  little?: boolean;
  fortran?: boolean;
  /** Replaces the dict text. */
  header?: string;
  /** Values in the order they are stored (Fortran order stores columns first). */
  stored: number[];
}

function npyBytes(code: Code, shape: number[], options: NpyBytesOptions): Uint8Array {
  const { version = 1, little = true, fortran = false } = options;
  const endian = SIZE[code] === 1 ? '|' : little ? '<' : '>';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = options.header ?? `{'descr': '${endian}${code}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const size = SIZE[code];
  const out = new Uint8Array(total + options.stored.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), prefix);
  options.stored.forEach((value, i) => {
    const at = total + i * size;
    if (code === 'f2') view.setUint16(at, halfBits(value), little);
    else if (code === 'f4') view.setFloat32(at, value, little);
    else if (code === 'f8') view.setFloat64(at, value, little);
    else if (code === 'i1') view.setInt8(at, value);
    else if (code === 'u1') view.setUint8(at, value);
    else if (code === 'i2') view.setInt16(at, value, little);
    else if (code === 'u2') view.setUint16(at, value, little);
    else if (code === 'i4') view.setInt32(at, value, little);
    else if (code === 'u4') view.setUint32(at, value, little);
    else view.setBigInt64(at, BigInt(value), little);
  });
  return out;
}

/** Half-precision bits of the small exact values used here (0, ±integers up to 2048, halves). */
function halfBits(value: number): number {
  if (value === 0) return 0;
  const sign = value < 0 ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  const exponent = Math.floor(Math.log2(magnitude));
  const fraction = Math.round((magnitude / 2 ** exponent - 1) * 1024);
  return sign | ((exponent + 15) << 10) | fraction;
}

/** A 4×3 cloud, values every dtype holds exactly (non-negative for the unsigned ones). */
const CLOUD = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SIGNED = [-1, 2, -3, 4, -5, 6, -7, 8, -9, 10, -11, 12];
const CODES: Code[] = ['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4'];

describe('NumPy .npy', () => {
  for (const code of CODES) {
    for (const little of [true, false]) {
      it(`reads ${code} ${little ? 'little' : 'big'}-endian`, () => {
        const values = code.startsWith('u') ? CLOUD : code === 'f2' ? [-0.5, 1.5, -2, 3, 2048, 0, 1, -1, 0.25, 7, 8, 9] : SIGNED;
        const array = parseNpy(npyBytes(code, [4, 3], { little, stored: values }), 'cloud.npy');
        expect(array.shape).toEqual([4, 3]);
        expect(array.littleEndian).toBe(little || SIZE[code] === 1);
        expect(Array.from(array.data)).toEqual(values);
      });
    }
  }

  it('reads the extremes of the integer types and int64 beyond 2^32', () => {
    const i8 = parseNpy(npyBytes('i8', [3], { stored: [-(2 ** 40), 2 ** 40 + 1, -1] }), 'a.npy');
    expect(Array.from(i8.data)).toEqual([-(2 ** 40), 2 ** 40 + 1, -1]);
    const u4 = parseNpy(npyBytes('u4', [2], { little: false, stored: [4294967295, 0] }), 'a.npy');
    expect(Array.from(u4.data)).toEqual([4294967295, 0]);
    const i2 = parseNpy(npyBytes('i2', [2], { stored: [-32768, 32767] }), 'a.npy');
    expect(Array.from(i2.data)).toEqual([-32768, 32767]);
  });

  for (const version of [1, 2, 3] as const) {
    it(`reads format version ${version}.0`, () => {
      const array = parseNpy(npyBytes('f4', [4, 3], { version, stored: CLOUD }), 'v.npy');
      expect(array.version).toBe(`${version}.0`);
      expect(Array.from(array.data)).toEqual(CLOUD);
    });
  }

  it('Fortran order: columns stored first, returned in C order', () => {
    // C order rows (0 1 2), (3 4 5), (6 7 8), (9 10 11); Fortran stores column 0 of every row first.
    const stored = [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11];
    const array = parseNpy(npyBytes('f8', [4, 3], { fortran: true, stored }), 'f.npy');
    expect(array.fortranOrder).toBe(true);
    expect(Array.from(array.data)).toEqual(CLOUD);
    // (B, N, C) in Fortran order: index (b, n, c) at b + B·n + B·N·c.
    const [B, N, C] = [2, 2, 3];
    const cOrder = Array.from({ length: B * N * C }, (_, i) => i);
    const fStored = new Array<number>(B * N * C);
    for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) fStored[b + B * n + B * N * c] = cOrder[(b * N + n) * C + c]!;
    expect(Array.from(parseNpy(npyBytes('f4', [B, N, C], { fortran: true, stored: fStored }), 'f3.npy').data)).toEqual(cOrder);
  });

  it('(N, 3) is a cloud; (N, 6) has normals; (B, N, C) is B clouds', async () => {
    const xyz = npyToPointCloud(parseNpy(npyBytes('f4', [4, 3], { stored: CLOUD }), 'xyz.npy'), 'xyz.npy');
    expect(Array.from(xyz.points)).toEqual(CLOUD);
    expect(xyz.normals).toBeUndefined();

    const six = Array.from({ length: 12 }, (_, i) => i); // 2 points × (x y z nx ny nz)
    const withNormals = npyToPointCloud(parseNpy(npyBytes('f4', [2, 6], { stored: six }), 'n.npy'), 'n.npy');
    expect(Array.from(withNormals.points)).toEqual([0, 1, 2, 6, 7, 8]);
    expect(Array.from(withNormals.normals!)).toEqual([3, 4, 5, 9, 10, 11]);

    const batch = Array.from({ length: 2 * 3 * 6 }, (_, i) => i);
    const file = await readPointFile(npyBytes('f4', [2, 3, 6], { stored: batch }), 'batch.npy');
    if (file.format !== 'npy') throw new Error('expected npy');
    expect(file.cloud).toBeUndefined();
    expect(file.sets).toMatchObject({ shapeCount: 2, pointsPerShape: 3 });
    expect(Array.from(file.sets!.points.subarray(9, 12))).toEqual([18, 19, 20]); // cloud 1, point 0
    expect(Array.from(file.sets!.normals!.subarray(9, 12))).toEqual([21, 22, 23]);
    expect(summarizePointFile(file)).toMatchObject({ format: 'npy', elements: { shape: 2, vertex: 6 }, dims: [2, 3, 6] });
    expect(() => npyToPointCloud(file.npy, 'batch.npy')).toThrow(/batch\.npy: .*holds 2 clouds/);
  });

  it('writeNpy output reads back (float32, float64, int32, uint8)', () => {
    for (const dtype of ['float32', 'float64', 'int32', 'uint8'] as const) {
      const array = parseNpy(writeNpy(CLOUD, [4, 3], dtype), 'w.npy');
      expect(Array.from(array.data)).toEqual(CLOUD);
      expect(array.shape).toEqual([4, 3]);
    }
  });

  describe('bad files: one FormatError naming the file', () => {
    const good = npyBytes('f4', [4, 3], { stored: CLOUD });

    it('bad magic', () => {
      const bytes = good.slice();
      bytes[1] = 0x58;
      expect(formatErrorOf(() => parseNpy(bytes, 'bad.npy')).message).toBe('bad.npy (byte 0): not a NumPy .npy file: no \\x93NUMPY magic');
    });

    it('truncated preamble and header', () => {
      expect(formatErrorOf(() => parseNpy(good.subarray(0, 8), 'cut.npy')).message).toMatch(/^cut\.npy \(byte 8\): truncated NumPy preamble/);
      expect(formatErrorOf(() => parseNpy(good.subarray(0, 40), 'cut.npy')).message).toMatch(/^cut\.npy \(byte 8\): header of \d+ bytes runs past the end of the file \(40 bytes\)/);
    });

    it('header length past the end of the file', () => {
      const bytes = good.slice();
      new DataView(bytes.buffer).setUint16(8, 60000, true);
      expect(formatErrorOf(() => parseNpy(bytes, 'long.npy')).message).toMatch(/^long\.npy \(byte 8\): header of 60000 bytes runs past the end/);
      const v2 = npyBytes('f4', [4, 3], { version: 2, stored: CLOUD });
      new DataView(v2.buffer).setUint32(8, 0xfffffff0, true);
      expect(formatErrorOf(() => parseNpy(v2, 'long2.npy')).message).toMatch(/^long2\.npy \(byte 8\): header length 4294967280 is not plausible/);
    });

    it('a shape that does not match the data size, including 1e12 values in a 200-byte file', () => {
      const short = npyBytes('f4', [5, 3], { stored: CLOUD });
      expect(formatErrorOf(() => parseNpy(short, 's.npy')).message).toBe('s.npy (byte 128): shape (5, 3) of <f4 needs 60 bytes of data, the file has 48');
      const huge = npyBytes('f8', [1000000, 1000000], { stored: Array.from({ length: 9 }, () => 0) });
      expect(huge.length).toBe(200);
      expect(formatErrorOf(() => parseNpy(huge, 'huge.npy')).message).toMatch(/^huge\.npy \(byte 128\): shape \(1000000, 1000000\) of <f8 needs 8000000000000 bytes of data, the file has 72$/);
      const overflow = npyBytes('f8', [999999999999999, 999999999999999, 99999], { stored: [] });
      expect(formatErrorOf(() => parseNpy(overflow, 'o.npy')).message).toMatch(/^o\.npy \(byte 128\): shape/);
    });

    it('unknown dtype, unknown key, a broken dict', () => {
      const header = (text: string) => npyBytes('f4', [4, 3], { header: text, stored: CLOUD });
      expect(formatErrorOf(() => parseNpy(header(`{'descr': '<c8', 'fortran_order': False, 'shape': (4, 3), }`), 'c.npy')).message).toMatch(/^c\.npy \(byte 10\): dtype '<c8' is not supported/);
      expect(formatErrorOf(() => parseNpy(header(`{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (4, 3), }`), 'rec.npy')).message).toMatch(/^rec\.npy \(byte 10\): bad NumPy header/);
      expect(formatErrorOf(() => parseNpy(header(`{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), 'extra': 1}`), 'k.npy')).message).toMatch(/^k\.npy \(byte 10\): bad NumPy header .*unknown key 'extra'/);
      expect(formatErrorOf(() => parseNpy(header(`descr <f4`), 'd.npy')).message).toMatch(/expected a dict literal/);
      expect(formatErrorOf(() => parseNpy(header(`{'descr': '<f4', 'fortran_order': False, 'shape': (4, -3), }`), 'neg.npy')).message).toMatch(/shape entry '-3' is not a whole number/);
    });

    it('empty file and a (B, N, 2) array that is no cloud', async () => {
      expect(formatErrorOf(() => parseNpy(new Uint8Array(0), 'e.npy')).message).toBe('e.npy (byte 0): empty file');
      const flat = await asyncFormatErrorOf(() => readPointFile(npyBytes('f4', [6, 2], { stored: CLOUD }), 'flat.npy'));
      expect(flat.message).toBe('flat.npy: array of shape (6, 2) has 2 columns per point; x y z need 3');
    });
  });
});

describe('NumPy .npz', () => {
  const points = npyBytes('f4', [4, 3], { stored: CLOUD });
  const labels = npyBytes('i8', [4], { stored: [0, 1, 1, 2] });

  it('stored (np.savez) and deflated (np.savez_compressed) archives', async () => {
    for (const level of [0, 9] as const) {
      const archive = zipSync({ 'points.npy': points, 'label.npy': labels }, { level });
      const npz = parseNpz(archive, 'a.npz');
      expect(npz.compressed).toBe(level > 0);
      expect([...npz.arrays.keys()]).toEqual(['points', 'label']);
      const file = await readPointFile(archive, 'a.npz');
      if (file.format !== 'npz') throw new Error('expected npz');
      expect(file.encoding).toBe(`${level > 0 ? 'deflated' : 'stored'} <f4 C-order v1.0`);
      expect(Array.from(file.cloud!.points)).toEqual(CLOUD);
      expect(Array.from(file.cloud!.labels!)).toEqual([0, 1, 1, 2]);
      const summary = summarizePointFile(file);
      expect(summary.arrays).toEqual([
        { name: 'points', shape: [4, 3], type: 'float32' },
        { name: 'label', shape: [4], type: 'int64' },
      ]);
    }
  });

  it('a batch with per-shape labels and separate normals; writeNpz reads back', async () => {
    const archive = writeNpz({
      data: { data: Array.from({ length: 2 * 2 * 3 }, (_, i) => i), shape: [2, 2, 3] },
      normal: { data: Array.from({ length: 12 }, () => 1), shape: [2, 2, 3] },
      label: { data: [7, 3], shape: [2], dtype: 'int32' },
    });
    const file = await readPointFile(archive, 'b.npz');
    if (file.format !== 'npz') throw new Error('expected npz');
    expect(file.pointsName).toBe('data');
    expect(file.sets).toMatchObject({ shapeCount: 2, pointsPerShape: 2 });
    expect(Array.from(file.sets!.labels!)).toEqual([7, 3]);
    expect(Array.from(file.sets!.normals!)).toEqual(Array.from({ length: 12 }, () => 1));
  });

  it('bad archives: damaged zip, a damaged member named inside, no point array, a member larger than the limit', async () => {
    const archive = zipSync({ 'points.npy': points }, { level: 0 });
    const cut = archive.subarray(0, archive.length - 30);
    expect(formatErrorOf(() => parseNpz(cut, 'cut.npz')).message).toMatch(/^cut\.npz: damaged zip archive/);

    const badMember = points.slice();
    badMember[0] = 0;
    expect(formatErrorOf(() => parseNpz(zipSync({ 'points.npy': badMember }), 'm.npz')).message).toBe('m.npz:points.npy (byte 0): not a NumPy .npy file: no \\x93NUMPY magic');

    const two = zipSync({ 'a.npy': points, 'b.npy': points });
    expect((await asyncFormatErrorOf(() => readPointFile(two, 'two.npz'))).message).toBe("two.npz: no point array among 'a', 'b': name it 'points' or 'data'");

    expect(formatErrorOf(() => parseNpz(zipSync({ 'points.npy': points }), 'big.npz', 100)).message).toBe(`big.npz: member 'points.npy' declares ${points.length} bytes, more than the limit of 100`);

    expect((await asyncFormatErrorOf(() => readPointFile(zipSync({ 'x.txt': points }), 'x.zip'))).message).toMatch(/^x\.zip \(byte 0\): zip archive; only NumPy \.npz archives are read/);
  });
});
