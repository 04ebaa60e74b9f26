import { FormatError } from '../../util/errors.ts';
import { LZF_MAX_EXPANSION, lzfCompress, lzfDecompress } from './lzf.ts';
import { formatFloat32, formatFloat64 } from './number-text.ts';
import type { PlyScalarType, PlyTypedArray } from './ply/types.ts';
import type { PointAttribute, PointCloud } from './point-cloud.ts';
import { latin1, TextScanner } from './text-scanner.ts';

/**
 * The Point Cloud Library's PCD format (v0.7; also what Open3D writes): a text header
 *
 *   # .PCD v0.7 - Point Cloud Data file format
 *   VERSION 0.7
 *   FIELDS x y z rgb
 *   SIZE 4 4 4 4
 *   TYPE F F F F          (F float, I signed, U unsigned)
 *   COUNT 1 1 1 1         (values per field: `fpfh` has 33)
 *   WIDTH 640
 *   HEIGHT 480            (> 1: an organized cloud, e.g. a depth image; invalid points are NaN)
 *   VIEWPOINT 0 0 0 1 0 0 0
 *   POINTS 307200
 *   DATA binary_compressed
 *
 * then the points: one text line each (`ascii`), packed records of all fields (`binary`, little
 * endian), or (`binary_compressed`) uint32 compressed size, uint32 uncompressed size and LZF data
 * that decodes to the fields laid out column by column (every point's field 1, then field 2, …).
 * Fields named `_` are padding: counted in the layout, not kept. `rgb` is a float32 (or uint32)
 * whose bytes are 0x00RRGGBB; `rgba` is 0xAARRGGBB.
 */
export type PcdEncoding = 'ascii' | 'binary' | 'binary_compressed';
export type PcdTypeCode = 'F' | 'I' | 'U';

export interface PcdField {
  name: string;
  /** Bytes per value: 1, 2, 4 or 8. */
  size: number;
  type: PcdTypeCode;
  /** Values per point. */
  count: number;
}

export interface PcdColumn extends PcdField {
  /** Points × count values, point by point (point i's values at [i·count, (i + 1)·count)). */
  values: PlyTypedArray;
}

export interface PcdData {
  version: string;
  /** Every field the header declares, padding (`_`) included, in file order. */
  fields: PcdField[];
  /** The fields that hold data (padding dropped), with their values. */
  columns: PcdColumn[];
  width: number;
  height: number;
  /** tx ty tz qw qx qy qz. */
  viewpoint: number[];
  points: number;
  encoding: PcdEncoding;
  comments: string[];
}

/** The most data bytes (uncompressed) a PCD file may declare; far above any scan we read. */
export const PCD_DATA_LIMIT = 1 << 30;
/** A header longer than this has no DATA line worth looking for. */
const MAX_HEADER_BYTES = 1 << 20;
const MAX_LINE_BYTES = 1 << 16;
const DEFAULT_VIEWPOINT = [0, 0, 0, 1, 0, 0, 0];

/** `# .PCD` first, or a header keyword after comment lines (PCL writes files without the comment too). */
export function hasPcdSignature(bytes: Uint8Array): boolean {
  let p = 0;
  const startsWith = (text: string, at: number) => {
    for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
    return at + text.length <= bytes.length;
  };
  if (startsWith('# .PCD', 0)) return true;
  while (p < bytes.length && bytes[p] === 35) {
    while (p < bytes.length && bytes[p] !== 10) p++;
    p++;
  }
  return startsWith('VERSION ', p) || startsWith('FIELDS ', p);
}

/** The scalar type a field's values are kept in; 8-byte integers become float64 (exact to 2^53). */
export function pcdScalarType(field: Pick<PcdField, 'size' | 'type'>): PlyScalarType {
  if (field.type === 'F') return field.size === 8 ? 'float64' : 'float32';
  if (field.size === 8) return 'float64';
  const bits = field.size * 8;
  return `${field.type === 'I' ? 'int' : 'uint'}${bits}` as PlyScalarType;
}

