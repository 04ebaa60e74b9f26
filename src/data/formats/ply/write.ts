import { formatFloat32, formatFloat64 } from '../number-text.ts';
import { PLY_TYPES, type PlyFormat, type PlyScalarType } from './types.ts';

/**
 * Writes PLY in any encoding from elements whose properties carry explicit types. The header uses
 * the classic type names by default (`float`, `uchar`, …), which every reader knows; lines end in
 * LF and the binary body starts right after `end_header\n`, as three's PLYLoader, MeshLab, Open3D
 * and rply expect.
 *
 *   const bytes = writePly({ elements: [{ name: 'vertex', properties: [
 *     plyScalar('x', 'float32', xs), plyScalar('y', 'float32', ys), plyScalar('z', 'float32', zs),
 *     plyScalar('label', 'uint8', labels) ] }] }, { format: 'binary_little_endian' });
 *
 * Values that do not fit their type (300 as uchar, 1.5 as int) are an error, not silently wrapped.
 */

export type PlyWriteProperty =
  | { kind: 'scalar'; name: string; type: PlyScalarType; values: ArrayLike<number> }
  | { kind: 'list'; name: string; countType: PlyScalarType; itemType: PlyScalarType; offsets: ArrayLike<number>; values: ArrayLike<number> };

export interface PlyWriteElement {
  name: string;
  /** Defaults to the length of the first property (its offsets minus one for a list). */
  count?: number;
  properties: PlyWriteProperty[];
}

export interface PlyWriteData {
  comments?: readonly string[];
  objInfo?: readonly string[];
  elements: readonly PlyWriteElement[];
}

export interface PlyWriteOptions {
  format?: PlyFormat;
  /** `classic` (default: char uchar short ushort int uint float double) or `sized` (int8 … float64). */
  typeNames?: 'classic' | 'sized';
}

export function writePly(data: PlyWriteData, options: PlyWriteOptions = {}): Uint8Array {
  const format = options.format ?? 'binary_little_endian';
  const elements = data.elements.map(checkElement);
  const names = new Set(elements.map((element) => element.name));
  if (names.size !== elements.length) throw new RangeError('writePly: two elements have the same name');
  const header = plyHeaderText(data, elements, format, options.typeNames ?? 'classic');
  const headerBytes = new TextEncoder().encode(header);
  if (format === 'ascii') {
    const body = asciiBody(elements);
    const out = new Uint8Array(headerBytes.length + body.length);
    out.set(headerBytes);
    out.set(body, headerBytes.length);
    return out;
  }
  return binaryFile(headerBytes, elements, format === 'binary_little_endian');
}

interface CheckedElement {
  name: string;
  count: number;
  properties: PlyWriteProperty[];
}

function checkElement(element: PlyWriteElement): CheckedElement {
  checkName(element.name, 'element');
  const first = element.properties[0];
  const count = element.count ?? (first ? (first.kind === 'list' ? first.offsets.length - 1 : first.values.length) : 0);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`writePly: element '${element.name}' has an invalid count ${count}`);
  const names = new Set<string>();
  for (const property of element.properties) {
    checkName(property.name, 'property');
    if (names.has(property.name)) throw new RangeError(`writePly: element '${element.name}' has two properties named '${property.name}'`);
    names.add(property.name);
    const where = `writePly: ${element.name}.${property.name}`;
    if (property.kind === 'scalar') {
      if (property.values.length !== count) throw new RangeError(`${where} has ${property.values.length} values for ${count} records`);
      checkValues(property.values, 0, property.values.length, property.type, where);
      continue;
    }
    const { offsets, values, countType } = property;
    if (!PLY_TYPES[countType].integer) throw new RangeError(`${where}: list count type must be an integer type, got ${countType}`);
    if (offsets.length !== count + 1) throw new RangeError(`${where} has ${offsets.length} offsets for ${count} records (expected ${count + 1})`);
    if (offsets[0] !== 0 || offsets[count]! > values.length) throw new RangeError(`${where}: offsets must start at 0 and end within the ${values.length} values`);
    for (let i = 0; i < count; i++) {
      const items = offsets[i + 1]! - offsets[i]!;
      if (!(items >= 0) || items > PLY_TYPES[countType].max) throw new RangeError(`${where}: record ${i} has ${items} items, which a ${countType} count cannot hold`);
    }
    checkValues(values, 0, offsets[count]!, property.itemType, where);
  }
  return { name: element.name, count, properties: element.properties };
}

function checkName(name: string, what: string): void {
  if (!/^\S+$/.test(name)) throw new RangeError(`writePly: ${what} name '${name}' must be non-empty without spaces`);
}

function checkValues(values: ArrayLike<number>, start: number, end: number, type: PlyScalarType, where: string): void {
  const info = PLY_TYPES[type];
  if (!info.integer) return;
  for (let i = start; i < end; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value) || value < info.min || value > info.max) {
      throw new RangeError(`${where}: value ${value} at index ${i} does not fit ${type}`);
    }
  }
}

