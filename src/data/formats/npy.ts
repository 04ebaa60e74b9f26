import { FormatError } from '../../util/errors.ts';
import type { PointCloud } from './point-cloud.ts';

/**
 * NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): a magic string, a version, a header length,
 * a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (1024, 3), }` and the
 * raw array. Every value is read into a Float64Array in C order, whatever its dtype and order,
 * so callers see one thing; the dtype and order stay on the result for `inspect`.
 *
 * Point clouds are (N, C) with C ≥ 3 (x y z first; nx ny nz next when C ≥ 6), and batches of
 * clouds are (B, N, C), the layout HDF5 point sets have (see `npyPointSets`).
 */
export interface NpyArray {
  /** e.g. `<f4`, `>i2`, `|u1`, as the header states it. */
  descr: string;
  dtype: NpyDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Every value, in C (row-major) order. */
  data: Float64Array;
  version: string;
}

export type NpyDtype = 'float16' | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32';

const DTYPES: Record<string, { dtype: NpyDtype; size: number }> = {
  f2: { dtype: 'float16', size: 2 },
  f4: { dtype: 'float32', size: 4 },
  f8: { dtype: 'float64', size: 8 },
  i1: { dtype: 'int8', size: 1 },
  i2: { dtype: 'int16', size: 2 },
  i4: { dtype: 'int32', size: 4 },
  i8: { dtype: 'int64', size: 8 },
  u1: { dtype: 'uint8', size: 1 },
  u2: { dtype: 'uint16', size: 2 },
  u4: { dtype: 'uint32', size: 4 },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Headers are a few hundred bytes; a larger one is not a real file. */
const MAX_HEADER_BYTES = 1 << 16;

export function hasNpyMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((byte, i) => bytes[i] === byte);
}

export function parseNpy(input: Uint8Array | ArrayBuffer, fileName: string): NpyArray {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length === 0) throw new FormatError(fileName, 'empty file', { byte: 0 });
  if (!hasNpyMagic(bytes)) throw new FormatError(fileName, 'not a NumPy .npy file: no \\x93NUMPY magic', { byte: 0 });
  if (bytes.length < 10) throw new FormatError(fileName, 'truncated NumPy preamble', { byte: bytes.length });
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) throw new FormatError(fileName, `NumPy format version ${major}.${minor} (known: 1.0, 2.0, 3.0)`, { byte: 6 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new FormatError(fileName, 'truncated NumPy preamble', { byte: bytes.length });
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerLength > MAX_HEADER_BYTES) throw new FormatError(fileName, `header length ${headerLength} is not plausible (at most ${MAX_HEADER_BYTES})`, { byte: 8 });
  if (headerStart + headerLength > bytes.length) {
    throw new FormatError(fileName, `header of ${headerLength} bytes runs past the end of the file (${bytes.length} bytes)`, { byte: 8 });
  }
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  // Versions 1 and 2 write latin-1, version 3 UTF-8; the keys and values we read are ASCII either way.
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const fields = parseHeaderDict(header, fileName, headerStart);

  const descr = fields.descr;
  const match = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const known = match ? DTYPES[`${match[2]}${match[3]}`] : undefined;
  if (!match || !known) {
    throw new FormatError(fileName, `dtype '${clip(descr)}' is not supported (known: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4, little- or big-endian)`, { byte: headerStart });
  }
  const littleEndian = match[1] !== '>';

  const dataStart = headerStart + headerLength;
  const available = bytes.length - dataStart;
  let count = 1;
  for (const dim of fields.shape) count *= dim;
  // The product is checked against the bytes there are before anything is allocated from it.
  if (!Number.isSafeInteger(count * known.size) || count * known.size !== available) {
    throw new FormatError(
      fileName,
      `shape (${fields.shape.join(', ')}) of ${descr} needs ${count * known.size} bytes of data, the file has ${available}`,
      { byte: dataStart },
    );
  }
  const raw = readValues(view, dataStart, count, known.dtype, littleEndian);
  const data = fields.fortranOrder && fields.shape.length > 1 ? fortranToC(raw, fields.shape) : raw;
  return { descr, dtype: known.dtype, littleEndian, fortranOrder: fields.fortranOrder, shape: fields.shape, data, version: `${major}.${minor}` };
}

/** Writes an `.npy` (version 1.0, or 2.0 when the header needs it) in C order. */
export function writeNpy(data: ArrayLike<number>, shape: readonly number[], dtype: 'float32' | 'float64' | 'int32' | 'uint8' = 'float32'): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`shape (${shape.join(', ')}) holds ${count} values, data has ${data.length}`);
  const code = { float32: '<f4', float64: '<f8', int32: '<i4', uint8: '|u1' }[dtype];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${code}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const major = dict.length + 1 + 10 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  // NumPy pads the header with spaces so the data starts on a 64-byte boundary.
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const size = { float32: 4, float64: 8, int32: 4, uint8: 1 }[dtype];
  const out = new Uint8Array(total + count * size);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  for (let i = 0; i < count; i++) {
    const value = data[i]!;
    const at = total + i * size;
    if (dtype === 'float32') view.setFloat32(at, value, true);
    else if (dtype === 'float64') view.setFloat64(at, value, true);
    else if (dtype === 'int32') view.setInt32(at, value, true);
    else out[at] = value;
  }
  return out;
}

