import { FormatError } from '../../util/errors.ts';

/**
 * IDX arrays (MNIST's format): two zero bytes, a type code, the number of dimensions, each
 * dimension as a big-endian uint32, then the values, big-endian, row-major.
 *
 *   const images = await decodeIdx(bytes, 'train-images-idx3-ubyte.gz');   // raw or gzipped
 *   images.dims;   // [60000, 28, 28]
 *
 * `parseIdx` is synchronous and takes raw bytes; `decodeIdx` also accepts gzip (detected by its
 * magic bytes) and decompresses with the standard DecompressionStream, stopping as soon as the
 * output exceeds the size the IDX header announces, so a corrupt or hostile file cannot exhaust
 * memory.
 */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxTypedArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  type: IdxType;
  dims: number[];
  /** Values in native byte order, row-major; length = product of dims. */
  data: IdxTypedArray;
}

interface IdxTypeInfo {
  type: IdxType;
  bytes: number;
  create(length: number): IdxTypedArray;
  read(view: DataView, at: number): number;
}

const IDX_TYPES: ReadonlyMap<number, IdxTypeInfo> = new Map([
  [0x08, { type: 'uint8', bytes: 1, create: (n: number) => new Uint8Array(n), read: (v: DataView, p: number) => v.getUint8(p) }],
  [0x09, { type: 'int8', bytes: 1, create: (n: number) => new Int8Array(n), read: (v: DataView, p: number) => v.getInt8(p) }],
  [0x0b, { type: 'int16', bytes: 2, create: (n: number) => new Int16Array(n), read: (v: DataView, p: number) => v.getInt16(p) }],
  [0x0c, { type: 'int32', bytes: 4, create: (n: number) => new Int32Array(n), read: (v: DataView, p: number) => v.getInt32(p) }],
  [0x0d, { type: 'float32', bytes: 4, create: (n: number) => new Float32Array(n), read: (v: DataView, p: number) => v.getFloat32(p) }],
  [0x0e, { type: 'float64', bytes: 8, create: (n: number) => new Float64Array(n), read: (v: DataView, p: number) => v.getFloat64(p) }],
] as [number, IdxTypeInfo][]);

/** IDX type code for a type name (for writers of test data). */
export const IDX_TYPE_CODES: Readonly<Record<IdxType, number>> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

interface IdxHeader {
  info: IdxTypeInfo;
  dims: number[];
  headerBytes: number;
  /** Total file size the header implies. */
  totalBytes: number;
}

/** The header, or null when `bytes` is too short to hold all of it yet. */
function readIdxHeader(bytes: Uint8Array, fileName: string): IdxHeader | null {
  if (bytes.length < 4) return null;
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new FormatError(fileName, 'not an IDX file: it does not start with two zero bytes', { byte: 0 });
  const info = IDX_TYPES.get(bytes[2]!);
  if (!info) throw new FormatError(fileName, `unknown IDX type code 0x${bytes[2]!.toString(16).padStart(2, '0')} (known: 08 09 0B 0C 0D 0E)`, { byte: 2 });
  const rank = bytes[3]!;
  if (rank === 0) throw new FormatError(fileName, 'IDX array with zero dimensions', { byte: 3 });
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let values = 1;
  for (let i = 0; i < rank; i++) {
    const dim = view.getUint32(4 + 4 * i);
    dims.push(dim);
    values *= dim;
  }
  // Exact while below 2^53; anything near that is rejected against the file size anyway.
  const totalBytes = headerBytes + values * info.bytes;
  return { info, dims, headerBytes, totalBytes };
}

/** Parses raw (not gzipped) IDX bytes; the data size must match the dimensions exactly. */
export function parseIdx(input: Uint8Array | ArrayBuffer, fileName: string): IdxArray {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length === 0) throw new FormatError(fileName, 'empty file', { byte: 0 });
  if (isGzip(bytes)) throw new FormatError(fileName, 'file is gzip-compressed; decode it with decodeIdx', { byte: 0 });
  const header = readIdxHeader(bytes, fileName);
  if (!header) throw new FormatError(fileName, 'file ends inside the IDX header', { byte: bytes.length });
  const { info, dims, headerBytes, totalBytes } = header;
  if (totalBytes !== bytes.length) {
    const shape = dims.join('×');
    throw new FormatError(
      fileName,
      `IDX ${info.type} array of ${shape} needs ${totalBytes - headerBytes} data bytes but the file has ${bytes.length - headerBytes}` +
        (totalBytes > bytes.length ? ' (truncated?)' : ' (trailing data)'),
      { byte: Math.min(totalBytes, bytes.length) },
    );
  }
  const count = (totalBytes - headerBytes) / info.bytes;
  const data = info.create(count);
  if (info.bytes === 1) {
    data.set(info.type === 'uint8' ? bytes.subarray(headerBytes) : new Int8Array(bytes.buffer, bytes.byteOffset + headerBytes, count));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0, p = headerBytes; i < count; i++, p += info.bytes) data[i] = info.read(view, p);
  }
  return { type: info.type, dims, data };
}

/** Parses IDX bytes, raw or gzipped. */
export async function decodeIdx(input: Uint8Array | ArrayBuffer, fileName: string): Promise<IdxArray> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  return parseIdx(isGzip(bytes) ? await gunzipIdx(bytes, fileName) : bytes, fileName);
}

/** Gunzips, giving up once the output is longer than the IDX header inside it says the file is. */
async function gunzipIdx(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const reader = source.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let limit = Infinity;
  let head: Uint8Array = new Uint8Array(0);
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        throw new FormatError(fileName, `corrupt gzip data: ${(error as Error)?.message ?? String(error)}`);
      }
      if (result.done) break;
      const chunk = result.value;
      chunks.push(chunk);
      total += chunk.length;
      if (limit === Infinity && head.length < 4 + 4 * 255) {
        head = concat([head, chunk.subarray(0, 4 + 4 * 255)]);
        const header = readIdxHeader(head, fileName);
        if (header) limit = header.totalBytes;
      }
      if (total > limit) throw new FormatError(fileName, `decompressed data is longer than the ${limit} bytes its IDX header announces`);
    }
  } catch (error) {
    // Stop inflating: the rest of a bad or hostile stream is never decompressed.
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  return concat(chunks);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** IDX bytes for an array (used to build test fixtures and small data sets). */
export function writeIdx(array: IdxArray): Uint8Array {
  const code = IDX_TYPE_CODES[array.type];
  const info = IDX_TYPES.get(code)!;
  const count = array.dims.reduce((product, dim) => product * dim, 1);
  if (count !== array.data.length) throw new RangeError(`writeIdx: dims ${array.dims.join('×')} hold ${count} values, data has ${array.data.length}`);
  const headerBytes = 4 + 4 * array.dims.length;
  const out = new Uint8Array(headerBytes + count * info.bytes);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = array.dims.length;
  array.dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim));
  for (let i = 0, p = headerBytes; i < count; i++, p += info.bytes) {
    const value = array.data[i]!;
    switch (array.type) {
      case 'uint8':
        view.setUint8(p, value);
        break;
      case 'int8':
        view.setInt8(p, value);
        break;
      case 'int16':
        view.setInt16(p, value);
        break;
      case 'int32':
        view.setInt32(p, value);
        break;
      case 'float32':
        view.setFloat32(p, value);
        break;
      case 'float64':
        view.setFloat64(p, value);
        break;
    }
  }
  return out;
}