/** How `inspect` names a field's type: float32, uint8, int64, …, with `[33]` for COUNT 33. */
export function pcdTypeName(field: PcdField): string {
  const base = field.type === 'F' ? `float${field.size * 8}` : `${field.type === 'I' ? 'int' : 'uint'}${field.size * 8}`;
  return field.count === 1 ? base : `${base}[${field.count}]`;
}

export function parsePcd(input: Uint8Array | ArrayBuffer, fileName: string): PcdData {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length === 0) throw new FormatError(fileName, 'empty file', { byte: 0 });
  const header = parseHeader(bytes, fileName);
  const { fields, points, dataStart } = header;
  const kept = fields.filter((field) => field.name !== '_');
  const pointSize = fields.reduce((sum, field) => sum + field.size * field.count, 0);
  const columns: PcdColumn[] = [];
  const allocate = () => {
    for (const field of kept) columns.push({ ...field, values: createArray(pcdScalarType(field), points * field.count) });
  };
  if (header.encoding === 'ascii') {
    const valuesPerPoint = fields.reduce((sum, field) => sum + field.count, 0);
    // Each value needs a character and a separator.
    if (points * valuesPerPoint * 2 > bytes.length - dataStart + 1) {
      throw new FormatError(fileName, `POINTS ${points} with ${valuesPerPoint} values each needs at least ${points * valuesPerPoint * 2 - 1} bytes of text, ${bytes.length - dataStart} are left`, { line: header.dataLine });
    }
    allocate();
    readAscii(bytes, fileName, header, columns);
  } else if (header.encoding === 'binary') {
    const needed = points * pointSize;
    if (needed > bytes.length - dataStart) {
      throw new FormatError(fileName, `POINTS ${points} of ${pointSize} bytes need ${needed} bytes of data, ${bytes.length - dataStart} are left`, { byte: dataStart });
    }
    allocate();
    readColumns(bytes, dataStart, fields, columns, points, (field) => field.size * field.count, pointSize);
  } else {
    if (bytes.length - dataStart < 8) throw new FormatError(fileName, 'binary_compressed data has no size header (8 bytes)', { byte: dataStart });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const compressedSize = view.getUint32(dataStart, true);
    const uncompressedSize = view.getUint32(dataStart + 4, true);
    const needed = points * pointSize;
    if (dataStart + 8 + compressedSize > bytes.length) {
      throw new FormatError(fileName, `compressed size ${compressedSize} runs past the end of the file (${bytes.length - dataStart - 8} bytes left)`, { byte: dataStart });
    }
    if (uncompressedSize !== needed) {
      throw new FormatError(fileName, `uncompressed size ${uncompressedSize} is not POINTS ${points} × ${pointSize} bytes = ${needed}`, { byte: dataStart + 4 });
    }
    if (uncompressedSize > PCD_DATA_LIMIT || uncompressedSize > compressedSize * LZF_MAX_EXPANSION) {
      throw new FormatError(fileName, `uncompressed size ${uncompressedSize} is not plausible for ${compressedSize} bytes of LZF data (at most ${LZF_MAX_EXPANSION}× and ${PCD_DATA_LIMIT} bytes)`, { byte: dataStart + 4 });
    }
    const data = needed === 0 ? new Uint8Array(0) : lzfDecompress(bytes.subarray(dataStart + 8, dataStart + 8 + compressedSize), uncompressedSize, fileName, dataStart + 8);
    allocate();
    // Column-wise: field f of point i at (sum of the earlier fields' blocks) + i·(its bytes per point).
    readColumns(data, 0, fields, columns, points, (field) => field.size * field.count, 0);
  }
  return { version: header.version, fields, columns, width: header.width, height: header.height, viewpoint: header.viewpoint, points, encoding: header.encoding, comments: header.comments };
}

interface Header {
  version: string;
  fields: PcdField[];
  width: number;
  height: number;
  viewpoint: number[];
  points: number;
  encoding: PcdEncoding;
  comments: string[];
  dataStart: number;
  /** 1-based line of the DATA line; the first point is on the next. */
  dataLine: number;
}

