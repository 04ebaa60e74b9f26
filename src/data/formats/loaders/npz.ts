import { FormatError } from '../../../util/errors.ts';
import { hasZipSignature, npzPointMembers, parseNpz, type NpzArchive } from '../npz.ts';
import type { PointFileBase, PointFileLoader } from '../point-file.ts';
import type { PointCloud } from '../point-cloud.ts';
import { npyContent, npyEncoding, summarizeNpy, type NpyPointSets } from './npy.ts';

export interface NpzFile extends PointFileBase {
  format: 'npz';
  npz: NpzArchive;
  /** Which member holds the points. */
  pointsName: string;
  cloud?: PointCloud;
  sets?: NpyPointSets;
}

export const npzLoader: PointFileLoader<NpzFile> = {
  name: 'npz',
  title: 'NumPy (.npz)',
  extensions: ['.npz'],
  test(bytes, fileName) {
    if (!hasZipSignature(bytes)) return false;
    if (fileName.toLowerCase().endsWith('.npz')) return true;
    throw new FormatError(fileName, 'zip archive; only NumPy .npz archives are read', { byte: 0 });
  },
  parse(bytes, fileName) {
    const npz = parseNpz(bytes, fileName);
    const members = npzPointMembers(npz, fileName);
    const first = npz.arrays.values().next().value!;
    const file: NpzFile = { format: 'npz', fileName, encoding: `${npz.compressed ? 'deflated' : 'stored'} ${npyEncoding(first)}`, npz, pointsName: members.pointsName };
    return Object.assign(file, npyContent(members.points, members.normals, members.labels, fileName));
  },
  summarize(file) {
    const summary = summarizeNpy(file, file.npz.arrays.get(file.pointsName)!);
    summary.arrays = [...file.npz.arrays].map(([name, array]) => ({ name, shape: array.shape, type: array.dtype }));
    return summary;
  },
};
