import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../src/data/formats/detect.ts';
import { lzfCompress, lzfDecompress } from '../../../src/data/formats/lzf.ts';
import { parsePcd, pcdColumn, pcdToPointCloud, writePcd, writePointCloudPcd } from '../../../src/data/formats/pcd.ts';
import type { PointCloud } from '../../../src/data/formats/point-cloud.ts';
import { readPointFile } from '../../../src/data/formats/read-point-file.ts';
import { summarizePointFile } from '../../../src/data/formats/summary.ts';
import { Rng } from '../../../src/util/rng.ts';
import { formatErrorOf, text } from './helpers.ts';

/** Header text followed by raw bytes. */
function pcdBytes(header: string, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = text(header);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Little-endian bytes from a list of [kind, value] pairs. */
function le(...parts: [('f32' | 'f64' | 'u32' | 'i32' | 'u16' | 'u8' | 'i8'), number][]): Uint8Array {
  const sizes = { f32: 4, f64: 8, u32: 4, i32: 4, u16: 2, u8: 1, i8: 1 };
  const out = new Uint8Array(parts.reduce((sum, [kind]) => sum + sizes[kind], 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [kind, value] of parts) {
    if (kind === 'f32') view.setFloat32(at, value, true);
    else if (kind === 'f64') view.setFloat64(at, value, true);
    else if (kind === 'u32') view.setUint32(at, value, true);
    else if (kind === 'i32') view.setInt32(at, value, true);
    else if (kind === 'u16') view.setUint16(at, value, true);
    else if (kind === 'u8') view.setUint8(at, value);
    else view.setInt8(at, value);
    at += sizes[kind];
  }
  return out;
}

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => Array.from(part)));

/** LZF of only literal runs (valid for any LZF reader): a control byte n-1, then n ≤ 32 bytes. */
function literalLzf(data: Uint8Array): Uint8Array {
  const parts: number[] = [];
  for (let at = 0; at < data.length; at += 32) {
    const run = data.subarray(at, at + 32);
    parts.push(run.length - 1, ...run);
  }
  return Uint8Array.from(parts);
}

/** binary_compressed's body: compressed size, uncompressed size, the LZF bytes. */
function compressedBody(lzf: Uint8Array, uncompressed: number): Uint8Array {
  return concat(le(['u32', lzf.length], ['u32', uncompressed]), lzf);
}

const header = (fields: string, size: string, type: string, count: string, points: number, data: string, extra = '') =>
  `# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS ${fields}\nSIZE ${size}\nTYPE ${type}\nCOUNT ${count}\nWIDTH ${points}\nHEIGHT 1\n${extra}VIEWPOINT 0 0 0 1 0 0 0\nPOINTS ${points}\nDATA ${data}\n`;

const rgb = (r: number, g: number, b: number) => ((r << 16) | (g << 8) | b) >>> 0;

