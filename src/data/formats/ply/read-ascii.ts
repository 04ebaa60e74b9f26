import { TextScanner } from '../text-scanner.ts';
import type { PlyHeader, PlyElementSpec } from './header.ts';
import { PLY_TYPES, type PlyElement, type PlyProperty, type PlyScalarTypeInfo, type PlyTypedArray } from './types.ts';

/**
 * The body of an ASCII PLY file: one record per line, values separated by spaces, a list as its
 * length followed by its items. Every value is checked against its declared type (an integer
 * property must hold an integer in range), and a line with too few or too many values is an
 * error naming the line.
 */
export function readPlyAsciiBody(bytes: Uint8Array, header: PlyHeader, fileName: string): PlyElement[] {
  const scan = new TextScanner(bytes, fileName, header.bodyOffset, header.lineCount + 1);
  const elements = header.elements.map((spec) => readElement(scan, spec));
  scan.skipSpaceAndComments();
  if (!scan.atEnd) throw scan.error(`unexpected '${scan.tokenText()}' after the last element the header declares`);
  return elements;
}

function readElement(scan: TextScanner, spec: PlyElementSpec): PlyElement {
  const { name, count } = spec;
  const specs = spec.properties;
  if (specs.length === 0) return { name, count, properties: [] };
  // Each value takes at least two bytes (a digit and a separator; the last line may lack its newline).
  const remaining = scan.bytes.length - scan.pos;
  if (count > Math.floor((remaining + 1) / (2 * specs.length))) {
    throw scan.error(`element '${name}' declares ${count} records (${specs.length} values each) but only ${remaining} bytes are left (truncated file or wrong count)`);
  }
  const types: PlyScalarTypeInfo[] = specs.map((property) => PLY_TYPES[property.kind === 'list' ? property.itemType : property.type]);
  const columns: PlyTypedArray[] = specs.map((property, k) => (property.kind === 'list' ? types[k]!.create(0) : types[k]!.create(count)));
  const listItems = specs.map((property, k) => (property.kind === 'list' ? new GrowableValues(types[k]!, Math.min(count * 3, remaining >> 1)) : null));
  const offsets = specs.map((property) => (property.kind === 'list' ? new Uint32Array(count + 1) : null));
  // Built once: a string per value would cost more than parsing the value.
  const valueLabels = specs.map((property, k) => `property '${property.name}' (${types[k]!.classicName})`);
  const lengthLabels = specs.map((property) => `length of list '${property.name}'`);
  const lineLabel = `the ${specs.length} values of a '${name}' record`;

  for (let record = 0; record < count; record++) {
    scan.skipSpaceAndComments();
    if (scan.atEnd) throw scan.error(`file ends after ${record} of ${count} '${name}' records`);
    for (let k = 0; k < specs.length; k++) {
      const property = specs[k]!;
      if (k > 0) {
        scan.skipInlineSpace();
        if (scan.atLineEnd()) throw scan.error(`'${name}' record ${record} ends before property '${property.name}' (it has ${specs.length} properties)`);
      }
      if (property.kind === 'scalar') {
        columns[k]![record] = readValue(scan, types[k]!, valueLabels[k]!);
        continue;
      }
      // A list of n items needs at least n more bytes.
      const maxItems = Math.min(PLY_TYPES[property.countType].max, scan.bytes.length - scan.pos);
      const items = scan.readInteger(lengthLabels[k]!, 0, maxItems);
      const growable = listItems[k]!;
      for (let i = 0; i < items; i++) {
        scan.skipInlineSpace();
        if (scan.atLineEnd()) throw scan.error(`list '${property.name}' of '${name}' record ${record} has fewer than the ${items} items its length says`);
        growable.push(readValue(scan, types[k]!, valueLabels[k]!));
      }
      offsets[k]![record + 1] = growable.length;
    }
    scan.finishLine(lineLabel);
  }

  const properties: PlyProperty[] = specs.map((property, k) =>
    property.kind === 'list'
      ? { ...property, offsets: offsets[k]!, values: listItems[k]!.toArray() }
      : { ...property, values: columns[k]! },
  );
  return { name, count, properties };
}

function readValue(scan: TextScanner, type: PlyScalarTypeInfo, label: string): number {
  return type.integer ? scan.readInteger(label, type.min, type.max) : scan.readNumber(label);
}

/** A typed array that doubles when full, for list items whose total is known only at the end. */
class GrowableValues {
  private array: PlyTypedArray;
  length = 0;

  constructor(
    private readonly type: PlyScalarTypeInfo,
    initialCapacity: number,
  ) {
    this.array = type.create(Math.max(16, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.array.length) {
      const bigger = this.type.create(this.array.length * 2);
      bigger.set(this.array);
      this.array = bigger;
    }
    this.array[this.length++] = value;
  }

  toArray(): PlyTypedArray {
    return this.array.slice(0, this.length);
  }
}
