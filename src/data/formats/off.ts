import type { Mesh } from '../mesh.ts';
import { formatFixed, formatFloat32 } from './number-text.ts';
import { TextScanner } from './text-scanner.ts';

/**
 * OFF meshes (Geomview's Object File Format, used by ModelNet):
 *
 *   OFF                      [C][N]OFF: COFF adds a colour per vertex, NOFF a normal
 *   # comments anywhere
 *   V F E                    counts (E, edges, is ignored)
 *   x y z [nx ny nz] [r g b [a]]     V vertex lines
 *   n i1 … in [face colour]          F polygons, fan-triangulated
 *
 * ModelNet's files often glue the keyword to the counts: `OFF490 518 0`; that is accepted.
 * Colours with any component above 1 are read as 0–255 and scaled to [0, 1]. Faces with fewer
 * than three vertices add no triangles.
 */
export interface OffData {
  /** Vertices and fan-triangulated faces. */
  mesh: Mesh;
  /** NOFF: V×3 vertex normals. */
  normals?: Float32Array;
  /** COFF: V×4 RGBA in [0, 1] (alpha 1 when the file gives three channels). */
  colors?: Float32Array;
  /** The keyword as written: OFF, COFF, NOFF, CNOFF, … */
  keyword: string;
  /** Polygons as counted in the file (before triangulation). */
  polygonCount: number;
  /** Whether the counts shared the keyword's line (ModelNet's quirk). */
  countsOnKeywordLine: boolean;
}

export function parseOff(input: Uint8Array | ArrayBuffer, fileName: string): OffData {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const scan = new TextScanner(bytes, fileName);
  if (bytes.length === 0) throw scan.error('empty file');
  scan.skipSpaceAndComments(true);

  const keywordStart = scan.pos;
  while (!scan.atEnd && isLetter(bytes[scan.pos]!)) scan.pos++;
  const keyword = String.fromCharCode(...bytes.subarray(keywordStart, Math.min(scan.pos, keywordStart + 20)));
  const flags = offFlags(keyword);
  if (!flags) throw scan.error(`not an OFF file: expected 'OFF', 'COFF' or 'NOFF' at the start, found '${keyword || scan.tokenText()}'`);
  const gluedToKeyword = !scan.atEnd && isDigit(bytes[scan.pos]!);
  scan.skipInlineSpace();
  const countsOnKeywordLine = gluedToKeyword || (!scan.atEnd && isDigit(bytes[scan.pos]!));
  if (!countsOnKeywordLine) {
    scan.finishLine(`the '${keyword}' keyword`, true);
    scan.skipSpaceAndComments(true);
  }
  if (scan.atEnd) throw scan.error('file ends before the vertex, face and edge counts');

  const vertexCount = scan.readInteger('vertex count', 0, Number.MAX_SAFE_INTEGER);
  scan.skipInlineSpace();
  const faceCount = scan.readInteger('face count', 0, Number.MAX_SAFE_INTEGER);
  // Each vertex value and each face takes at least two bytes: counts the file cannot hold are
  // rejected before anything is allocated from them.
  const valuesPerVertex = 3 + (flags.normals ? 3 : 0);
  if (vertexCount * valuesPerVertex * 2 + faceCount * 2 > bytes.length - scan.pos + 2) {
    throw scan.error(`counts of ${vertexCount} vertices and ${faceCount} faces need more data than the ${bytes.length - scan.pos} bytes left (truncated file or wrong counts)`);
  }
  scan.skipInlineSpace();
  if (!scan.atLineEnd() && bytes[scan.pos] !== 35) scan.readInteger('edge count', 0, Number.MAX_SAFE_INTEGER);
  scan.finishLine('the vertex, face and edge counts', true);

  const vertices = new Float32Array(vertexCount * 3);
  const normals = flags.normals ? new Float32Array(vertexCount * 3) : undefined;
  const colors = flags.colors ? new Float32Array(vertexCount * 4) : undefined;
  const extras: number[] = [];
  for (let v = 0; v < vertexCount; v++) {
    scan.skipSpaceAndComments(true);
    if (scan.atEnd) throw scan.error(`file ends after ${v} of ${vertexCount} vertices`);
    for (let k = 0; k < 3; k++) vertices[3 * v + k] = readOnLine(scan, COORDINATE_LABELS[k]!);
    if (normals) for (let k = 0; k < 3; k++) normals[3 * v + k] = readOnLine(scan, NORMAL_LABELS[k]!);
    if (colors || flags.textures) {
      extras.length = 0;
      for (scan.skipInlineSpace(); !scan.atLineEnd() && bytes[scan.pos] !== 35; scan.skipInlineSpace()) {
        if (extras.length === 8) throw scan.error(`vertex ${v} has too many values`);
        extras.push(scan.readNumber('vertex colour or texture coordinate'));
      }
      const colorValues = extras.length - (flags.textures ? 2 : 0);
      if (colors) {
        if (colorValues !== 3 && colorValues !== 4) throw scan.error(`vertex ${v} has ${Math.max(0, colorValues)} colour values; ${keyword} needs 3 (RGB) or 4 (RGBA)`);
        const scale = extras.slice(0, colorValues).some((value) => value > 1) ? 1 / 255 : 1;
        for (let k = 0; k < 4; k++) colors[4 * v + k] = k < colorValues ? extras[k]! * scale : 1;
      } else if (colorValues !== 0) {
        throw scan.error(`vertex ${v} has ${extras.length} values after its position; ${keyword} needs 2 texture coordinates`);
      }
    }
    scan.finishLine('the values of a vertex', true);
  }

  let triangles = new Uint32Array(Math.min(faceCount, (bytes.length - scan.pos) >> 1) * 3);
  let triangleValues = 0;
  for (let f = 0; f < faceCount; f++) {
    scan.skipSpaceAndComments(true);
    if (scan.atEnd) throw scan.error(`file ends after ${f} of ${faceCount} faces`);
    const corners = scan.readInteger('number of vertices of a face', 0, bytes.length - scan.pos);
    let first = 0;
    let previous = 0;
    for (let i = 0; i < corners; i++) {
      scan.skipInlineSpace();
      if (scan.atLineEnd()) throw scan.error(`face ${f} lists fewer than its ${corners} vertex indices`);
      const index = scan.readInteger('vertex index', 0, vertexCount - 1);
      if (i === 0) first = index;
      else if (i >= 2) {
        if (triangleValues + 3 > triangles.length) triangles = grow(triangles);
        triangles[triangleValues++] = first;
        triangles[triangleValues++] = previous;
        triangles[triangleValues++] = index;
      }
      previous = index;
    }
    // The rest of the line may hold a face colour, which meshes for learning do not use.
    scan.skipRestOfLine();
  }
  scan.skipSpaceAndComments(true);
  if (!scan.atEnd) throw scan.error(`unexpected '${scan.tokenText()}' after the ${faceCount} faces the header declares`);

  const data: OffData = {
    mesh: { vertices, faces: triangles.slice(0, triangleValues) },
    keyword,
    polygonCount: faceCount,
    countsOnKeywordLine,
  };
  if (normals) data.normals = normals;
  if (colors) data.colors = colors;
  return data;
}