describe('PCD reading', () => {
  it('ascii: normals, rgb as PCL writes it (uint32) and as older writers did (the float), intensity, label', () => {
    const floatOfRed = new DataView(le(['u32', rgb(255, 0, 0)]).buffer).getFloat32(0, true); // 2.34e-38
    const bytes = pcdBytes(
      header('x y z normal_x normal_y normal_z rgb intensity label', '4 4 4 4 4 4 4 4 4', 'F F F F F F F F U', '1 1 1 1 1 1 1 1 1', 3, 'ascii') +
        `0 0 0 0 0 1 ${rgb(0, 128, 255)} 0.5 2\n` +
        `1.5 -2 3e2 1 0 0 ${floatOfRed.toExponential(9)} 1 0  \r\n` +
        `nan nan nan 0 1 0 0 0.25 7`,
    );
    const pcd = parsePcd(bytes, 'scan.pcd');
    expect(pcd).toMatchObject({ version: '0.7', width: 3, height: 1, points: 3, encoding: 'ascii', viewpoint: [0, 0, 0, 1, 0, 0, 0] });
    expect(pcd.fields.map((field) => field.name)).toEqual(['x', 'y', 'z', 'normal_x', 'normal_y', 'normal_z', 'rgb', 'intensity', 'label']);
    const cloud = pcdToPointCloud(pcd)!;
    expect(Array.from(cloud.points.subarray(0, 6))).toEqual([0, 0, 0, 1.5, -2, 300]);
    expect(cloud.points[6]).toBeNaN();
    expect(Array.from(cloud.normals!)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(cloud.colors!.subarray(0, 6))).toEqual([0, 128 / 255, 1, 1, 0, 0].map(Math.fround));
    expect(Array.from(cloud.labels!)).toEqual([2, 0, 7]);
    expect(Array.from(cloud.attributes!['intensity']!.values)).toEqual([0.5, 1, 0.25]);
    expect(cloud.attributes!['label']!.type).toBe('uint32');
    expect(Object.keys(cloud.attributes!)).toEqual(['intensity', 'label']);
  });

  it('binary: `_` padding, rgba, a COUNT 33 fpfh histogram, uint8 and int8 fields', () => {
    // PCL's PointXYZ is 16 bytes: x y z and 4 bytes of padding.
    const fpfh = (p: number) => Array.from({ length: 33 }, (_, k) => ['f32', p * 100 + k] as ['f32', number]);
    const record = (p: number, x: number) => le(['f32', x], ['f32', x + 1], ['f32', x + 2], ['u32', 0xdeadbeef], ['u32', (0x80 << 24) | rgb(10, 20, 30)], ...fpfh(p), ['u8', 200 + p], ['i8', -p]);
    const bytes = pcdBytes(
      header('x y z _ rgba fpfh class offset', '4 4 4 4 4 4 1 1', 'F F F U U F U I', '1 1 1 1 1 33 1 1', 2, 'binary'),
      concat(record(0, 10), record(1, 20)),
    );
    const pcd = parsePcd(bytes, 'features.pcd');
    expect(pcd.fields).toHaveLength(8);
    expect(pcd.columns.map((column) => column.name)).toEqual(['x', 'y', 'z', 'rgba', 'fpfh', 'class', 'offset']);
    expect(Array.from(pcdColumn(pcd, 'fpfh')!.values.subarray(33, 36))).toEqual([100, 101, 102]);
    const cloud = pcdToPointCloud(pcd)!;
    expect(Array.from(cloud.points)).toEqual([10, 11, 12, 20, 21, 22]);
    expect(Array.from(cloud.colors!.subarray(0, 3))).toEqual([10, 20, 30].map((v) => Math.fround(v / 255)));
    expect(cloud.alpha![1]).toBeCloseTo(128 / 255, 6);
    expect(cloud.attributes!['fpfh_32']!.values[1]).toBe(132);
    expect(Array.from(cloud.attributes!['class']!.values)).toEqual([200, 201]);
    expect(Array.from(cloud.attributes!['offset']!.values)).toEqual([0, -1]);
    expect(cloud.attributes!['offset']!.type).toBe('int8');
    expect(cloud.labels).toBeUndefined();
  });

  it('binary_compressed: hand-made LZF with literal runs and back-references, fields column by column', () => {
    // Two points x = (1, 1), y = (1, 1), z = (2, 2): columns 1 1 1 1 2 2 as float32.
    const one = [0x00, 0x00, 0x80, 0x3f];
    const two = [0x00, 0x00, 0x00, 0x40];
    const lzf = Uint8Array.from([
      0x03, ...one, // literal run of 4 bytes
      0xe0, 12 - 2 - 7, 3, // back-reference, 12 bytes from 4 back (long form: length byte follows)
      0x03, ...two, // literal run of 4 bytes
      0x40, 3, // back-reference, 4 bytes from 4 back (short form)
    ]);
    const bytes = pcdBytes(header('x y z', '4 4 4', 'F F F', '1 1 1', 2, 'binary_compressed'), compressedBody(lzf, 24));
    const cloud = pcdToPointCloud(parsePcd(bytes, 'c.pcd'))!;
    expect(Array.from(cloud.points)).toEqual([1, 1, 2, 1, 1, 2]);
  });

  it('a file as Open3D writes it: FIELDS x y z rgb, binary_compressed', () => {
    const xs = [0.5, -1, 2];
    const colours = [rgb(255, 0, 0), rgb(0, 255, 0), rgb(12, 34, 56)];
    const columns = concat(
      le(...xs.map((x) => ['f32', x] as ['f32', number])),
      le(...xs.map((x) => ['f32', 2 * x] as ['f32', number])),
      le(...xs.map((x) => ['f32', -x] as ['f32', number])),
      le(...colours.map((c) => ['u32', c] as ['u32', number])),
    );
    const bytes = pcdBytes(header('x y z rgb', '4 4 4 4', 'F F F F', '1 1 1 1', 3, 'binary_compressed'), compressedBody(literalLzf(columns), columns.length));
    expect(detectFormat(bytes, 'fragment.pcd')).toBe('pcd');
    const cloud = pcdToPointCloud(parsePcd(bytes, 'fragment.pcd'))!;
    expect(Array.from(cloud.points)).toEqual([0.5, 1, -0.5, -1, -2, 1, 2, 4, -2]);
    expect(Array.from(cloud.colors!).map((v) => Math.round(v * 255))).toEqual([255, 0, 0, 0, 255, 0, 12, 34, 56]);
    expect(cloud.attributes).toBeUndefined();
  });

  it('an organized cloud (HEIGHT > 1) keeps its NaN points; the summary shows the grid and ignores NaN in the box', async () => {
    const values: ['f32', number][] = [];
    for (let row = 0; row < 2; row++) {
      for (let col = 0; col < 3; col++) {
        const hole = (row + col) % 2 === 1;
        values.push(['f32', hole ? NaN : col], ['f32', hole ? NaN : row], ['f32', hole ? NaN : 5]);
      }
    }
    const bytes = pcdBytes(
      `# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 3\nHEIGHT 2\nVIEWPOINT 0.5 0 0 1 0 0 0\nPOINTS 6\nDATA binary\n`,
      le(...values),
    );
    const file = await readPointFile(bytes, 'depth.pcd');
    if (file.format !== 'pcd') throw new Error('expected pcd');
    expect(file.cloud!.points.length).toBe(18);
    expect(Array.from(file.cloud!.points).filter(Number.isNaN)).toHaveLength(9);
    const summary = summarizePointFile(file);
    expect(summary).toMatchObject({
      format: 'pcd',
      encoding: 'binary',
      elements: { vertex: 6 },
      bbox: { min: [0, 0, 5], max: [2, 1, 5] },
      pcd: { width: 3, height: 2, viewpoint: [0.5, 0, 0, 1, 0, 0, 0] },
    });
    expect(summary.properties['vertex']).toEqual([
      { name: 'x', type: 'float32' },
      { name: 'y', type: 'float32' },
      { name: 'z', type: 'float32' },
    ]);
  });

  it('is detected by content: `# .PCD`, or VERSION/FIELDS first without the comment', () => {
    const plain = pcdBytes('VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nPOINTS 1\nDATA ascii\n1 2 3\n');
    expect(detectFormat(plain, 'cloud.dat')).toBe('pcd');
    expect(Array.from(pcdToPointCloud(parsePcd(plain, 'cloud.dat'))!.points)).toEqual([1, 2, 3]);
    expect(detectFormat(pcdBytes('FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nPOINTS 0\nDATA ascii\n'), 'x')).toBe('pcd');
  });
});

