import type { Mesh } from '../mesh.ts';
import { detectFormat, type PointFileFormat } from './detect.ts';
import { parseHdf5PointSets, type Hdf5PointSets } from './hdf5.ts';
import { decodeIdx, isGzip, type IdxArray } from './idx.ts';
import { npyPointSets, parseNpy, type NpyArray } from './npy.ts';
import { npzPointMembers, parseNpz, type NpzArchive } from './npz.ts';
import { parseOff, type OffData } from './off.ts';
import { parsePcd, pcdToPointCloud, type PcdData } from './pcd.ts';
import { plyToMesh, plyToPointCloud } from './ply/point-cloud.ts';
import { parsePly } from './ply/read.ts';
import { plyElement, type PlyData } from './ply/types.ts';
import type { PointCloud } from './point-cloud.ts';
import { FormatError } from '../../util/errors.ts';
import { parsePointText, type PointText } from './txt.ts';

/**
 * Any supported file, read by what it is (see `detectFormat`), with its content in the form its
 * format has and, where the file is one point cloud or mesh, that cloud and mesh.
 *
 *   const file = await readPointFile(bytes, 'airplane_0001.off');
 *   if (file.mesh) sampleSurface(file.mesh, 1024, rng);
 */
export type PointFile = PlyFile | OffFile | TextFile | Hdf5File | IdxFile | NpyFile | NpzFile | PcdFile;

interface PointFileBase {
  fileName: string;
  /** ascii | binary_little_endian | binary_big_endian (PLY); ascii (OFF); comma | space (text); hdf5; raw | gzip (IDX). */
  encoding: string;
}

export interface PlyFile extends PointFileBase {
  format: 'ply';
  ply: PlyData;
  /** The vertex element as points, when it has x, y, z. */
  cloud?: PointCloud;
  /** When there is a face element. */
  mesh?: Mesh;
}

export interface OffFile extends PointFileBase {
  format: 'off';
  off: OffData;
  /** The vertices (with NOFF normals). */
  cloud: PointCloud;
  mesh: Mesh;
}

export interface TextFile extends PointFileBase {
  format: 'txt';
  text: PointText;
  cloud: PointCloud;
}

export interface Hdf5File extends PointFileBase {
  format: 'hdf5';
  hdf5: Hdf5PointSets;
}

export interface IdxFile extends PointFileBase {
  format: 'idx';
  idx: IdxArray;
}

/** NumPy arrays: an (N, C) array is one cloud; a (B, N, C) array is B clouds (`sets`), as in HDF5. */
export interface NpyFile extends PointFileBase {
  format: 'npy';
  npy: NpyArray;
  cloud?: PointCloud;
  sets?: NpyPointSets;
}

export interface NpzFile extends PointFileBase {
  format: 'npz';
  npz: NpzArchive;
  /** Which member holds the points. */
  pointsName: string;
  cloud?: PointCloud;
  sets?: NpyPointSets;
}

/** PCL's format: every field with its values; the cloud when there are x y z (NaN points kept). */
export interface PcdFile extends PointFileBase {
  format: 'pcd';
  pcd: PcdData;
  cloud?: PointCloud;
}

/** B clouds of N points, flattened B×N×3, with per-shape labels when the archive has them. */
export interface NpyPointSets {
  shapeCount: number;
  pointsPerShape: number;
  points: Float32Array;
  normals?: Float32Array;
  labels?: Int32Array;
}

/** Reads a file of any supported format; FormatError when it is none or is damaged. */
export async function readPointFile(input: Uint8Array | ArrayBuffer, fileName: string): Promise<PointFile> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const format: PointFileFormat = detectFormat(bytes, fileName);
  switch (format) {
    case 'ply': {
      const ply = parsePly(bytes, fileName);
      const vertex = plyElement(ply, 'vertex');
      const hasPositions = ['x', 'y', 'z'].every((name) => vertex?.properties.some((p) => p.name === name && p.kind === 'scalar'));
      const file: PlyFile = { format, fileName, encoding: ply.format, ply };
      if (hasPositions) file.cloud = plyToPointCloud(ply, fileName);
      const mesh = hasPositions ? plyToMesh(ply, fileName) : undefined;
      if (mesh) file.mesh = mesh;
      return file;
    }
    case 'off': {
      const off = parseOff(bytes, fileName);
      const cloud: PointCloud = { points: off.mesh.vertices };
      if (off.normals) cloud.normals = off.normals;
      if (off.colors) Object.assign(cloud, splitRgba(off.colors));
      return { format, fileName, encoding: 'ascii', off, cloud, mesh: off.mesh };
    }
    case 'txt': {
      const text = parsePointText(bytes, fileName);
      return { format, fileName, encoding: text.delimiter === ',' ? 'comma' : 'space', text, cloud: text.cloud };
    }
    case 'hdf5':
      return { format, fileName, encoding: 'hdf5', hdf5: await parseHdf5PointSets(bytes, fileName) };
    case 'idx':
      return { format, fileName, encoding: isGzip(bytes) ? 'gzip' : 'raw', idx: await decodeIdx(bytes, fileName) };
    case 'npy': {
      const npy = parseNpy(bytes, fileName);
      const file: NpyFile = { format, fileName, encoding: npyEncoding(npy), npy };
      return Object.assign(file, npyContent(npy, undefined, undefined, fileName));
    }
    case 'pcd': {
      const pcd = parsePcd(bytes, fileName);
      const file: PcdFile = { format, fileName, encoding: pcd.encoding, pcd };
      const cloud = pcdToPointCloud(pcd);
      if (cloud) file.cloud = cloud;
      return file;
    }
    case 'npz': {
      const npz = parseNpz(bytes, fileName);
      const members = npzPointMembers(npz, fileName);
      const first = npz.arrays.values().next().value!;
      const file: NpzFile = { format, fileName, encoding: `${npz.compressed ? 'deflated' : 'stored'} ${npyEncoding(first)}`, npz, pointsName: members.pointsName };
      return Object.assign(file, npyContent(members.points, members.normals, members.labels, fileName));
    }
  }
}

/** OFF's V×4 RGBA as the cloud's V×3 colours and V opacities. */
function splitRgba(rgba: Float32Array): { colors: Float32Array; alpha: Float32Array } {
  const count = rgba.length / 4;
  const colors = new Float32Array(count * 3);
  const alpha = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    colors[3 * i] = rgba[4 * i]!;
    colors[3 * i + 1] = rgba[4 * i + 1]!;
    colors[3 * i + 2] = rgba[4 * i + 2]!;
    alpha[i] = rgba[4 * i + 3]!;
  }
  return { colors, alpha };
}

function npyEncoding(npy: NpyArray): string {
  return `${npy.descr} ${npy.fortranOrder ? 'fortran' : 'C'}-order v${npy.version}`;
}

/** A 2-D point array as a cloud, a 3-D one as point sets; separate normal and label arrays joined in. */
function npyContent(points: NpyArray, normals: NpyArray | undefined, labels: NpyArray | undefined, fileName: string): { cloud?: PointCloud; sets?: NpyPointSets } {
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