function plyHeaderText(data: PlyWriteData, elements: CheckedElement[], format: PlyFormat, typeNames: 'classic' | 'sized'): string {
  const typeName = (type: PlyScalarType) => (typeNames === 'classic' ? PLY_TYPES[type].classicName : type);
  const lines = ['ply', `format ${format} 1.0`];
  for (const comment of data.comments ?? []) lines.push(`comment ${singleLine(comment)}`);
  for (const info of data.objInfo ?? []) lines.push(`obj_info ${singleLine(info)}`);
  for (const element of elements) {
    lines.push(`element ${element.name} ${element.count}`);
    for (const property of element.properties) {
      lines.push(
        property.kind === 'list'
          ? `property list ${typeName(property.countType)} ${typeName(property.itemType)} ${property.name}`
          : `property ${typeName(property.type)} ${property.name}`,
      );
    }
  }
  lines.push('end_header', '');
  return lines.join('\n');
}

function singleLine(text: string): string {
  if (/[\r\n]/.test(text)) throw new RangeError(`writePly: header text must be one line: ${JSON.stringify(text)}`);
  return text;
}

function formatter(type: PlyScalarType): (value: number) => string {
  if (type === 'float32') return formatFloat32;
  if (type === 'float64') return formatFloat64;
  return String;
}

function asciiBody(elements: CheckedElement[]): Uint8Array {
  const lines: string[] = [];
  for (const element of elements) {
    if (element.properties.length === 0) continue;
    const formats = element.properties.map((property) => formatter(property.kind === 'list' ? property.itemType : property.type));
    const fields: string[] = [];
    for (let record = 0; record < element.count; record++) {
      fields.length = 0;
      element.properties.forEach((property, k) => {
        const format = formats[k]!;
        if (property.kind === 'scalar') {
          fields.push(format(property.values[record]!));
          return;
        }
        const start = property.offsets[record]!;
        const end = property.offsets[record + 1]!;
        fields.push(String(end - start));
        for (let i = start; i < end; i++) fields.push(format(property.values[i]!));
      });
      lines.push(fields.join(' '));
    }
  }
  return new TextEncoder().encode(lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

function binaryFile(headerBytes: Uint8Array, elements: CheckedElement[], littleEndian: boolean): Uint8Array {
  let size = headerBytes.length;
  for (const element of elements) {
    for (const property of element.properties) {
      if (property.kind === 'scalar') size += element.count * PLY_TYPES[property.type].bytes;
      else size += element.count * PLY_TYPES[property.countType].bytes + property.offsets[element.count]! * PLY_TYPES[property.itemType].bytes;
    }
  }
  const out = new Uint8Array(size);
  out.set(headerBytes);
  const view = new DataView(out.buffer);
  let pos = headerBytes.length;
  for (const element of elements) {
    const hasLists = element.properties.some((property) => property.kind === 'list');
    if (!hasLists) {
      // Fixed records: write column by column at the record stride.
      let stride = 0;
      for (const property of element.properties) if (property.kind === 'scalar') stride += PLY_TYPES[property.type].bytes;
      let offset = 0;
      for (const property of element.properties) {
        if (property.kind !== 'scalar') continue;
        for (let record = 0, p = pos + offset; record < element.count; record++, p += stride) {
          writeValue(view, p, property.type, property.values[record]!, littleEndian);
        }
        offset += PLY_TYPES[property.type].bytes;
      }
      pos += stride * element.count;
      continue;
    }
    for (let record = 0; record < element.count; record++) {
      for (const property of element.properties) {
        if (property.kind === 'scalar') {
          writeValue(view, pos, property.type, property.values[record]!, littleEndian);
          pos += PLY_TYPES[property.type].bytes;
          continue;
        }
        const start = property.offsets[record]!;
        const end = property.offsets[record + 1]!;
        writeValue(view, pos, property.countType, end - start, littleEndian);
        pos += PLY_TYPES[property.countType].bytes;
        const itemBytes = PLY_TYPES[property.itemType].bytes;
        for (let i = start; i < end; i++, pos += itemBytes) writeValue(view, pos, property.itemType, property.values[i]!, littleEndian);
      }
    }
  }
  return out;
}

function writeValue(view: DataView, p: number, type: PlyScalarType, value: number, le: boolean): void {
  switch (type) {
    case 'int8':
      return view.setInt8(p, value);
    case 'uint8':
      return view.setUint8(p, value);
    case 'int16':
      return view.setInt16(p, value, le);
    case 'uint16':
      return view.setUint16(p, value, le);
    case 'int32':
      return view.setInt32(p, value, le);
    case 'uint32':
      return view.setUint32(p, value, le);
    case 'float32':
      return view.setFloat32(p, value, le);
    case 'float64':
      return view.setFloat64(p, value, le);
  }
}