describe('PCD writing', () => {
  const rng = new Rng(7);
  const count = 50;
  const cloud: PointCloud = {
    points: Float32Array.from({ length: count * 3 }, () => rng.normal() * 100),
    normals: Float32Array.from({ length: count * 3 }, () => rng.uniform()),
    colors: Float32Array.from({ length: count * 3 }, (_, i) => (i % 256) / 255),
    attributes: {
      pred: { type: 'int32', values: Int32Array.from({ length: count }, (_, i) => i % 4) },
      prob_chair: { type: 'float32', values: Float32Array.from({ length: count }, () => rng.uniform()) },
      label: { type: 'uint8', values: Uint8Array.from({ length: count }, (_, i) => i % 3) },
    },
  };
  cloud.points[7] = NaN;

  for (const encoding of ['ascii', 'binary', 'binary_compressed'] as const) {
    it(`${encoding}: every value reads back`, () => {
      const bytes = writePointCloudPcd(cloud, { encoding, comments: ['bitpoint predict'] });
      const pcd = parsePcd(bytes, `out.pcd`);
      expect(pcd.encoding).toBe(encoding);
      expect(pcd.comments).toEqual(['bitpoint predict']);
      expect(pcd.fields.map((field) => `${field.name} ${field.type}${field.size}`)).toEqual([
        'x F4', 'y F4', 'z F4', 'normal_x F4', 'normal_y F4', 'normal_z F4', 'rgb F4', 'pred I4', 'prob_chair F4', 'label U1',
      ]);
      const back = pcdToPointCloud(pcd)!;
      expect(Array.from(back.points)).toEqual(Array.from(cloud.points));
      expect(Array.from(back.normals!)).toEqual(Array.from(cloud.normals!));
      expect(Array.from(back.colors!)).toEqual(Array.from(cloud.colors!));
      for (const name of ['pred', 'prob_chair', 'label']) {
        expect(back.attributes![name]!.type).toBe(cloud.attributes![name]!.type);
        expect(Array.from(back.attributes![name]!.values)).toEqual(Array.from(cloud.attributes![name]!.values));
      }
      expect(Array.from(back.labels!)).toEqual(Array.from(cloud.attributes!['label']!.values));
    });
  }

  it('an organized cloud, 8-byte and COUNT > 1 fields through writePcd', () => {
    const columns = [
      { name: 'x', type: 'F' as const, size: 4, values: [1, 2, 3, 4] },
      { name: 't', type: 'F' as const, size: 8, values: [0.1, 0.2, 0.3, 0.4] },
      { name: 'id', type: 'U' as const, size: 8, values: [2 ** 40, 1, 2, 3] },
      { name: 'h', type: 'I' as const, size: 2, count: 2, values: [-1, 1, -2, 2, -3, 3, -4, 4] },
    ];
    for (const encoding of ['ascii', 'binary', 'binary_compressed'] as const) {
      const pcd = parsePcd(writePcd(columns, 4, { encoding, width: 2, height: 2 }), 'grid.pcd');
      expect(pcd).toMatchObject({ width: 2, height: 2, points: 4 });
      expect(Array.from(pcdColumn(pcd, 't')!.values)).toEqual([0.1, 0.2, 0.3, 0.4]);
      expect(Array.from(pcdColumn(pcd, 'id')!.values)).toEqual([2 ** 40, 1, 2, 3]);
      expect(Array.from(pcdColumn(pcd, 'h')!.values)).toEqual([-1, 1, -2, 2, -3, 3, -4, 4]);
      expect(pcdToPointCloud(pcd)).toBeUndefined(); // no y, z
    }
  });

  it('LZF: compresses repetitive data and round-trips random data of any length', () => {
    const repetitive = Uint8Array.from({ length: 10000 }, (_, i) => i % 7);
    const packed = lzfCompress(repetitive);
    expect(packed.length).toBeLessThan(repetitive.length / 20);
    expect(lzfDecompress(packed, repetitive.length, 'x')).toEqual(repetitive);
    const random = new Rng(3);
    for (const length of [0, 1, 2, 3, 31, 32, 33, 1000, 20000]) {
      const data = Uint8Array.from({ length }, () => (random.uniform() < 0.5 ? 0 : random.int(256)));
      expect(lzfDecompress(lzfCompress(data), length, 'x')).toEqual(data);
    }
  });
});

