import type { Mesh } from '../../mesh.ts';
import { boundingBox, type PointFileBase, type PointFileLoader, type PointFileSummary } from '../point-file.ts';
import type { PointCloud } from '../point-cloud.ts';
import { plyToMesh, plyToPointCloud, writePointCloudPly } from '../ply/point-cloud.ts';
import { parsePly } from '../ply/read.ts';
import { plyElement, type PlyData, type PlyFormat } from '../ply/types.ts';

export interface PlyFile extends PointFileBase {
  format: 'ply';
  ply: PlyData;
  /** The vertex element as points, when it has x, y, z. */
  cloud?: PointCloud;
  /** When there is a face element. */
  mesh?: Mesh;
}

/** `ply` on the first line, trailing spaces, tabs or a CR allowed (issue 27). */
const MAGIC = /^ply[ \t\r]*\n/;

export const plyLoader: PointFileLoader<PlyFile> = {
  name: 'ply',
  title: 'PLY',
  extensions: ['.ply'],
  test: (bytes) => bytes[0] === 0x70 && MAGIC.test(String.fromCharCode(...bytes.subarray(0, 16))),
  parse(bytes, fileName) {
    const ply = parsePly(bytes, fileName);
    const vertex = plyElement(ply, 'vertex');
    const hasPositions = ['x', 'y', 'z'].every((name) => vertex?.properties.some((p) => p.name === name && p.kind === 'scalar'));
    const file: PlyFile = { format: 'ply', fileName, encoding: ply.format, ply };
    if (hasPositions) file.cloud = plyToPointCloud(ply, fileName);
    const mesh = hasPositions ? plyToMesh(ply, fileName) : undefined;
    if (mesh) file.mesh = mesh;
    return file;
  },
  summarize(file) {
    const elements: Record<string, number> = {};
    const properties: PointFileSummary['properties'] = {};
    for (const element of file.ply.elements) {
      elements[element.name] = element.count;
      properties[element.name] = element.properties.map((property) => ({
        name: property.name,
        type: property.kind === 'list' ? `list ${property.countType} ${property.itemType}` : property.type,
      }));
    }
    const summary: PointFileSummary = { file: file.fileName, format: 'ply', encoding: file.encoding, elements, properties, bbox: file.cloud ? boundingBox(file.cloud.points) : null };
    if (file.ply.comments.length > 0) summary.comments = file.ply.comments;
    return summary;
  },
  write: (cloud, options = {}) => writePointCloudPly(cloud, { format: (options.encoding ?? 'binary_little_endian') as PlyFormat, comments: options.comments }),
};
