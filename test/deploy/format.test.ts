import { describe, expect, it } from 'vitest';
import { packedBytes, packUints, ternaryCode, ternarySign, unpackUints } from '../../src/deploy/codes.ts';
import { crc32 } from '../../src/deploy/crc32.ts';
import { PackedFormatError, readPackedModel, writePackedModel, type TensorData } from '../../src/deploy/format.ts';
import type { ProgramHeader } from '../../src/deploy/program.ts';
import { Rng } from '../../src/util/rng.ts';

describe('bit codes', () => {
  it('pack and unpack every width, odd counts included', () => {
    const rng = new Rng(3);
    for (const bits of [1, 2, 3, 4, 5, 7, 8, 12, 16]) {
      for (const count of [1, 7, 31, 33, 63, 65, 130]) {
        const values = Array.from({ length: count }, () => rng.int(2 ** bits));
        const bytes = packUints(values, bits);
        expect(bytes.length).toBe(packedBytes(count, bits));
        expect(Array.from(unpackUints(bytes, count, bits))).toEqual(values);
      }
    }
  });

  it('is a little-endian bit stream', () => {
    expect(Array.from(packUints([1, 0, 1, 1, 0, 0, 0, 0, 1], 1))).toEqual([0b00001101, 0b1]);
    expect(Array.from(packUints([3, 1, 0, 2], 2))).toEqual([0b10000111]);
  });

  it('rejects values that do not fit', () => {
    expect(() => packUints([4], 2)).toThrow(/does not fit in 2 bits/);
    expect(() => unpackUints(new Uint8Array(1), 9, 1)).toThrow(/need 2 bytes/);
  });

  it('ternary codes: 0, +1, −1 and the invalid 2', () => {
    expect([-3, 0, 0.5].map(ternaryCode)).toEqual([3, 0, 1]);
    expect([0, 1, 3].map(ternarySign)).toEqual([0, 1, -1]);
    expect(ternarySign(2)).toBeNaN();
  });

  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

const program: ProgramHeader = {
  model: 'test',
  task: 'classification',
  numClasses: 3,
  input: { kind: 'points', channels: 3 },
  numCategories: 0,
  program: [{ op: 'max_rows', input: 'points', output: 'logits', entropyMaximizing: false }],
  output: 'logits',
};

function sample(): Uint8Array {
  const tensors = new Map<string, TensorData>([
    ['a', { dtype: 'float32', values: Float32Array.from([1, -2, 3.5]) }],
    ['b', { dtype: 'codes', bits: 1, count: 13, bytes: packUints(Array.from({ length: 13 }, (_, i) => i % 2), 1) }],
    ['c', { dtype: 'int32', values: Int32Array.from([-7, 9]) }],
  ]);
  return writePackedModel(program, tensors, { note: 'test' });
}

/** Re-signs a file after editing its header, so the structural checks (not the checksum) are tested. */
function withHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + headerBytes))) as Record<string, unknown>;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const payload = bytes.subarray(24 + headerBytes);
  const out = new Uint8Array(24 + padded + payload.length);
  out.set(bytes.subarray(0, 24));
  out.set(json, 24);
  out.fill(0x20, 24 + json.length, 24 + padded);
  out.set(payload, 24 + padded);
  const outView = new DataView(out.buffer);
  outView.setUint32(12, padded, true);
  outView.setUint32(20, crc32(out.subarray(24)), true);
  return out;
}

function rejection(bytes: Uint8Array): string {
  try {
    readPackedModel(bytes, 'm.bitpoint');
  } catch (error) {
    expect(error).toBeInstanceOf(PackedFormatError);
    return (error as Error).message;
  }
  throw new Error('accepted a bad file');
}

describe('packed file', () => {
  it('round-trips tensors and header', () => {
    const model = readPackedModel(sample(), 'm.bitpoint');
    expect(model.header.program).toEqual(program.program);
    expect(model.header.source).toEqual({ note: 'test' });
    const a = model.tensors.get('a')!;
    expect(a.dtype === 'float32' && Array.from(a.values)).toEqual([1, -2, 3.5]);
    const b = model.tensors.get('b')!;
    expect(b.dtype === 'codes' && Array.from(unpackUints(b.bytes, 13, 1))).toEqual(Array.from({ length: 13 }, (_, i) => i % 2));
    const c = model.tensors.get('c')!;
    expect(c.dtype === 'int32' && Array.from(c.values)).toEqual([-7, 9]);
  });

  it('rejects truncation at every length, naming the file', () => {
    const bytes = sample();
    for (const length of [0, 5, 23, 24, 40, bytes.length - 1]) {
      expect(rejection(bytes.subarray(0, length))).toMatch(/^m\.bitpoint: .*(too short|truncated)/);
    }
  });

  it('rejects any flipped bit through the checksum', () => {
    const bytes = sample();
    for (const position of [30, 60, bytes.length - 3]) {
      const tampered = bytes.slice();
      tampered[position]! ^= 0x10;
      expect(rejection(tampered)).toMatch(/checksum mismatch/);
    }
  });

  it('rejects a wrong magic, a newer version and trailing bytes', () => {
    const bytes = sample();
    const magic = bytes.slice();
    magic[0] = 0x50;
    expect(rejection(magic)).toMatch(/not a bitpoint packed model/);
    const version = bytes.slice();
    new DataView(version.buffer).setUint32(8, 2, true);
    expect(rejection(version)).toMatch(/format version 2 is not supported/);
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(rejection(longer)).toMatch(/4 unexpected bytes/);
  });

  it('rejects headers whose tensors disagree with the payload', () => {
    const bytes = sample();
    type Entry = { count: number; bytes: number; offset: number; dtype: string; bits?: number };
    const tensors = (h: Record<string, unknown>) => h['tensors'] as Entry[];
    expect(rejection(withHeader(bytes, (h) => (tensors(h)[0]!.count = 4)))).toMatch(/tensors\[0\] \("a"\): 12 bytes recorded, but 4 float32 values take 16/);
    expect(rejection(withHeader(bytes, (h) => (tensors(h)[1]!.offset = 10_000)))).toMatch(/outside the \d+-byte payload/);
    expect(rejection(withHeader(bytes, (h) => (tensors(h)[2]!.offset = 16)))).toMatch(/overlap/);
    expect(rejection(withHeader(bytes, (h) => (tensors(h)[1]!.bits = 0)))).toMatch(/bits must be an integer/);
    expect(rejection(withHeader(bytes, (h) => (tensors(h)[0]!.dtype = 'float64')))).toMatch(/unknown dtype/);
    expect(rejection(withHeader(bytes, (h) => delete h['program']))).toMatch(/header\.program must be a non-empty list of ops/);
  });
});
