import { unzipSync, zipSync } from 'fflate';
import { FormatError } from '../../util/errors.ts';
import { parseNpy, writeNpy, type NpyArray } from './npy.ts';

/**
 * NumPy's `.npz`: a zip archive of `.npy` members (stored by `np.savez`, deflated by
 * `np.savez_compressed`), unpacked with fflate. Each member's declared size is checked against a
 * limit before it is inflated, so a small archive cannot make us allocate gigabytes.
 */
export interface NpzArchive {
  /** By member name without `.npy` (`arr_0`, `points`, …), in archive order. */
  arrays: Map<string, NpyArray>;
  compressed: boolean;
}

/** The largest member we inflate; ModelNet-sized archives are far below it. */
export const NPZ_MEMBER_LIMIT = 1 << 30;

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

export function hasZipSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ZIP_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

export function parseNpz(input: Uint8Array | ArrayBuffer, fileName: string, memberLimit = NPZ_MEMBER_LIMIT): NpzArchive {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length === 0) throw new FormatError(fileName, 'empty file', { byte: 0 });
  if (!hasZipSignature(bytes)) throw new FormatError(fileName, 'not a NumPy .npz file: no zip signature', { byte: 0 });
  let compressed = false;
  let tooLarge: string | undefined;
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (file) => {
        if (file.compression !== 0 && file.compression !== 8) throw new FormatError(fileName, `member '${clip(file.name)}' uses zip compression method ${file.compression} (only stored and deflated are read)`);
        if (file.compression === 8) compressed = true;
        if (file.originalSize > memberLimit) tooLarge ??= `member '${clip(file.name)}' declares ${file.originalSize} bytes, more than the limit of ${memberLimit}`;
        return tooLarge === undefined;
      },
    });
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(fileName, `damaged zip archive: ${clip(error instanceof Error ? error.message : String(error))}`);
  }
  if (tooLarge) throw new FormatError(fileName, tooLarge);
  const arrays = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(members)) {
    if (name.endsWith('/')) continue;
    const key = name.endsWith('.npy') ? name.slice(0, -4) : name;
    arrays.set(key, parseNpy(data, `${fileName}:${name}`));
  }
  if (arrays.size === 0) throw new FormatError(fileName, 'the archive holds no arrays');
  return { arrays, compressed };
}

/** Writes an `.npz` of float32/int32 arrays, deflated (`np.savez_compressed`) or stored (`np.savez`). */
export function writeNpz(arrays: Record<string, { data: ArrayLike<number>; shape: number[]; dtype?: 'float32' | 'float64' | 'int32' | 'uint8' }>, compress = true): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, array] of Object.entries(arrays)) files[`${name}.npy`] = writeNpy(array.data, array.shape, array.dtype);
  return zipSync(files, { level: compress ? 6 : 0 });
}

/**
 * The point cloud(s) of an archive: the member named `points`, `data`, `xyz`, `pos` or `pc`, or
 * else the only member; `normals`/`normal` and `label`/`labels` beside it when present.
 */
export function npzPointMembers(archive: NpzArchive, fileName: string): { points: NpyArray; pointsName: string; normals?: NpyArray; labels?: NpyArray } {
  const names = [...archive.arrays.keys()];
  const pick = (candidates: string[]) => candidates.find((name) => archive.arrays.has(name));
  const pointsName = pick(['points', 'data', 'xyz', 'pos', 'pc', 'point_cloud']) ?? (names.length === 1 ? names[0] : undefined);
  if (!pointsName) {
    throw new FormatError(fileName, `no point array among ${names.map((n) => `'${clip(n, 40)}'`).join(', ')}: name it 'points' or 'data'`);
  }
  const normalsName = pick(['normals', 'normal']);
  const labelsName = pick(['label', 'labels', 'pid', 'seg']);
  const result: { points: NpyArray; pointsName: string; normals?: NpyArray; labels?: NpyArray } = { points: archive.arrays.get(pointsName)!, pointsName };
  if (normalsName) result.normals = archive.arrays.get(normalsName)!;
  if (labelsName) result.labels = archive.arrays.get(labelsName)!;
  return result;
}

function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
