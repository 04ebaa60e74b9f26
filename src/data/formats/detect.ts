import { detectLoader } from './registry.ts';
import type { PointFileFormat } from './read-point-file.ts';

export type { PointFileFormat } from './read-point-file.ts';

/**
 * Which format a file is in: first by content that cannot be mistaken (the `ply` line, the HDF5
 * signature, NumPy's magic, IDX's zero bytes and type code, a PCD header, an OFF keyword), then by
 * extension, then — for text that starts with a number — point text. Throws FormatError when
 * nothing fits. The formats and their signatures are the loaders in `registry.ts`.
 */
export function detectFormat(bytes: Uint8Array, fileName: string): PointFileFormat {
  return detectLoader(bytes, fileName).name;
}
