import type { Hdf5DatasetInfo } from './hdf5.ts';
import type { PointCloud } from './point-cloud.ts';
import type { PointFileFormat } from './read-point-file.ts';

/**
 * What every format's loader provides (see `loaders/` and `registry.ts`): how to recognise its
 * bytes, how to parse them into its own `PointFile` variant, what `bitpoint inspect` shows of it
 * and, for formats that carry per-point predictions, how to write a cloud. Adding a format is a
 * parser, a loader in `loaders/`, and one line in `registry.ts`; `detectFormat`, `readPointFile`
 * and `summarizePointFile` walk the registry. Loaders are browser-safe: no node:fs.
 */
export interface PointFileLoader<F extends PointFileBase = PointFileBase> {
  /** The `format` of what `parse` returns. */
  readonly name: F['format'];
  /** How errors and docs name it: `PLY`, `NumPy (.npz)`. */
  readonly title: string;
  /**
   * Lower-case name endings (`.ply`, `idx3-ubyte`) that decide the format when no loader's
   * signature matched.
   */
  readonly extensions: readonly string[];
  /**
   * True when the bytes carry this format's signature. May throw a FormatError when they are
   * recognisably something this format refuses (a zip that is not `.npz`, gzip that is not IDX).
   */
  test(bytes: Uint8Array, fileName: string): boolean;
  /** Weak evidence, asked after every signature and extension failed (point text: starts with a number). */
  guess?(bytes: Uint8Array): boolean;
  parse(bytes: Uint8Array, fileName: string): F | Promise<F>;
  summarize(file: F): PointFileSummary;
  /** A cloud with its attributes (predictions, labels) as this format's bytes. */
  write?(cloud: PointCloud, options?: PointCloudWriteOptions): Uint8Array;
}

export interface PointFileBase {
  format: string;
  fileName: string;
  /** ascii | binary_little_endian | binary_big_endian (PLY); ascii (OFF); comma | space (text); hdf5; raw | gzip (IDX); PCD's DATA; NumPy's dtype and order. */
  encoding: string;
}

export interface PointCloudWriteOptions {
  /** The format's own encoding name (PLY: ascii | binary_little_endian | binary_big_endian; PCD: ascii | binary | binary_compressed). */
  encoding?: string;
  comments?: string[];
}

/**
 * What `bitpoint inspect` reports about a file, in the same shape for every format: elements and
 * their counts, each element's properties with types, and the bounding box of the points.
 * OFF and text files report their points as `vertex`; HDF5 point sets report `shape` (one per
 * cloud, with its class label) and `vertex` (all points); IDX reports `item` (the first
 * dimension) and the full `dims`.
 */
export interface PointFileSummary {
  file: string;
  format: PointFileFormat;
  encoding: string;
  elements: Record<string, number>;
  properties: Record<string, PropertySummary[]>;
  /** Null when the file has no points (IDX, a PLY without positions). */
  bbox: { min: [number, number, number]; max: [number, number, number] } | null;
  comments?: string[];
  /** IDX and NumPy: the array's dimensions. */
  dims?: number[];
  /** IDX: smallest and largest value. */
  range?: { min: number; max: number };
  /** NumPy .npz: every member array. */
  arrays?: { name: string; shape: number[]; type: string }[];
  /** PCD: every declared field (padding `_` included), the grid and the viewpoint. */
  pcd?: { version: string; fields: { name: string; size: number; type: string; count: number }[]; width: number; height: number; viewpoint: number[] };
  /** HDF5: every dataset at the root. */
  datasets?: Hdf5DatasetInfo[];
}

export interface PropertySummary {
  name: string;
  /** A sized type name (float32, uint8, …); lists as `list <count type> <item type>`. */
  type: string;
}

/** Axis-aligned bounds of N×3 positions (NaNs ignored); null when there are none or all are NaN. */
export function boundingBox(positions: Float32Array): PointFileSummary['bbox'] {
  if (positions.length < 3) return null;
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i + 2 < positions.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const value = positions[i + k]!;
      if (value < min[k]!) min[k] = value;
      if (value > max[k]!) max[k] = value;
    }
  }
  return min[0] > max[0] ? null : { min, max };
}

/** Whether the bytes start with `text`. */
export function startsWithText(bytes: Uint8Array, text: string, at = 0): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The first 64 characters after leading whitespace and `#` comment lines. */
export function textStart(bytes: Uint8Array): string {
  let p = 0;
  while (p < bytes.length) {
    const c = bytes[p]!;
    if (c === 35) {
      while (p < bytes.length && bytes[p] !== 10) p++;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      p++;
    } else {
      break;
    }
  }
  return String.fromCharCode(...bytes.subarray(p, p + 64));
}
