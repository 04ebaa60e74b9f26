import { parsePlyHeader } from './header.ts';
import { readPlyAsciiBody } from './read-ascii.ts';
import { readPlyBinaryBody } from './read-binary.ts';
import type { PlyData } from './types.ts';

/**
 * Reads a PLY file in any of the three encodings into elements of typed columns, keeping every
 * element and property (lists included) with its declared type. Pure: bytes in, data out, so it
 * runs in Node and in the browser. Bad input throws FormatError naming the line (header, ASCII
 * body) or byte offset (binary body). Bytes after the last binary element are ignored (some
 * writers pad); text after the last ASCII record is an error.
 *
 *   const ply = parsePly(bytes, 'cloud.ply');
 *   const cloud = plyToPointCloud(ply, 'cloud.ply');   // positions, normals, colours, labels, …
 */
export function parsePly(input: Uint8Array | ArrayBuffer, fileName: string): PlyData {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const header = parsePlyHeader(bytes, fileName);
  const elements = header.format === 'ascii' ? readPlyAsciiBody(bytes, header, fileName) : readPlyBinaryBody(bytes, header, fileName);
  return { format: header.format, comments: header.comments, objInfo: header.objInfo, elements };
}
