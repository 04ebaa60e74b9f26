import { FormatError } from '../../../util/errors.ts';
import type { Mesh } from '../../mesh.ts';
import type { PointAttribute, PointCloud } from '../point-cloud.ts';
import { plyElement, plyProperty, PLY_TYPES, type PlyData, type PlyElement, type PlyScalarProperty, type PlyScalarType } from './types.ts';
import { writePly, type PlyWriteData, type PlyWriteOptions, type PlyWriteProperty } from './write.ts';

/**
 * The standard meaning of PLY properties: vertex x,y,z are positions, nx,ny,nz normals,
 * red,green,blue[,alpha] colours (uchar 0–255 or float 0–1), `label` per-point labels, and
 * `face` lists `vertex_indices` (or `vertex_index`) polygons. Everything else on the vertex
 * element is kept by name with its type in `attributes`.
 */

const POSITION = ['x', 'y', 'z'] as const;
const NORMAL = ['nx', 'ny', 'nz'] as const;
const COLOR = ['red', 'green', 'blue'] as const;

/** Vertex data as a point cloud; FormatError if there is no vertex element with x, y, z. */
export function plyToPointCloud(ply: PlyData, fileName: string): PointCloud {
  const vertex = vertexElement(ply, fileName);
  const mapped = new Set<string>(POSITION);
  const cloud: PointCloud = { points: positions(vertex, fileName) };
  // A partial set (nx without nz) is not a normal; it stays an attribute like any other property.
  const normals = interleave(vertex, NORMAL);
  if (normals) {
    cloud.normals = normals;
    NORMAL.forEach((name) => mapped.add(name));
  }
  const colors = interleave(vertex, COLOR, true);
  if (colors) {
    cloud.colors = colors;
    COLOR.forEach((name) => mapped.add(name));
    const alpha = scalar(vertex, 'alpha');
    if (alpha) {
      cloud.alpha = normalizedColor(alpha);
      mapped.add('alpha');
    }
  }
  const attributes: Record<string, PointAttribute> = {};
  for (const property of vertex.properties) {
    if (property.kind === 'scalar' && !mapped.has(property.name)) attributes[property.name] = { type: property.type, values: property.values };
  }
  if (Object.keys(attributes).length > 0) cloud.attributes = attributes;
  const label = scalar(vertex, 'label');
  const labels = label ? integerLabels(label) : undefined;
  if (labels) cloud.labels = labels;
  return cloud;
}

/** Faces as a triangle mesh (polygons fan-triangulated), or undefined when there is no face element. */
export function plyToMesh(ply: PlyData, fileName: string): Mesh | undefined {
  const face = plyElement(ply, 'face');
  if (!face) return undefined;
  const points = positions(vertexElement(ply, fileName), fileName);
  const indices = plyProperty(face, 'vertex_indices') ?? plyProperty(face, 'vertex_index');
  if (!indices || indices.kind !== 'list') throw new FormatError(fileName, "PLY 'face' element has no 'vertex_indices' list");
  const vertexCount = points.length / 3;
  const { offsets, values } = indices;
  let triangles = 0;
  for (let f = 0; f < face.count; f++) triangles += Math.max(0, offsets[f + 1]! - offsets[f]! - 2);
  const faces = new Uint32Array(triangles * 3);
  let t = 0;
  for (let f = 0; f < face.count; f++) {
    const start = offsets[f]!;
    const end = offsets[f + 1]!;
    for (let i = start; i < end; i++) {
      const index = values[i]!;
      if (!(index >= 0 && index < vertexCount && Number.isInteger(index))) {
        throw new FormatError(fileName, `face ${f} uses vertex index ${index} but there are ${vertexCount} vertices`);
      }
    }
    // Fan: (v0, v1, v2), (v0, v2, v3), … — exact for the convex polygons meshes use.
    for (let i = start + 1; i + 1 < end; i++) {
      faces[t++] = values[start]!;
      faces[t++] = values[i]!;
      faces[t++] = values[i + 1]!;
    }
  }
  return { vertices: points, faces };
}

function vertexElement(ply: PlyData, fileName: string): PlyElement {
  const vertex = plyElement(ply, 'vertex');
  if (!vertex) throw new FormatError(fileName, "PLY file has no 'vertex' element");
  return vertex;
}

