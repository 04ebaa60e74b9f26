import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeIdx, parseIdx, writeIdx, type IdxArray, type IdxType } from '../../../src/data/formats/idx.ts';
import { IDX_IMAGES, IDX_LABELS } from '../../fixtures/formats/make-fixtures.ts';
import { asyncFormatErrorOf, fixture, formatErrorOf } from './helpers.ts';

describe('IDX', () => {
  it('reads MNIST-style labels (raw) and images (gzipped)', async () => {
    const labels = parseIdx(fixture('t10k-labels-idx1-ubyte'), 't10k-labels-idx1-ubyte');
    expect(labels.type).toBe('uint8');
    expect(labels.dims).toEqual([3]);
    expect(Array.from(labels.data)).toEqual(IDX_LABELS);
    const images = await decodeIdx(fixture('t10k-images-idx3-ubyte.gz'), 't10k-images-idx3-ubyte.gz');
    expect(images.dims).toEqual([3, 4, 5]);
    expect(Array.from(images.data)).toEqual(IDX_IMAGES);
  });

  const arrays: Record<IdxType, number[]> = {
    uint8: [0, 255, 7],
    int8: [-128, 127, 0],
    int16: [-32768, 32767, 1],
    int32: [-2147483648, 2147483647, 2],
    float32: [Math.fround(0.1), -3.4028234663852886e38, 1.401298464324817e-45],
    float64: [0.1, Number.MAX_VALUE, 5e-324],
  };
  it.each(Object.keys(arrays) as IdxType[])('%s, big-endian on disk, raw and gzipped', async (type) => {
    const array = { type, dims: [1, 3], data: new (ARRAYS[type])(arrays[type]) } as IdxArray;
    const bytes = writeIdx(array);
    expect(parseIdx(bytes, 'a.idx')).toEqual(array);
    expect(await decodeIdx(gzipSync(bytes), 'a.idx.gz')).toEqual(array);
  });

  it.each([
    ['empty', [], /empty file/, 0],
    ['not IDX', [1, 2, 3, 4], /does not start with two zero bytes/, 0],
    ['type 0x0A', [0, 0, 0x0a, 1, 0, 0, 0, 0], /unknown IDX type code 0x0a/, 2],
    ['zero dimensions', [0, 0, 8, 0], /zero dimensions/, 3],
    ['truncated header', [0, 0, 8, 3, 0, 0, 0, 1], /ends inside the IDX header/, 8],
    ['truncated data', [0, 0, 8, 1, 0, 0, 0, 5, 1, 2], /needs 5 data bytes but the file has 2 \(truncated\?\)/, 10],
    ['trailing data', [0, 0, 8, 1, 0, 0, 0, 1, 1, 2], /trailing data/, 9],
    ['absurd dims', [0, 0, 0x0e, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1], /4294967295×4294967295×4294967295 needs [\d.e+]+ data bytes but the file has 1/, 17],
  ])('%s → FormatError', (_, bytes, message, byte) => {
    const error = formatErrorOf(() => parseIdx(new Uint8Array(bytes), 'bad-idx1-ubyte'));
    expect(error.message).toMatch(message);
    expect(error.position).toEqual({ byte });
  });

  it('gzip: corrupt data and a decompression bomb are FormatErrors', async () => {
    const good = gzipSync(writeIdx({ type: 'uint8', dims: [4], data: new Uint8Array(4) }));
    const corrupt = good.slice();
    corrupt[good.length - 12] ^= 0xff;
    expect((await asyncFormatErrorOf(() => decodeIdx(corrupt, 'c.gz'))).message).toMatch(/corrupt gzip data|needs|longer/);
    expect((await asyncFormatErrorOf(() => decodeIdx(good.subarray(0, 15), 'c.gz'))).message).toMatch(/corrupt gzip data/);
    // A 4-byte array followed by 16 MiB of zeros: stops at the header's size, never inflates it all.
    const bomb = new Uint8Array(4 + 4 + 4 + 16 * 1024 * 1024);
    bomb.set([0, 0, 8, 1, 0, 0, 0, 4]);
    expect((await asyncFormatErrorOf(() => decodeIdx(gzipSync(bomb), 'bomb.gz'))).message).toMatch(/longer than the 12 bytes its IDX header announces/);
  });
});

const ARRAYS = { uint8: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array };