export interface WriteOffOptions {
  /** V×3 vertex normals: writes NOFF. */
  normals?: Float32Array;
  /** V×4 (or V×3) colours in [0, 1]: writes COFF. */
  colors?: Float32Array;
  /** Fixed decimals for coordinates (ModelNet-like files); default the shortest exact float32 text. */
  decimals?: number;
  /** Write `OFF490 518 0` on one line, as many ModelNet files do (readers must cope with it). */
  countsOnKeywordLine?: boolean;
}

/** A triangle mesh as OFF text. */
export function writeOff(mesh: Mesh, options: WriteOffOptions = {}): string {
  const vertexCount = mesh.vertices.length / 3;
  const faceCount = mesh.faces.length / 3;
  const { normals, colors, decimals } = options;
  if (normals && normals.length !== mesh.vertices.length) throw new RangeError(`writeOff: ${normals.length / 3} normals for ${vertexCount} vertices`);
  const colorChannels = colors ? colors.length / vertexCount : 0;
  if (colors && colorChannels !== 3 && colorChannels !== 4) throw new RangeError(`writeOff: colours must be V×3 or V×4, got ${colors.length} values for ${vertexCount} vertices`);
  const format = decimals === undefined ? formatFloat32 : (value: number) => formatFixed(value, decimals);
  const keyword = `${colors ? 'C' : ''}${normals ? 'N' : ''}OFF`;
  const counts = `${vertexCount} ${faceCount} 0`;
  const lines: string[] = [options.countsOnKeywordLine ? `${keyword}${counts}` : `${keyword}\n${counts}`];
  for (let v = 0; v < vertexCount; v++) {
    let line = `${format(mesh.vertices[3 * v]!)} ${format(mesh.vertices[3 * v + 1]!)} ${format(mesh.vertices[3 * v + 2]!)}`;
    if (normals) line += ` ${format(normals[3 * v]!)} ${format(normals[3 * v + 1]!)} ${format(normals[3 * v + 2]!)}`;
    if (colors) for (let k = 0; k < colorChannels; k++) line += ` ${formatFixed(colors[colorChannels * v + k]!, 4)}`;
    lines.push(line);
  }
  for (let f = 0; f < faceCount; f++) lines.push(`3 ${mesh.faces[3 * f]} ${mesh.faces[3 * f + 1]} ${mesh.faces[3 * f + 2]}`);
  return `${lines.join('\n')}\n`;
}

interface OffFlags {
  colors: boolean;
  normals: boolean;
  textures: boolean;
}

/** Which optional vertex columns a keyword announces, or null if it is not an OFF keyword we read. */
function offFlags(keyword: string): OffFlags | null {
  // Geomview's order is [ST][C][N]OFF; NCOFF is seen in the wild too.
  if (!/^(ST)?(C?N?|NC)OFF$/.test(keyword)) return null;
  const prefix = keyword.slice(0, -3);
  return { textures: prefix.startsWith('ST'), colors: prefix.includes('C'), normals: prefix.includes('N') };
}

const COORDINATE_LABELS = ['vertex x', 'vertex y', 'vertex z'];
const NORMAL_LABELS = ['normal x', 'normal y', 'normal z'];

function readOnLine(scan: TextScanner, label: string): number {
  scan.skipInlineSpace();
  if (scan.atLineEnd()) throw scan.error(`line ends where ${label} was expected`);
  return scan.readNumber(label);
}

function grow(array: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(Math.max(48, array.length * 2));
  bigger.set(array);
  return bigger;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
