import { hasPcdSignature, parsePcd, pcdToPointCloud, pcdTypeName, writePointCloudPcd, type PcdData, type PcdEncoding } from '../pcd.ts';
import { boundingBox, type PointFileBase, type PointFileLoader, type PointFileSummary } from '../point-file.ts';
import type { PointCloud } from '../point-cloud.ts';

/** PCL's format: every field with its values; the cloud when there are x y z (NaN points kept). */
export interface PcdFile extends PointFileBase {
  format: 'pcd';
  pcd: PcdData;
  cloud?: PointCloud;
}

export const pcdLoader: PointFileLoader<PcdFile> = {
  name: 'pcd',
  title: 'PCD',
  extensions: ['.pcd'],
  test: (bytes) => hasPcdSignature(bytes),
  parse(bytes, fileName) {
    const pcd = parsePcd(bytes, fileName);
    const file: PcdFile = { format: 'pcd', fileName, encoding: pcd.encoding, pcd };
    const cloud = pcdToPointCloud(pcd);
    if (cloud) file.cloud = cloud;
    return file;
  },
  summarize(file) {
    const { pcd } = file;
    const summary: PointFileSummary = {
      file: file.fileName,
      format: 'pcd',
      encoding: file.encoding,
      elements: { vertex: pcd.points },
      properties: { vertex: pcd.columns.map((column) => ({ name: column.name, type: pcdTypeName(column) })) },
      bbox: file.cloud ? boundingBox(file.cloud.points) : null,
      pcd: { version: pcd.version, fields: pcd.fields, width: pcd.width, height: pcd.height, viewpoint: pcd.viewpoint },
    };
    if (pcd.comments.length > 0) summary.comments = pcd.comments;
    return summary;
  },
  write: (cloud, options = {}) => writePointCloudPcd(cloud, { encoding: (options.encoding ?? 'binary') as PcdEncoding, comments: options.comments }),
};
