import type { Hdf5File } from './loaders/hdf5.ts';
import type { IdxFile } from './loaders/idx.ts';
import type { NpyFile } from './loaders/npy.ts';
import type { NpzFile } from './loaders/npz.ts';
import type { OffFile } from './loaders/off.ts';
import type { PcdFile } from './loaders/pcd.ts';
import type { PlyFile } from './loaders/ply.ts';
import type { TextFile } from './loaders/txt.ts';
import { detectLoader } from './registry.ts';

export type { Hdf5File, IdxFile, NpyFile, NpzFile, OffFile, PcdFile, PlyFile, TextFile };
export type { NpyPointSets } from './loaders/npy.ts';

/**
 * Any supported file, read by what it is (see `detectFormat`), with its content in the form its
 * format has and, where the file is one point cloud or mesh, that cloud and mesh.
 *
 *   const file = await readPointFile(bytes, 'airplane_0001.off');
 *   if (file.mesh) sampleSurface(file.mesh, 1024, rng);
 */
export type PointFile = PlyFile | OffFile | TextFile | Hdf5File | IdxFile | NpyFile | NpzFile | PcdFile;

export type PointFileFormat = PointFile['format'];

/** Reads a file of any supported format; FormatError when it is none or is damaged. */
export async function readPointFile(input: Uint8Array | ArrayBuffer, fileName: string): Promise<PointFile> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  return detectLoader(bytes, fileName).parse(bytes, fileName);
}
