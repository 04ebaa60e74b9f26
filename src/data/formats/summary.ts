import type { PointFileFormat } from './detect.ts';
import type { Hdf5DatasetInfo } from './hdf5.ts';
import { pcdTypeName, type PcdField } from './pcd.ts';
import type { PointFile } from './read-point-file.ts';

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
  pcd?: { version: string; fields: PcdField[]; width: number; height: number; viewpoint: number[] };
  /** HDF5: every dataset at the root. */
  datasets?: Hdf5DatasetInfo[];
}

export interface PropertySummary {
  name: string;
  /** A sized type name (float32, uint8, …); lists as `list <count type> <item type>`. */
  type: string;
}

const POSITION: PropertySummary[] = ['x', 'y', 'z'].map((name) => ({ name, type: 'float32' }));
const NORMAL: PropertySummary[] = ['nx', 'ny', 'nz'].map((name) => ({ name, type: 'float32' }));

export function summarizePointFile(file: PointFile): PointFileSummary {
  const base = { file: file.fileName, format: file.format, encoding: file.encoding };
  switch (file.format) {
    case 'ply': {
      const elements: Record<string, number> = {};
      const properties: Record<string, PropertySummary[]> = {};
      for (const element of file.ply.elements) {
        elements[element.name] = element.count;
        properties[element.name] = element.properties.map((property) => ({
          name: property.name,
          type: property.kind === 'list' ? `list ${property.countType} ${property.itemType}` : property.type,
        }));
      }
      const summary: PointFileSummary = { ...base, elements, properties, bbox: file.cloud ? boundingBox(file.cloud.points) : null };
      if (file.ply.comments.length > 0) summary.comments = file.ply.comments;
      return summary;
    }
    case 'off': {
      const { off } = file;
      const vertex = [...POSITION, ...(off.normals ? NORMAL : [])];
      if (off.colors) vertex.push(...['red', 'green', 'blue', 'alpha'].map((name) => ({ name, type: 'float32' })));
      return {
        ...base,
        elements: { vertex: off.mesh.vertices.length / 3, face: off.polygonCount },
        properties: { vertex, face: [{ name: 'vertex_indices', type: 'list int32 int32' }] },
        bbox: boundingBox(off.mesh.vertices),
      };
    }
    case 'txt': {
      const { cloud } = file;
      const vertex = [...POSITION, ...(cloud.normals ? NORMAL : []), ...(cloud.labels ? [{ name: 'label', type: 'int32' }] : [])];
      return { ...base, elements: { vertex: cloud.points.length / 3 }, properties: { vertex }, bbox: boundingBox(cloud.points) };
    }
    case 'hdf5': {
      const sets = file.hdf5;
      const typeOf = (name: string) => sets.datasets.find((dataset) => dataset.name === name)?.type ?? 'unknown';
      const vertex = ['x', 'y', 'z'].map((name) => ({ name, type: typeOf('data') }));
      if (sets.normals) vertex.push(...['nx', 'ny', 'nz'].map((name) => ({ name, type: typeOf('normal') })));
      if (sets.pointLabels) vertex.push({ name: 'pid', type: typeOf('pid') === 'unknown' ? typeOf('seg') : typeOf('pid') });
      return {
        ...base,
        elements: { shape: sets.shapeCount, vertex: sets.shapeCount * sets.pointsPerShape },
        properties: { shape: sets.labels ? [{ name: 'label', type: typeOf('label') }] : [], vertex },
        bbox: boundingBox(sets.points),
        datasets: sets.datasets,
      };
    }
    case 'npy':
    case 'npz': {
      const points = file.cloud?.points ?? file.sets?.points ?? new Float32Array(0);
      const array = file.format === 'npy' ? file.npy : file.npz.arrays.get(file.pointsName)!;
      const type = array.dtype;
      const vertex: PropertySummary[] = ['x', 'y', 'z'].map((name) => ({ name, type }));
      const normals = file.cloud?.normals ?? file.sets?.normals;
      if (normals) vertex.push(...NORMAL);
      if (file.cloud?.labels) vertex.push({ name: 'label', type: 'int32' });
      const elements: Record<string, number> = file.sets && array.shape.length === 3 ? { shape: file.sets.shapeCount, vertex: points.length / 3 } : { vertex: points.length / 3 };
      const summary: PointFileSummary = { ...base, elements, properties: { vertex }, bbox: boundingBox(points), dims: array.shape };
      if (file.format === 'npz') summary.arrays = [...file.npz.arrays].map(([name, a]) => ({ name, shape: a.shape, type: a.dtype }));
      return summary;
    }
    case 'pcd': {
      const { pcd } = file;
      const summary: PointFileSummary = {
        ...base,
        elements: { vertex: pcd.points },
        properties: { vertex: pcd.columns.map((column) => ({ name: column.name, type: pcdTypeName(column) })) },
        bbox: file.cloud ? boundingBox(file.cloud.points) : null,
        pcd: { version: pcd.version, fields: pcd.fields, width: pcd.width, height: pcd.height, viewpoint: pcd.viewpoint },
      };
      if (pcd.comments.length > 0) summary.comments = pcd.comments;
      return summary;
    }
    case 'idx': {
      const { idx } = file;
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < idx.data.length; i++) {
        const value = idx.data[i]!;
        if (value < min) min = value;
        if (value > max) max = value;
      }
      return {
        ...base,
        elements: { item: idx.dims[0]! },
        properties: { item: [{ name: 'value', type: idx.type }] },
        bbox: null,
        dims: idx.dims,
        ...(idx.data.length > 0 ? { range: { min, max } } : {}),
      };
    }
  }
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
