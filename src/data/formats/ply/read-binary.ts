import { FormatError } from '../../../util/errors.ts';
import type { PlyHeader, PlyElementSpec, PlyPropertySpec } from './header.ts';
import { PLY_TYPES, type PlyElement, type PlyProperty, type PlyScalarType, type PlyTypedArray } from './types.ts';

/**
 * The body of a binary PLY file. Elements without lists have fixed-size records, so each column
 * is read in one tight loop over a precomputed offset and stride: through a typed-array view when
 * the file's byte order is the machine's and the column happens to be aligned, otherwise through
 * DataView (measured as fast as copying the block to an aligned buffer first, without the copy).
 * Elements with lists are walked twice: once to check every count against the bytes left and
 * size the arrays, once to fill them. Nothing is allocated from a count before it is checked
 * against the file size.
 */
export function readPlyBinaryBody(bytes: Uint8Array, header: PlyHeader, fileName: string): PlyElement[] {
  const littleEndian = header.format === 'binary_little_endian';
  let pos = header.bodyOffset;
  const elements: PlyElement[] = [];
  for (const spec of header.elements) {
    const hasLists = spec.properties.some((property) => property.kind === 'list');
    const read = hasLists
      ? readVariableRecords(bytes, pos, spec, littleEndian, fileName)
      : readFixedRecords(bytes, pos, spec, littleEndian, fileName);
    elements.push(read.element);
    pos = read.end;
  }
  return elements;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface ElementRead {
  element: PlyElement;
  end: number;
}

function readFixedRecords(bytes: Uint8Array, start: number, spec: PlyElementSpec, littleEndian: boolean, fileName: string): ElementRead {
  const { count } = spec;
  let stride = 0;
  for (const property of spec.properties) if (property.kind === 'scalar') stride += PLY_TYPES[property.type].bytes;
  if (stride === 0) return { element: { name: spec.name, count, properties: [] }, end: start };
  const available = bytes.length - start;
  if (count > Math.floor(available / stride)) {
    throw new FormatError(
      fileName,
      `element '${spec.name}' declares ${count} records of ${stride} bytes but only ${available} bytes are left (truncated file or wrong count)`,
      { byte: start },
    );
  }
  const size = count * stride;
  const sameOrder = littleEndian === HOST_LITTLE_ENDIAN;
  const block = bytes.subarray(start, start + size);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const properties: PlyProperty[] = [];
  let offset = 0;
  for (const property of spec.properties) {
    if (property.kind !== 'scalar') throw new Error('unreachable: list in a fixed-size element');
    const info = PLY_TYPES[property.type];
    const values = info.create(count);
    const aligned = (block.byteOffset + offset) % info.bytes === 0 && stride % info.bytes === 0;
    if (count > 0 && (info.bytes === 1 || (sameOrder && aligned))) copyStridedColumn(block, offset, stride, count, values);
    else readColumn(view, offset, stride, count, property.type, littleEndian, values);
    properties.push({ kind: 'scalar', name: property.name, type: property.type, values });
    offset += info.bytes;
  }
  return { element: { name: spec.name, count, properties }, end: start + size };
}

/** Same byte order and aligned: view the block as the column's type and take every k-th value. */
function copyStridedColumn(block: Uint8Array, offset: number, stride: number, count: number, out: PlyTypedArray): void {
  const itemBytes = out.BYTES_PER_ELEMENT;
  const step = stride / itemBytes;
  const length = (count - 1) * step + 1;
  const Source = out.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => PlyTypedArray;
  const source = new Source(block.buffer, block.byteOffset + offset, length);
  if (step === 1) {
    out.set(source);
    return;
  }
  for (let i = 0, j = 0; i < count; i++, j += step) out[i] = source[j]!;
}

/** One column through DataView; one loop per type so each stays monomorphic. */
function readColumn(view: DataView, offset: number, stride: number, count: number, type: PlyScalarType, le: boolean, out: PlyTypedArray): void {
  let p = offset;
  switch (type) {
    case 'int8':
      for (let i = 0; i < count; i++, p += stride) out[i] = view.getInt8(p);
      return;
    case 'uint8':
      for (let i = 0; i < count; i++, p += stride) out[i] = view.getUint8(p);
      return;
    case 'int16':
      for (let i = 0; i < count; i++, p += stride) out[i] = view.getInt16(p, le);
      return;
    case 'uint16':
      for (let i = 0; i < count; i++, p += stride) out[i] = view.getUint16(p, le);
      return;
    case 'int32':
      for (let i = 0; i < count; i++, p += stride) out[i] = view.getInt32(p, le);
      return;
    case 'uint32':
      for (let i = 0; i < count; i++, p += stride) out[i] = view.getUint32(p, le);
      return;
    case 'float32':
      for (let i = 0; i < count; i++, p += stride) out[i] = view.getFloat32(p, le);
      return;
    case 'float64':
      for (let i = 0; i < count; i++, p += stride) out[i] = view.getFloat64(p, le);
      return;
  }
}

function readValue(view: DataView, p: number, type: PlyScalarType, le: boolean): number {
  switch (type) {
    case 'int8':
      return view.getInt8(p);
    case 'uint8':
      return view.getUint8(p);
    case 'int16':
      return view.getInt16(p, le);
    case 'uint16':
      return view.getUint16(p, le);
    case 'int32':
      return view.getInt32(p, le);
    case 'uint32':
      return view.getUint32(p, le);
    case 'float32':
      return view.getFloat32(p, le);
    case 'float64':
      return view.getFloat64(p, le);
  }
}

function readVariableRecords(bytes: Uint8Array, start: number, spec: PlyElementSpec, littleEndian: boolean, fileName: string): ElementRead {
  const { count, properties: specs } = spec;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.length;
  const sizes = specs.map((property) => PLY_TYPES[property.kind === 'list' ? property.countType : property.type].bytes);
  const itemSizes = specs.map((property) => (property.kind === 'list' ? PLY_TYPES[property.itemType].bytes : 0));
  const minimumRecordBytes = sizes.reduce((sum, size) => sum + size, 0);
  if (count > Math.floor((length - start) / minimumRecordBytes)) {
    throw new FormatError(
      fileName,
      `element '${spec.name}' declares ${count} records of at least ${minimumRecordBytes} bytes but only ${length - start} bytes are left (truncated file or wrong count)`,
      { byte: start },
    );
  }
  const cutOff = (record: number, recordStart: number) =>
    new FormatError(fileName, `element '${spec.name}' record ${record} of ${count} runs past the end of the file`, { byte: recordStart });

  // Pass 1: validate every list count against the bytes left and total the items.
  const itemTotals = specs.map(() => 0);
  let p = start;
  for (let record = 0; record < count; record++) {
    const recordStart = p;
    for (let k = 0; k < specs.length; k++) {
      const property = specs[k]!;
      if (p + sizes[k]! > length) throw cutOff(record, recordStart);
      if (property.kind === 'list') {
        const items = readValue(view, p, property.countType, littleEndian);
        if (items < 0) throw new FormatError(fileName, `element '${spec.name}' record ${record}: negative list length ${items} for '${property.name}'`, { byte: p });
        p += sizes[k]! + items * itemSizes[k]!;
        itemTotals[k]! += items;
      } else {
        p += sizes[k]!;
      }
    }
    if (p > length) throw cutOff(record, recordStart);
  }
  const end = p;
  // Offsets are 32-bit; only a file over 4 GiB could need more.
  if (itemTotals.some((total) => total > 0xffffffff)) throw new FormatError(fileName, `element '${spec.name}' has more than 2^32 list items`, { byte: start });

  // Pass 2: fill, every read now known to be in bounds.
  const columns = specs.map((property, k) => allocate(property, count, itemTotals[k]!));
  p = start;
  for (let record = 0; record < count; record++) {
    for (let k = 0; k < specs.length; k++) {
      const property = specs[k]!;
      const column = columns[k]!;
      if (property.kind === 'list' && column.kind === 'list') {
        const items = readValue(view, p, property.countType, littleEndian);
        p += sizes[k]!;
        const at = column.offsets[record]!;
        column.offsets[record + 1] = at + items;
        readItems(view, p, items, property.itemType, littleEndian, column.values, at);
        p += items * itemSizes[k]!;
      } else if (property.kind === 'scalar') {
        column.values[record] = readValue(view, p, property.type, littleEndian);
        p += sizes[k]!;
      }
    }
  }
  return { element: { name: spec.name, count, properties: columns }, end };
}

function allocate(property: PlyPropertySpec, count: number, itemTotal: number): PlyProperty {
  if (property.kind === 'scalar') return { ...property, values: PLY_TYPES[property.type].create(count) };
  return { ...property, offsets: new Uint32Array(count + 1), values: PLY_TYPES[property.itemType].create(itemTotal) };
}

function readItems(view: DataView, p: number, items: number, type: PlyScalarType, le: boolean, out: PlyTypedArray, at: number): void {
  const size = PLY_TYPES[type].bytes;
  switch (type) {
    case 'int32':
      for (let i = 0; i < items; i++, p += size) out[at + i] = view.getInt32(p, le);
      return;
    case 'uint32':
      for (let i = 0; i < items; i++, p += size) out[at + i] = view.getUint32(p, le);
      return;
    default:
      for (let i = 0; i < items; i++, p += size) out[at + i] = readValue(view, p, type, le);
  }
}