function positions(vertex: PlyElement, fileName: string): Float32Array {
  const points = interleave(vertex, POSITION);
  if (!points) {
    const present = POSITION.filter((name) => scalar(vertex, name));
    throw new FormatError(fileName, `PLY 'vertex' element has ${present.length > 0 ? present.join(', ') : 'none'} of the scalar properties x, y, z; it needs all three`);
  }
  return points;
}

export interface PointCloudPlyOptions extends PlyWriteOptions {
  comments?: string[];
  /** Faces to write as a `face` element with `vertex_indices` (uchar count, int indices). */
  mesh?: Pick<Mesh, 'faces'>;
}

/** A point cloud (with labels, predictions, …) as PLY bytes other tools open. */
export function writePointCloudPly(cloud: PointCloud, options: PointCloudPlyOptions = {}): Uint8Array {
  return writePly(pointCloudToPly(cloud, options), options);
}

/** The PLY elements for a point cloud: float positions/normals, uchar colours, every attribute with its type. */
export function pointCloudToPly(cloud: PointCloud, options: Pick<PointCloudPlyOptions, 'comments' | 'mesh'> = {}): PlyWriteData {
  const count = cloud.points.length / 3;
  const properties: PlyWriteProperty[] = [];
  const addColumns = (names: readonly string[], values: Float32Array, type: PlyScalarType, scale = 1) => {
    names.forEach((name, k) => {
      const column = PLY_TYPES[type].create(count);
      for (let i = 0; i < count; i++) column[i] = scale === 1 ? values[i * names.length + k]! : Math.round(clamp01(values[i * names.length + k]!) * scale);
      properties.push({ kind: 'scalar', name, type, values: column });
    });
  };
  addColumns(POSITION, cloud.points, 'float32');
  if (cloud.normals) addColumns(NORMAL, cloud.normals, 'float32');
  if (cloud.colors) addColumns(COLOR, cloud.colors, 'uint8', 255);
  if (cloud.alpha) addColumns(['alpha'], cloud.alpha, 'uint8', 255);
  for (const [name, attribute] of Object.entries(cloud.attributes ?? {})) {
    properties.push({ kind: 'scalar', name, type: attribute.type, values: attribute.values });
  }
  if (cloud.labels && !cloud.attributes?.['label']) properties.push({ kind: 'scalar', name: 'label', type: 'int32', values: cloud.labels });
  const elements: PlyWriteData['elements'][number][] = [{ name: 'vertex', count, properties }];
  if (options.mesh) {
    const faces = options.mesh.faces;
    const triangles = faces.length / 3;
    const offsets = new Uint32Array(triangles + 1);
    for (let i = 0; i <= triangles; i++) offsets[i] = 3 * i;
    elements.push({ name: 'face', count: triangles, properties: [{ kind: 'list', name: 'vertex_indices', countType: 'uint8', itemType: 'int32', offsets, values: faces }] });
  }
  return { comments: options.comments, elements };
}

function scalar(element: PlyElement, name: string): PlyScalarProperty | undefined {
  const property = plyProperty(element, name);
  return property?.kind === 'scalar' ? property : undefined;
}

/** Three scalar properties as one N×3 array; undefined unless all three exist. */
function interleave(element: PlyElement, names: readonly string[], isColor = false): Float32Array | undefined {
  const columns = names.map((name) => scalar(element, name));
  if (columns.some((column) => column === undefined)) return undefined;
  const count = element.count;
  const out = new Float32Array(count * names.length);
  columns.forEach((column, k) => {
    const values = isColor ? normalizedColor(column!) : column!.values;
    for (let i = 0; i < count; i++) out[i * names.length + k] = values[i]!;
  });
  return out;
}

/** Integer colour channels are scaled by their type's maximum (uchar 255); float ones are already 0–1. */
function normalizedColor(property: PlyScalarProperty): Float32Array {
  const info = PLY_TYPES[property.type];
  const scale = info.integer ? 1 / info.max : 1;
  const out = new Float32Array(property.values.length);
  for (let i = 0; i < out.length; i++) out[i] = property.values[i]! * scale;
  return out;
}

/** `label` as Int32Array, unless some value is not an int32 (then it stays only an attribute). */
function integerLabels(property: PlyScalarProperty): Int32Array | undefined {
  const labels = new Int32Array(property.values.length);
  for (let i = 0; i < labels.length; i++) {
    const value = property.values[i]!;
    if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) return undefined;
    labels[i] = value;
  }
  return labels;
}

function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}
