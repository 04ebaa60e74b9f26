import type { PointCloud } from './point-cloud.ts';
import { formatFixed, formatFloat32 } from './number-text.ts';
import { TextScanner } from './text-scanner.ts';

/**
 * Point clouds as text, one point per line, comma- or space-separated:
 *
 *   3 columns  x y z
 *   4 columns  x y z label
 *   6 columns  x y z nx ny nz          (ModelNet40 resampled: comma-separated, `%.6f`)
 *   7 columns  x y z nx ny nz label    (ShapeNetPart: space-separated)
 *
 * The first line decides the separator and the column count; every other line must match. A
 * label may be written as a float (`38.000000`) but must be a whole number.
 */
export interface PointText {
  cloud: PointCloud;
  delimiter: ',' | ' ';
  columns: 3 | 4 | 6 | 7;
}

const LAYOUTS: Record<number, { normals: boolean; labels: boolean }> = {
  3: { normals: false, labels: false },
  4: { normals: false, labels: true },
  6: { normals: true, labels: false },
  7: { normals: true, labels: true },
};

export function parsePointText(input: Uint8Array | ArrayBuffer, fileName: string): PointText {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const scan = new TextScanner(bytes, fileName);
  scan.skipSpaceAndComments();
  if (scan.atEnd) throw scan.error(bytes.length === 0 ? 'empty file' : 'no points in the file');

  const firstLine = lineShape(bytes, scan.pos);
  const layout = LAYOUTS[firstLine.columns];
  if (!layout) {
    throw scan.error(`expected 3 (x y z), 4 (+ label), 6 (+ normals) or 7 (+ normals, label) columns, found ${firstLine.columns}`);
  }
  const columns = firstLine.columns as PointText['columns'];
  const comma = firstLine.delimiter === ',';
  // Sized from the first line's length, grown if the lines get shorter; never more than the
  // file could hold (two bytes per value).
  const remaining = bytes.length - scan.pos;
  const mostPoints = Math.ceil((remaining + 1) / (2 * columns));
  let capacity = Math.min(mostPoints, Math.ceil((remaining / Math.max(1, firstLine.bytes)) * 1.25) + 16);
  let points = new Float32Array(capacity * 3);
  let normals = layout.normals ? new Float32Array(capacity * 3) : undefined;
  let labels = layout.labels ? new Int32Array(capacity) : undefined;
  const lineLabel = `the ${columns} columns of a point`;

  const separator = comma ? 44 : 32;
  const next = () => nextColumn(scan, separator, columns);
  let count = 0;
  for (scan.skipSpaceAndComments(); !scan.atEnd; scan.skipSpaceAndComments()) {
    if (count === capacity) {
      capacity = Math.min(mostPoints, capacity * 2);
      points = grown(points, capacity * 3);
      if (normals) normals = grown(normals, capacity * 3);
      if (labels) labels = grown(labels, capacity);
    }
    const p = 3 * count;
    points[p] = scan.readNumber('x');
    next();
    points[p + 1] = scan.readNumber('y');
    next();
    points[p + 2] = scan.readNumber('z');
    if (normals) {
      next();
      normals[p] = scan.readNumber('nx');
      next();
      normals[p + 1] = scan.readNumber('ny');
      next();
      normals[p + 2] = scan.readNumber('nz');
    }
    if (labels) {
      next();
      labels[count] = scan.readInteger('label', -2147483648, 2147483647);
    }
    scan.finishLine(lineLabel);
    count++;
  }

  const cloud: PointCloud = { points: points.slice(0, count * 3) };
  if (normals) cloud.normals = normals.slice(0, count * 3);
  if (labels) cloud.labels = labels.slice(0, count);
  return { cloud, delimiter: comma ? ',' : ' ', columns };
}

/** Moves to the next column: one separator byte followed by a value is the fast, common case. */
function nextColumn(scan: TextScanner, separator: number, columns: number): void {
  const bytes = scan.bytes;
  const after = bytes[scan.pos + 1];
  if (bytes[scan.pos] === separator && after !== undefined && after > 32 && after !== 44) {
    scan.pos++;
    return;
  }
  skipSeparator(scan, separator === 44, columns);
}

function skipSeparator(scan: TextScanner, comma: boolean, columns: number): void {
  scan.skipInlineSpace();
  if (comma) {
    if (scan.bytes[scan.pos] !== 44) {
      throw scan.error(scan.atLineEnd() ? `line has fewer than ${columns} columns` : `expected ',' between columns, found '${scan.tokenText()}'`);
    }
    scan.pos++;
    scan.skipInlineSpace();
  }
  if (scan.atLineEnd()) throw scan.error(`line has fewer than ${columns} columns`);
}

function grown<T extends Float32Array | Int32Array>(array: T, length: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/** Column count, separator and length in bytes of the line starting at `start`. */
function lineShape(bytes: Uint8Array, start: number): { columns: number; delimiter: ',' | ' '; bytes: number } {
  let end = bytes.indexOf(10, start);
  if (end === -1) end = bytes.length;
  let commas = 0;
  let tokens = 0;
  let inToken = false;
  for (let p = start; p < end; p++) {
    const c = bytes[p]!;
    const separator = c === 32 || c === 9 || c === 13 || c === 44;
    if (c === 44) commas++;
    if (!separator && !inToken) tokens++;
    inToken = !separator;
  }
  const length = end - start + 1;
  return commas > 0 ? { columns: commas + 1, delimiter: ',', bytes: length } : { columns: tokens, delimiter: ' ', bytes: length };
}

export interface WritePointTextOptions {
  /** ',' (ModelNet40 resampled) or ' ' (ShapeNetPart, default). */
  delimiter?: ',' | ' ';
  /** Fixed decimals (`6` gives the `%.6f` of the original files); default the shortest exact float32 text. */
  decimals?: number;
}

/** A point cloud as text: x y z, then normals and labels when the cloud has them. */
export function writePointText(cloud: PointCloud, options: WritePointTextOptions = {}): string {
  const count = cloud.points.length / 3;
  const { normals, labels } = cloud;
  if (normals && normals.length !== cloud.points.length) throw new RangeError(`writePointText: ${normals.length / 3} normals for ${count} points`);
  if (labels && labels.length !== count) throw new RangeError(`writePointText: ${labels.length} labels for ${count} points`);
  const delimiter = options.delimiter ?? ' ';
  const decimals = options.decimals;
  const format = decimals === undefined ? formatFloat32 : (value: number) => formatFixed(value, decimals);
  const lines = new Array<string>(count);
  const fields: string[] = [];
  for (let i = 0; i < count; i++) {
    fields.length = 0;
    for (let k = 0; k < 3; k++) fields.push(format(cloud.points[3 * i + k]!));
    if (normals) for (let k = 0; k < 3; k++) fields.push(format(normals[3 * i + k]!));
    if (labels) fields.push(String(labels[i]));
    lines[i] = fields.join(delimiter);
  }
  return count > 0 ? `${lines.join('\n')}\n` : '';
}