function parseHeader(bytes: Uint8Array, fileName: string): Header {
  const values = new Map<string, { words: string[]; line: number }>();
  const comments: string[] = [];
  let p = 0;
  let line = 0;
  const limit = Math.min(bytes.length, MAX_HEADER_BYTES);
  while (p < limit) {
    line++;
    let end = p;
    while (end < bytes.length && bytes[end] !== 10) end++;
    if (end - p > MAX_LINE_BYTES) throw new FormatError(fileName, values.size === 0 ? 'not a PCD file: no header' : `header line longer than ${MAX_LINE_BYTES} bytes`, { line });
    const text = latin1(bytes, p, end).trim();
    const next = Math.min(end + 1, bytes.length);
    if (text.startsWith('#')) {
      const comment = text.replace(/^#\s?/, '');
      if (!/^\.PCD v/.test(comment)) comments.push(comment);
    } else if (text.length > 0) {
      const words = text.split(/\s+/);
      const key = words[0]!;
      if (!HEADER_KEYS.has(key)) {
        if (values.size === 0) throw new FormatError(fileName, `not a PCD file: expected VERSION or FIELDS, found '${clip(text)}'`, { line });
        throw new FormatError(fileName, `unknown PCD header line '${clip(text)}'`, { line });
      }
      if (values.has(key)) throw new FormatError(fileName, `${key} appears twice in the header`, { line });
      values.set(key, { words: words.slice(1), line });
      if (key === 'DATA') return buildHeader(values, comments, fileName, next, line);
    }
    p = next;
    if (end >= bytes.length) break;
  }
  throw new FormatError(fileName, values.size === 0 ? 'not a PCD file: no header' : 'the PCD header has no DATA line', { byte: p });
}

const HEADER_KEYS = new Set(['VERSION', 'FIELDS', 'SIZE', 'TYPE', 'COUNT', 'WIDTH', 'HEIGHT', 'VIEWPOINT', 'POINTS', 'DATA']);

function buildHeader(values: Map<string, { words: string[]; line: number }>, comments: string[], fileName: string, dataStart: number, dataLine: number): Header {
  const get = (key: string) => values.get(key);
  const require = (key: string) => get(key) ?? fail(`the header has no ${key} line`, dataLine);
  function fail(problem: string, line: number): never {
    throw new FormatError(fileName, problem, { line });
  }
  const count = (word: string, what: string, line: number, max = 0xffffffff): number => {
    if (!/^\d{1,10}$/.test(word) || Number(word) > max) fail(`${what} must be a whole number up to ${max}, found '${clip(word)}'`, line);
    return Number(word);
  };

  const names = require('FIELDS');
  const sizes = require('SIZE');
  const types = require('TYPE');
  const counts = get('COUNT');
  if (names.words.length === 0) fail('FIELDS lists no fields', names.line);
  for (const [key, entry] of [['SIZE', sizes], ['TYPE', types], ['COUNT', counts]] as const) {
    if (entry && entry.words.length !== names.words.length) fail(`${key} has ${entry.words.length} entries for ${names.words.length} FIELDS`, entry.line);
  }
  const fields: PcdField[] = names.words.map((name, i) => {
    const size = count(sizes.words[i]!, `SIZE of '${clip(name)}'`, sizes.line, 8);
    const type = types.words[i]!;
    if (type !== 'F' && type !== 'I' && type !== 'U') fail(`TYPE of '${clip(name)}' is '${clip(type)}' (known: F, I, U)`, types.line);
    const valid = type === 'F' ? size === 4 || size === 8 : size === 1 || size === 2 || size === 4 || size === 8;
    if (!valid) fail(`field '${clip(name)}' of TYPE ${type} cannot have SIZE ${size} (F: 4 or 8; I and U: 1, 2, 4 or 8)`, sizes.line);
    const valueCount = counts ? count(counts.words[i]!, `COUNT of '${clip(name)}'`, counts.line, 1 << 20) : 1;
    if (valueCount === 0) fail(`COUNT of '${clip(name)}' is 0`, counts!.line);
    return { name, size, type, count: valueCount };
  });

  const version = get('VERSION')?.words[0] ?? '0.7';
  const widthEntry = get('WIDTH');
  const heightEntry = get('HEIGHT');
  const pointsEntry = get('POINTS');
  const single = (entry: { words: string[]; line: number }, key: string) => {
    if (entry.words.length !== 1) fail(`${key} takes one number, found '${clip(entry.words.join(' '))}'`, entry.line);
    return count(entry.words[0]!, key, entry.line);
  };
  const width = widthEntry ? single(widthEntry, 'WIDTH') : undefined;
  const height = heightEntry ? single(heightEntry, 'HEIGHT') : 1;
  const declaredPoints = pointsEntry ? single(pointsEntry, 'POINTS') : undefined;
  if (width === undefined && declaredPoints === undefined) fail('the header has neither WIDTH nor POINTS', dataLine);
  const points = declaredPoints ?? width! * height;
  if (width !== undefined && width * height !== points) fail(`WIDTH ${width} × HEIGHT ${height} is not POINTS ${points}`, pointsEntry?.line ?? heightEntry?.line ?? widthEntry!.line);

  let viewpoint = DEFAULT_VIEWPOINT;
  const viewpointEntry = get('VIEWPOINT');
  if (viewpointEntry) {
    viewpoint = viewpointEntry.words.map(Number);
    if (viewpoint.length !== 7 || viewpoint.some((v) => !Number.isFinite(v))) fail(`VIEWPOINT takes 7 numbers (tx ty tz qw qx qy qz), found '${clip(viewpointEntry.words.join(' '))}'`, viewpointEntry.line);
  }
  const data = get('DATA')!;
  const encoding = data.words[0] ?? '';
  if (encoding !== 'ascii' && encoding !== 'binary' && encoding !== 'binary_compressed') fail(`DATA '${clip(encoding)}' (known: ascii, binary, binary_compressed)`, data.line);
  return { version, fields, width: width ?? points, height, viewpoint, points, encoding, comments, dataStart, dataLine };
}

/** Binary records (or compressed columns, with `recordSize` 0): one tight loop per field. */
function readColumns(bytes: Uint8Array, start: number, fields: PcdField[], columns: PcdColumn[], points: number, fieldBytes: (field: PcdField) => number, recordSize: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let column = 0;
  for (const field of fields) {
    const stride = recordSize === 0 ? fieldBytes(field) : recordSize;
    const base = start + offset;
    offset += recordSize === 0 ? points * fieldBytes(field) : fieldBytes(field);
    if (field.name === '_') continue;
    const values = columns[column++]!.values;
    const read = reader(view, field);
    const { count, size } = field;
    for (let i = 0; i < points; i++) {
      const at = base + i * stride;
      for (let k = 0; k < count; k++) values[i * count + k] = read(at + k * size);
    }
    // Packed colours must keep their bits, even those that are NaN patterns as a float.
    if (field.type === 'F' && field.size === 4 && isPackedColor(field.name)) {
      const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
      for (let i = 0; i < points * count; i++) bits[i] = view.getUint32(base + Math.floor(i / count) * stride + (i % count) * 4, true);
    }
  }
}

function reader(view: DataView, field: PcdField): (at: number) => number {
  switch (pcdScalarType(field)) {
    case 'float32':
      return (at) => view.getFloat32(at, true);
    case 'float64':
      if (field.type === 'I') return (at) => Number(view.getBigInt64(at, true));
      if (field.type === 'U') return (at) => Number(view.getBigUint64(at, true));
      return (at) => view.getFloat64(at, true);
    case 'int8':
      return (at) => view.getInt8(at);
    case 'uint8':
      return (at) => view.getUint8(at);
    case 'int16':
      return (at) => view.getInt16(at, true);
    case 'uint16':
      return (at) => view.getUint16(at, true);
    case 'int32':
      return (at) => view.getInt32(at, true);
    case 'uint32':
      return (at) => view.getUint32(at, true);
  }
}

function readAscii(bytes: Uint8Array, fileName: string, header: Header, columns: PcdColumn[]): void {
  const scan = new TextScanner(bytes, fileName, header.dataStart, header.dataLine + 1);
  const fields = header.fields;
  const columnOf = new Map(fields.map((field, f) => [f, field.name === '_' ? undefined : columns[fields.slice(0, f).filter((x) => x.name !== '_').length]]));
  for (let i = 0; i < header.points; i++) {
    scan.skipSpaceAndComments();
    if (scan.atEnd) throw scan.error(`the file ends after ${i} of ${header.points} points`);
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f]!;
      const column = columnOf.get(f);
      for (let k = 0; k < field.count; k++) {
        scan.skipInlineSpace();
        const what = field.count === 1 ? `'${field.name}'` : `'${field.name}' value ${k + 1}`;
        if (scan.atLineEnd()) throw scan.error(`line ends where ${what} of point ${i} was expected`);
        const value = scan.readNumber(what);
        if (!column) continue;
        const at = i * field.count + k;
        if (field.type === 'F' && field.size === 4 && isPackedColor(field.name)) {
          // PCL writes rgb as its uint32 value in text; older writers print the float itself.
          const bits = Number.isInteger(value) && value >= 0 && value <= 0xffffffff ? value : floatBits(value);
          new Uint32Array(column.values.buffer, column.values.byteOffset, column.values.length)[at] = bits;
        } else if (field.type !== 'F') {
          const type = pcdScalarType(field);
          const [min, max] = field.size === 8 ? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : INTEGER_RANGE[type]!;
          if (!Number.isInteger(value) || value < min || value > max) throw scan.error(`${what} must be an integer in [${min}, ${max}] (TYPE ${field.type} SIZE ${field.size}), found ${value}`);
          column.values[at] = value;
        } else {
          column.values[at] = value;
        }
      }
    }
    scan.finishLine(`the ${fields.length} fields of point ${i}`);
  }
}