describe('damaged PCD files: one FormatError naming the file', () => {
  const xyz = (points: number, data: string) => header('x y z', '4 4 4', 'F F F', '1 1 1', points, data);

  it('POINTS larger than the data', () => {
    const error = formatErrorOf(() => parsePcd(pcdBytes(xyz(3, 'binary'), new Uint8Array(24)), 'short.pcd'));
    expect(error.message).toMatch(/^short\.pcd \(byte \d+\): POINTS 3 of 12 bytes need 36 bytes of data, 24 are left$/);
    const text = formatErrorOf(() => parsePcd(pcdBytes(xyz(2, 'ascii') + '1 2 3\n4 5\n\n\n'), 'short.pcd'));
    expect(text.message).toBe("short.pcd (line 13): line ends where 'z' of point 1 was expected");
    const huge = formatErrorOf(() => parsePcd(pcdBytes(xyz(4000000000, 'ascii') + '1 2 3\n'), 'huge.pcd'));
    expect(huge.message).toMatch(/^huge\.pcd \(line 11\): POINTS 4000000000 with 3 values each needs at least 23999999999 bytes of text/);
  });

  it('compressed size past the end of the file', () => {
    const bytes = pcdBytes(xyz(1, 'binary_compressed'), concat(le(['u32', 1000], ['u32', 12]), literalLzf(new Uint8Array(12))));
    expect(formatErrorOf(() => parsePcd(bytes, 'cut.pcd')).message).toMatch(/^cut\.pcd \(byte \d+\): compressed size 1000 runs past the end of the file \(13 bytes left\)$/);
  });

  it('an LZF back-reference before the start of the output', () => {
    const lzf = Uint8Array.from([0x00, 0x41, 0x40, 0x05]); // 1 literal byte, then 4 bytes from 6 back
    const bytes = pcdBytes(xyz(1, 'binary_compressed'), compressedBody(lzf, 12));
    expect(formatErrorOf(() => parsePcd(bytes, 'ref.pcd')).message).toMatch(/^ref\.pcd \(byte \d+\): LZF data: a back-reference reaches 5 bytes before the start of the output$/);
    const short = pcdBytes(xyz(1, 'binary_compressed'), compressedBody(Uint8Array.from([0x03, 1, 2, 3, 4]), 12));
    expect(formatErrorOf(() => parsePcd(short, 's.pcd')).message).toMatch(/LZF data: decodes to 4 bytes, the header declares 12$/);
  });

  it('an uncompressed size of gigabytes is refused before anything is allocated', () => {
    const points = 357913941; // × 12 bytes = 4294967292
    const bytes = pcdBytes(xyz(points, 'binary_compressed'), compressedBody(literalLzf(new Uint8Array(12)), points * 12));
    expect(formatErrorOf(() => parsePcd(bytes, 'bomb.pcd')).message).toMatch(/^bomb\.pcd \(byte \d+\): uncompressed size 4294967292 is not plausible for 13 bytes of LZF data/);
    const mismatch = pcdBytes(xyz(1, 'binary_compressed'), compressedBody(literalLzf(new Uint8Array(12)), 0xffffffff));
    expect(formatErrorOf(() => parsePcd(mismatch, 'm.pcd')).message).toMatch(/uncompressed size 4294967295 is not POINTS 1 × 12 bytes = 12$/);
  });

  it('header mistakes', () => {
    const bad = (head: string) => formatErrorOf(() => parsePcd(pcdBytes(head), 'h.pcd')).message;
    expect(bad(header('x y z', '4 4', 'F F F', '1 1 1', 1, 'ascii'))).toBe('h.pcd (line 4): SIZE has 2 entries for 3 FIELDS');
    expect(bad(header('x y z', '4 4 2', 'F F F', '1 1 1', 1, 'ascii'))).toMatch(/field 'z' of TYPE F cannot have SIZE 2/);
    expect(bad(header('x y z', '4 4 4', 'F F Q', '1 1 1', 1, 'ascii'))).toMatch(/TYPE of 'z' is 'Q'/);
    expect(bad(header('x y z', '4 4 4', 'F F F', '1 1 1', 1, 'lzma'))).toBe("h.pcd (line 11): DATA 'lzma' (known: ascii, binary, binary_compressed)");
    expect(bad(header('x y z', '4 4 4', 'F F F', '1 1 1', 1, 'ascii').replace('POINTS 1', 'POINTS 2'))).toMatch(/WIDTH 1 × HEIGHT 1 is not POINTS 2/);
    expect(bad('# .PCD v0.7\nVERSION 0.7\nFIELDS x\n')).toMatch(/the PCD header has no DATA line/);
    expect(bad('VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOLOR 1\n')).toBe("h.pcd (line 5): unknown PCD header line 'COLOR 1'");
    expect(bad(header('x', '4', 'U', '1', 1, 'ascii') + '-1\n')).toMatch(/'x' must be an integer in \[0, 4294967295\]/);
  });
});
