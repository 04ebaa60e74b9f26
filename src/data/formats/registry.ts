import { FormatError } from '../../util/errors.ts';
import { hdf5Loader } from './loaders/hdf5.ts';
import { idxLoader } from './loaders/idx.ts';
import { npyLoader } from './loaders/npy.ts';
import { npzLoader } from './loaders/npz.ts';
import { offLoader } from './loaders/off.ts';
import { pcdLoader } from './loaders/pcd.ts';
import { plyLoader } from './loaders/ply.ts';
import { textLoader } from './loaders/txt.ts';
import type { PointFileLoader } from './point-file.ts';
import type { PointFile, PointFileFormat } from './read-point-file.ts';

/**
 * Every format bitpoint reads, in the order their signatures are tried: binary magic numbers
 * first, then text keywords (PCD before OFF, since a PCD comment could mention OFF), then point
 * text, which has no signature at all.
 */
export const POINT_FILE_LOADERS: readonly PointFileLoader<PointFile>[] = [plyLoader, hdf5Loader, npyLoader, npzLoader, idxLoader, pcdLoader, offLoader, textLoader];

/** Each loader typed by what it parses. */
type LoaderOf<F extends PointFileFormat> = PointFileLoader<Extract<PointFile, { format: F }>>;

export function pointFileLoader<F extends PointFileFormat>(format: F): LoaderOf<F> {
  const loader = POINT_FILE_LOADERS.find((candidate) => candidate.name === format);
  if (!loader) throw new Error(`no loader for format '${format}'`);
  return loader as unknown as LoaderOf<F>;
}

/**
 * The loader for a file: first by a signature that cannot be mistaken, then by the name's
 * ending, then by weak content evidence (text that starts with a number is point text).
 * FormatError when nothing fits.
 */
export function detectLoader(bytes: Uint8Array, fileName: string): PointFileLoader<PointFile> {
  if (bytes.length === 0) throw new FormatError(fileName, 'empty file', { byte: 0 });
  const loaders = POINT_FILE_LOADERS;
  const found =
    loaders.find((loader) => loader.test(bytes, fileName)) ??
    loaders.find((loader) => loader.extensions.some((ending) => fileName.toLowerCase().endsWith(ending))) ??
    loaders.find((loader) => loader.guess?.(bytes));
  if (!found) throw new FormatError(fileName, `unknown format: expected ${POINT_FILE_LOADERS.map((loader) => loader.title).join(', ')}`, { byte: 0 });
  return found;
}

/** The loader that writes clouds to a file of this name (`.ply`, `.pcd`), if any. */
export function pointFileWriterFor(fileName: string): PointFileLoader<PointFile> | undefined {
  const lower = fileName.toLowerCase();
  return POINT_FILE_LOADERS.find((loader) => loader.write && loader.extensions.some((ending) => lower.endsWith(ending)));
}