const INTEGER_RANGE: Partial<Record<PlyScalarType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function isPackedColor(name: string): boolean {
  return name === 'rgb' || name === 'rgba';
}

const bitsScratch = new DataView(new ArrayBuffer(4));
function floatBits(value: number): number {
  bitsScratch.setFloat32(0, value, true);
  return bitsScratch.getUint32(0, true);
}

function createArray(type: PlyScalarType, length: number): PlyTypedArray {
  switch (type) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint8':
      return new Uint8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'uint32':
      return new Uint32Array(length);
  }
}

/** A field's values by name, or undefined. */
export function pcdColumn(pcd: PcdData, name: string): PcdColumn | undefined {
  return pcd.columns.find((column) => column.name === name);
}

const POSITION = ['x', 'y', 'z'] as const;
const NORMAL = ['normal_x', 'normal_y', 'normal_z'] as const;

/**
 * The points of a PCD file as a cloud: x y z, normal_x normal_y normal_z, rgb/rgba (colours in
 * [0, 1], alpha from rgba), `label` (also kept as an attribute, as PLY's is), every other field
 * into `attributes` (a COUNT-k field as `name_0` … `name_{k-1}`). Non-finite points (an organized
 * cloud's holes) are kept; undefined when the file has no x y z.
 */
export function pcdToPointCloud(pcd: PcdData): PointCloud | undefined {
  const single = (name: string) => {
    const column = pcdColumn(pcd, name);
    return column && column.count === 1 ? column : undefined;
  };
  const gather = (names: readonly string[]) => {
    const parts = names.map(single);
    if (parts.some((part) => !part)) return undefined;
    const out = new Float32Array(pcd.points * 3);
    for (let i = 0; i < pcd.points; i++) for (let k = 0; k < 3; k++) out[3 * i + k] = parts[k]!.values[i]!;
    return out;
  };
  const points = gather(POSITION);
  if (!points) return undefined;
  const cloud: PointCloud = { points };
  const mapped = new Set<string>(POSITION);
  const normals = gather(NORMAL);
  if (normals) {
    cloud.normals = normals;
    NORMAL.forEach((name) => mapped.add(name));
  }
  const packed = single('rgb') ?? single('rgba');
  if (packed && packed.size === 4) {
    const bits = new Uint32Array(packed.values.buffer, packed.values.byteOffset, pcd.points);
    const colors = new Float32Array(pcd.points * 3);
    for (let i = 0; i < pcd.points; i++) {
      colors[3 * i] = ((bits[i]! >>> 16) & 0xff) / 255;
      colors[3 * i + 1] = ((bits[i]! >>> 8) & 0xff) / 255;
      colors[3 * i + 2] = (bits[i]! & 0xff) / 255;
    }
    cloud.colors = colors;
    if (packed.name === 'rgba') cloud.alpha = Float32Array.from(bits, (value) => (value >>> 24) / 255);
    mapped.add(packed.name);
  }
  const attributes: Record<string, PointAttribute> = {};
  for (const column of pcd.columns) {
    if (mapped.has(column.name)) continue;
    const type = pcdScalarType(column);
    if (column.count === 1) {
      attributes[column.name] = { type, values: column.values };
      continue;
    }
    for (let k = 0; k < column.count; k++) {
      const values = createArray(type, pcd.points);
      for (let i = 0; i < pcd.points; i++) values[i] = column.values[i * column.count + k]!;
      attributes[`${column.name}_${k}`] = { type, values };
    }
  }
  if (Object.keys(attributes).length > 0) cloud.attributes = attributes;
  const label = single('label');
  if (label && label.type !== 'F') cloud.labels = Int32Array.from(label.values);
  return cloud;
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface PcdWriteColumn {
  name: string;
  type: PcdTypeCode;
  size: number;
  /** Values per point (default 1). */
  count?: number;
  /** Points × count values, point by point; for a packed `rgb`, the uint32 colours. */
  values: ArrayLike<number>;
}

export interface PcdWriteOptions {
  encoding?: PcdEncoding;
  /** Organized clouds: WIDTH × HEIGHT must be the point count. Default: points × 1. */
  width?: number;
  height?: number;
  viewpoint?: number[];
  /** `#` lines after the first header line. */
  comments?: string[];
}

/** PCD bytes that PCL, Open3D and CloudCompare open (header as `pcl::PCDWriter` writes it). */
export function writePcd(columns: PcdWriteColumn[], points: number, options: PcdWriteOptions = {}): Uint8Array {
  const encoding = options.encoding ?? 'binary';
  const width = options.width ?? points;
  const height = options.height ?? 1;
  if (width * height !== points) throw new RangeError(`width ${width} × height ${height} is not ${points} points`);
  for (const column of columns) {
    if (column.values.length !== points * (column.count ?? 1)) throw new RangeError(`column '${column.name}' has ${column.values.length} values for ${points} points × ${column.count ?? 1}`);
    if (/\s/.test(column.name) || column.name.length === 0) throw new RangeError(`PCD field names cannot be empty or hold spaces: '${column.name}'`);
  }
  const lines = [
    '# .PCD v0.7 - Point Cloud Data file format',
    ...(options.comments ?? []).map((comment) => `# ${comment.replace(/[\r\n]+/g, ' ')}`),
    'VERSION 0.7',
    `FIELDS ${columns.map((c) => c.name).join(' ')}`,
    `SIZE ${columns.map((c) => c.size).join(' ')}`,
    `TYPE ${columns.map((c) => c.type).join(' ')}`,
    `COUNT ${columns.map((c) => c.count ?? 1).join(' ')}`,
    `WIDTH ${width}`,
    `HEIGHT ${height}`,
    `VIEWPOINT ${(options.viewpoint ?? DEFAULT_VIEWPOINT).join(' ')}`,
    `POINTS ${points}`,
    `DATA ${encoding}`,
  ];
  const header = new TextEncoder().encode(`${lines.join('\n')}\n`);
  const body = encoding === 'ascii' ? asciiBody(columns, points) : binaryBody(columns, points, encoding === 'binary_compressed');
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

function asciiBody(columns: PcdWriteColumn[], points: number): Uint8Array {
  const rows: string[] = new Array(points);
  const parts: string[] = [];
  for (let i = 0; i < points; i++) {
    parts.length = 0;
    for (const column of columns) {
      const count = column.count ?? 1;
      for (let k = 0; k < count; k++) {
        const value = column.values[i * count + k]!;
        // Packed colours are written as their uint32 value, as PCL does (the float may be NaN).
        parts.push(column.type === 'F' && !isPackedColor(column.name) ? (column.size === 4 ? formatFloat32(value) : formatFloat64(value)) : String(value));
      }
    }
    rows[i] = parts.join(' ');
  }
  return new TextEncoder().encode(points > 0 ? `${rows.join('\n')}\n` : '');
}

function binaryBody(columns: PcdWriteColumn[], points: number, compressed: boolean): Uint8Array {
  const pointSize = columns.reduce((sum, column) => sum + column.size * (column.count ?? 1), 0);
  const data = new Uint8Array(points * pointSize);
  const view = new DataView(data.buffer);
  let offset = 0;
  for (const column of columns) {
    const count = column.count ?? 1;
    const fieldBytes = column.size * count;
    const stride = compressed ? fieldBytes : pointSize;
    const base = compressed ? offset * points : offset;
    const write = writer(view, column);
    for (let i = 0; i < points; i++) for (let k = 0; k < count; k++) write(base + i * stride + k * column.size, column.values[i * count + k]!);
    offset += fieldBytes;
  }
  if (!compressed) return data;
  const lzf = lzfCompress(data);
  const out = new Uint8Array(8 + lzf.length);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, lzf.length, true);
  outView.setUint32(4, data.length, true);
  out.set(lzf, 8);
  return out;
}

function writer(view: DataView, column: PcdWriteColumn): (at: number, value: number) => void {
  const { type, size } = column;
  if (type === 'F' && isPackedColor(column.name) && size === 4) return (at, value) => view.setUint32(at, value, true);
  if (type === 'F') return size === 4 ? (at, value) => view.setFloat32(at, value, true) : (at, value) => view.setFloat64(at, value, true);
  if (size === 8) return type === 'I' ? (at, value) => view.setBigInt64(at, BigInt(value), true) : (at, value) => view.setBigUint64(at, BigInt(value), true);
  if (size === 1) return type === 'I' ? (at, value) => view.setInt8(at, value) : (at, value) => view.setUint8(at, value);
  if (size === 2) return type === 'I' ? (at, value) => view.setInt16(at, value, true) : (at, value) => view.setUint16(at, value, true);
  return type === 'I' ? (at, value) => view.setInt32(at, value, true) : (at, value) => view.setUint32(at, value, true);
}

const PCD_TYPE_OF: Record<PlyScalarType, { type: PcdTypeCode; size: number }> = {
  int8: { type: 'I', size: 1 },
  uint8: { type: 'U', size: 1 },
  int16: { type: 'I', size: 2 },
  uint16: { type: 'U', size: 2 },
  int32: { type: 'I', size: 4 },
  uint32: { type: 'U', size: 4 },
  float32: { type: 'F', size: 4 },
  float64: { type: 'F', size: 8 },
};

/**
 * A point cloud as PCD: x y z, normal_x normal_y normal_z, rgb (packed float, as PCL's
 * PointXYZRGB), then every attribute with its type (`pred`, `label`, `prob_<class>`, …), and
 * `label` from `labels` when no attribute has that name.
 */
export function writePointCloudPcd(cloud: PointCloud, options: PcdWriteOptions = {}): Uint8Array {
  const count = cloud.points.length / 3;
  const columns: PcdWriteColumn[] = [];
  const split = (names: readonly string[], values: Float32Array) => {
    names.forEach((name, k) => columns.push({ name, type: 'F', size: 4, values: Float32Array.from({ length: count }, (_, i) => values[3 * i + k]!) }));
  };
  split(POSITION, cloud.points);
  if (cloud.normals) split(NORMAL, cloud.normals);
  if (cloud.colors) {
    const colors = cloud.colors;
    const byte = (value: number) => Math.round(Math.min(1, Math.max(0, Number.isNaN(value) ? 0 : value)) * 255);
    const packed = new Uint32Array(count);
    for (let i = 0; i < count; i++) packed[i] = ((byte(colors[3 * i]!) << 16) | (byte(colors[3 * i + 1]!) << 8) | byte(colors[3 * i + 2]!)) >>> 0;
    columns.push({ name: 'rgb', type: 'F', size: 4, values: packed });
  }
  for (const [name, attribute] of Object.entries(cloud.attributes ?? {})) columns.push({ name, ...PCD_TYPE_OF[attribute.type], values: attribute.values });
  if (cloud.labels && !cloud.attributes?.['label']) columns.push({ name: 'label', type: 'I', size: 4, values: cloud.labels });
  return writePcd(columns, count, options);
}

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
