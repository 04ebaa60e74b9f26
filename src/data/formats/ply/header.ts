import { FormatError } from '../../../util/errors.ts';
import { latin1 } from '../text-scanner.ts';
import { plyTypeFromName, PLY_TYPES, type PlyFormat, type PlyScalarType } from './types.ts';

/**
 * The PLY header: `ply`, `format …`, then `element name count` each followed by its
 * `property type name` / `property list countType itemType name` lines, `comment` and `obj_info`
 * anywhere, up to `end_header`. Lines may end in LF or CRLF, after trailing spaces or tabs.
 */

export type PlyPropertySpec =
  | { kind: 'scalar'; name: string; type: PlyScalarType }
  | { kind: 'list'; name: string; countType: PlyScalarType; itemType: PlyScalarType };

export interface PlyElementSpec {
  name: string;
  count: number;
  properties: PlyPropertySpec[];
}

export interface PlyHeader {
  format: PlyFormat;
  version: string;
  comments: string[];
  objInfo: string[];
  elements: PlyElementSpec[];
  /** Byte offset of the first byte after the `end_header` line. */
  bodyOffset: number;
  /** Number of lines in the header (the body's first line is this + 1). */
  lineCount: number;
}

/** Header lines are short; a longer one means binary data where the header was expected. */
const MAX_HEADER_LINE_BYTES = 65536;

const FORMATS: readonly string[] = ['ascii', 'binary_little_endian', 'binary_big_endian'];

/** Parses the header; throws FormatError naming the header line for anything it does not understand. */
export function parsePlyHeader(bytes: Uint8Array, fileName: string): PlyHeader {
  if (bytes.length === 0) throw new FormatError(fileName, 'empty file', { byte: 0 });
  // Some writers leave spaces after `ply` (issue 27); any line may end in spaces, tabs or CR.
  const firstLineEnd = bytes.subarray(0, 64).indexOf(10);
  if (firstLineEnd === -1 || !/^ply[ \t\r]*$/.test(latin1(bytes, 0, firstLineEnd))) {
    throw new FormatError(fileName, "not a PLY file: it does not start with a 'ply' line", { byte: 0 });
  }
  let format: PlyFormat | undefined;
  let version = '';
  const comments: string[] = [];
  const objInfo: string[] = [];
  const elements: PlyElementSpec[] = [];
  let lineStart = 0;
  let lineNumber = 0;
  for (;;) {
    const lineEnd = bytes.indexOf(10, lineStart);
    lineNumber++;
    const fail = (problem: string) => new FormatError(fileName, problem, { line: lineNumber });
    const textEnd = lineEnd === -1 ? bytes.length : lineEnd;
    if (textEnd - lineStart > MAX_HEADER_LINE_BYTES) throw fail(`header line is longer than ${MAX_HEADER_LINE_BYTES} bytes (is end_header missing?)`);
    const line = latin1(bytes, lineStart, textEnd > lineStart && bytes[textEnd - 1] === 13 ? textEnd - 1 : textEnd);
    const nextStart = lineEnd === -1 ? bytes.length : lineEnd + 1;
    const words = line.trim().split(/[ \t]+/);
    const keyword = words[0];
    if (lineNumber === 1) {
      // the 'ply' line, checked above
    } else if (keyword === 'end_header') {
      if (words.length > 1) throw fail(`unexpected '${words.slice(1).join(' ')}' after end_header`);
      if (format === undefined) throw fail("header has no 'format' line");
      return { format, version, comments, objInfo, elements, bodyOffset: nextStart, lineCount: lineNumber };
    } else if (keyword === 'comment' || keyword === 'obj_info') {
      const text = line.replace(/^\s*\S+\s?/, '');
      (keyword === 'comment' ? comments : objInfo).push(text);
    } else if (keyword === 'format') {
      if (format !== undefined) throw fail("second 'format' line");
      if (words.length !== 3 || !FORMATS.includes(words[1]!)) {
        throw fail(`expected 'format ascii|binary_little_endian|binary_big_endian 1.0', found '${shorten(line)}'`);
      }
      format = words[1] as PlyFormat;
      version = words[2]!;
      if (version !== '1.0') throw fail(`unsupported PLY version '${shorten(version)}' (only 1.0 exists)`);
    } else if (keyword === 'element') {
      if (words.length !== 3) throw fail(`expected 'element <name> <count>', found '${shorten(line)}'`);
      const name = words[1]!;
      if (elements.some((element) => element.name === name)) throw fail(`element '${shorten(name)}' is declared twice`);
      const countText = words[2]!;
      const count = /^\d{1,15}$/.test(countText) ? Number(countText) : NaN;
      if (!Number.isSafeInteger(count)) throw fail(`element '${shorten(name)}' has an invalid count '${shorten(countText)}'`);
      elements.push({ name, count, properties: [] });
    } else if (keyword === 'property') {
      const element = elements[elements.length - 1];
      if (!element) throw fail("'property' line before any 'element' line");
      const property = parseProperty(words, fail);
      if (element.properties.some((existing) => existing.name === property.name)) {
        throw fail(`property '${shorten(property.name)}' of element '${shorten(element.name)}' is declared twice`);
      }
      element.properties.push(property);
    } else if (keyword === '') {
      // blank line: harmless
    } else {
      throw fail(`unknown header line '${shorten(line)}'`);
    }
    if (lineEnd === -1) throw new FormatError(fileName, "header has no 'end_header' line", { line: lineNumber });
    lineStart = nextStart;
  }
}

function parseProperty(words: string[], fail: (problem: string) => FormatError): PlyPropertySpec {
  const typeOf = (name: string | undefined): PlyScalarType => {
    const type = name === undefined ? undefined : plyTypeFromName(name);
    if (!type) throw fail(`unknown property type '${shorten(name ?? '')}'`);
    return type;
  };
  if (words[1] === 'list') {
    if (words.length !== 5) throw fail(`expected 'property list <count type> <item type> <name>', found '${shorten(words.join(' '))}'`);
    const countType = typeOf(words[2]);
    if (!PLY_TYPES[countType].integer) throw fail(`list count type must be an integer type, found '${words[2]}'`);
    return { kind: 'list', name: words[4]!, countType, itemType: typeOf(words[3]) };
  }
  if (words.length !== 3) throw fail(`expected 'property <type> <name>', found '${shorten(words.join(' '))}'`);
  return { kind: 'scalar', name: words[2]!, type: typeOf(words[1]) };
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
