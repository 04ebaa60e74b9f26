import type { Mesh } from '../../mesh.ts';
import { parseOff, type OffData } from '../off.ts';
import { boundingBox, textStart, type PointFileBase, type PointFileLoader, type PropertySummary } from '../point-file.ts';
import type { PointCloud } from '../point-cloud.ts';

export interface OffFile extends PointFileBase {
  format: 'off';
  off: OffData;
  /** The vertices (with NOFF normals). */
  cloud: PointCloud;
  mesh: Mesh;
}

/** OFF, COFF, NOFF, NCOFF, STOFF…, also glued to the counts as ModelNet writes it (`OFF490 518 0`). */
const KEYWORD = /^(ST)?(C?N?|NC)OFF(\s|\d|$)/;

export const offLoader: PointFileLoader<OffFile> = {
  name: 'off',
  title: 'OFF',
  extensions: ['.off'],
  test: (bytes) => KEYWORD.test(textStart(bytes)),
  parse(bytes, fileName) {
    const off = parseOff(bytes, fileName);
    const cloud: PointCloud = { points: off.mesh.vertices };
    if (off.normals) cloud.normals = off.normals;
    if (off.colors) Object.assign(cloud, splitRgba(off.colors));
    return { format: 'off', fileName, encoding: 'ascii', off, cloud, mesh: off.mesh };
  },
  summarize(file) {
    const { off } = file;
    const vertex: PropertySummary[] = [...float32('x', 'y', 'z'), ...(off.normals ? float32('nx', 'ny', 'nz') : [])];
    if (off.colors) vertex.push(...float32('red', 'green', 'blue', 'alpha'));
    return {
      file: file.fileName,
      format: 'off',
      encoding: file.encoding,
      elements: { vertex: off.mesh.vertices.length / 3, face: off.polygonCount },
      properties: { vertex, face: [{ name: 'vertex_indices', type: 'list int32 int32' }] },
      bbox: boundingBox(off.mesh.vertices),
    };
  },
};

function float32(...names: string[]): PropertySummary[] {
  return names.map((name) => ({ name, type: 'float32' }));
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