/**
 * An (N, C) array as one cloud (x y z from the first three columns, normals from the next three
 * when C ≥ 6), or a (B, N, C) array as B clouds of N points.
 */
export function npyPointSets(array: NpyArray, fileName: string): { shapeCount: number; pointsPerShape: number; points: Float32Array; normals?: Float32Array } {
  const { shape } = array;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new FormatError(fileName, `array of shape (${shape.join(', ')}) is not a point cloud: expected (N, C) or (B, N, C) with C ≥ 3`);
  }
  const channels = shape[shape.length - 1]!;
  if (channels < 3) throw new FormatError(fileName, `array of shape (${shape.join(', ')}) has ${channels} columns per point; x y z need 3`);
  const shapeCount = shape.length === 3 ? shape[0]! : 1;
  const pointsPerShape = shape[shape.length - 2]!;
  const total = shapeCount * pointsPerShape;
  const points = new Float32Array(total * 3);
  const normals = channels >= 6 ? new Float32Array(total * 3) : undefined;
  for (let i = 0; i < total; i++) {
    for (let c = 0; c < 3; c++) points[3 * i + c] = array.data[i * channels + c]!;
    if (normals) for (let c = 0; c < 3; c++) normals[3 * i + c] = array.data[i * channels + 3 + c]!;
  }
  return normals ? { shapeCount, pointsPerShape, points, normals } : { shapeCount, pointsPerShape, points };
}

/** One (N, C) array as a point cloud. */
export function npyToPointCloud(array: NpyArray, fileName: string): PointCloud {
  if (array.shape.length !== 2) {
    throw new FormatError(fileName, `array of shape (${array.shape.join(', ')}) holds ${array.shape.length === 3 ? `${array.shape[0]} clouds` : 'no cloud'}; one cloud is (N, C) with C ≥ 3`);
  }
  const sets = npyPointSets(array, fileName);
  return sets.normals ? { points: sets.points, normals: sets.normals } : { points: sets.points };
}

interface HeaderFields {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** The three keys of NumPy's header dict; anything else in it is an error, as in NumPy. */
function parseHeaderDict(header: string, fileName: string, byte: number): HeaderFields {
  const text = header.trim();
  const fail = (problem: string): never => {
    throw new FormatError(fileName, `bad NumPy header ${clip(text)}: ${problem}`, { byte });
  };
  if (!text.startsWith('{') || !text.endsWith('}')) fail('expected a dict literal {…}');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const order = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined) fail("no 'descr'");
  if (order === undefined) fail("no 'fortran_order'");
  if (shapeText === undefined) fail("no 'shape'");
  const keys = [...text.matchAll(/['"]([a-z_]+)['"]\s*:/g)].map((m) => m[1]!);
  const unknown = keys.filter((key) => !['descr', 'fortran_order', 'shape'].includes(key));
  if (unknown.length > 0) fail(`unknown key '${clip(unknown[0]!)}'`);
  const parts = shapeText!.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  const shape = parts.map((part) => (/^\d{1,15}L?$/.test(part) ? Number.parseInt(part, 10) : fail(`shape entry '${clip(part)}' is not a whole number`)));
  if (shape.length > 8) fail(`${shape.length} dimensions`);
  return { descr: descr!, fortranOrder: order === 'True', shape };
}

function readValues(view: DataView, start: number, count: number, dtype: NpyDtype, little: boolean): Float64Array {
  const out = new Float64Array(count);
  switch (dtype) {
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(start + 2 * i, little));
      break;
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(start + 4 * i, little);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(start + 8 * i, little);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(start + i);
      break;
    case 'uint8':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(start + i);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(start + 2 * i, little);
      break;
    case 'uint16':
      for (let i = 0; i < count; i++) out[i] = view.getUint16(start + 2 * i, little);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(start + 4 * i, little);
      break;
    case 'uint32':
      for (let i = 0; i < count; i++) out[i] = view.getUint32(start + 4 * i, little);
      break;
    case 'int64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(start + 8 * i, little));
      break;
  }
  return out;
}

/** IEEE 754 half precision to a number (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Column-major values to row-major for the same shape. */
function fortranToC(values: Float64Array, shape: readonly number[]): Float64Array {
  const out = new Float64Array(values.length);
  const rank = shape.length;
  const fStrides = new Array<number>(rank);
  let stride = 1;
  for (let d = 0; d < rank; d++) {
    fStrides[d] = stride;
    stride *= shape[d]!;
  }
  const index = new Array<number>(rank).fill(0);
  for (let c = 0; c < out.length; c++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += index[d]! * fStrides[d]!;
    out[c] = values[f]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
