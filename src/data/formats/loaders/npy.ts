import { FormatError } from '../../../util/errors.ts';
import { hasNpyMagic, npyPointSets, parseNpy, type NpyArray } from '../npy.ts';
import { boundingBox, type PointFileBase, type PointFileLoader, type PointFileSummary, type PropertySummary } from '../point-file.ts';
import type { PointCloud } from '../point-cloud.ts';

/** NumPy arrays: an (N, C) array is one cloud; a (B, N, C) array is B clouds (`sets`), as in HDF5. */
export interface NpyFile extends PointFileBase {
  format: 'npy';
  npy: NpyArray;
  cloud?: PointCloud;
  sets?: NpyPointSets;
}

/** B clouds of N points, flattened B×N×3, with per-shape labels when the archive has them. */
export interface NpyPointSets {
  shapeCount: number;
  pointsPerShape: number;
  points: Float32Array;
  normals?: Float32Array;
  labels?: Int32Array;
}

export const npyLoader: PointFileLoader<NpyFile> = {
  name: 'npy',
  title: 'NumPy (.npy)',
  extensions: ['.npy'],
  test: (bytes) => hasNpyMagic(bytes),
  parse(bytes, fileName) {
    const npy = parseNpy(bytes, fileName);
    const file: NpyFile = { format: 'npy', fileName, encoding: npyEncoding(npy), npy };
    return Object.assign(file, npyContent(npy, undefined, undefined, fileName));
  },
  summarize: (file) => summarizeNpy(file, file.npy),
};

export function npyEncoding(npy: NpyArray): string {
  return `${npy.descr} ${npy.fortranOrder ? 'fortran' : 'C'}-order v${npy.version}`;
}

/** A 2-D point array as a cloud, a 3-D one as point sets; separate normal and label arrays joined in. */
export function npyContent(points: NpyArray, normals: NpyArray | undefined, labels: NpyArray | undefined, fileName: string): { cloud?: PointCloud; sets?: NpyPointSets } {
  const sets: NpyPointSets = npyPointSets(points, fileName);
  const perPoint = sets.shapeCount * sets.pointsPerShape;
  if (normals && !sets.normals) {
    if (normals.data.length !== perPoint * 3) throw new FormatError(fileName, `normals of shape (${normals.shape.join(', ')}) do not match points of shape (${points.shape.join(', ')})`);
    sets.normals = Float32Array.from(normals.data);
  }
  let pointLabels: Int32Array | undefined;
  if (labels) {
    const values = Int32Array.from(labels.data);
    if (values.length === perPoint) pointLabels = values;
    else if (values.length === sets.shapeCount && points.shape.length === 3) sets.labels = values;
    else throw new FormatError(fileName, `labels of shape (${labels.shape.join(', ')}) match neither the points nor the clouds of shape (${points.shape.join(', ')})`);
  }
  if (points.shape.length === 3) return { sets };
  const cloud: PointCloud = { points: sets.points };
  if (sets.normals) cloud.normals = sets.normals;
  if (pointLabels) cloud.labels = pointLabels;
  return { cloud };
}

/** The point array's summary (shared with .npz, which adds its member list). */
export function summarizeNpy(file: { fileName: string; format: 'npy' | 'npz'; encoding: string; cloud?: PointCloud; sets?: NpyPointSets }, array: NpyArray): PointFileSummary {
  const points = file.cloud?.points ?? file.sets?.points ?? new Float32Array(0);
  const vertex: PropertySummary[] = ['x', 'y', 'z'].map((name) => ({ name, type: array.dtype }));
  if (file.cloud?.normals ?? file.sets?.normals) vertex.push(...['nx', 'ny', 'nz'].map((name) => ({ name, type: 'float32' })));
  if (file.cloud?.labels) vertex.push({ name: 'label', type: 'int32' });
  const elements: Record<string, number> = file.sets && array.shape.length === 3 ? { shape: file.sets.shapeCount, vertex: points.length / 3 } : { vertex: points.length / 3 };
  return { file: file.fileName, format: file.format, encoding: file.encoding, elements, properties: { vertex }, bbox: boundingBox(points), dims: array.shape };
}
