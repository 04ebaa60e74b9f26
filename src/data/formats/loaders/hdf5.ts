import { hasHdf5Signature, parseHdf5PointSets, type Hdf5PointSets } from '../hdf5.ts';
import { boundingBox, type PointFileBase, type PointFileLoader } from '../point-file.ts';

export interface Hdf5File extends PointFileBase {
  format: 'hdf5';
  hdf5: Hdf5PointSets;
}

export const hdf5Loader: PointFileLoader<Hdf5File> = {
  name: 'hdf5',
  title: 'HDF5 (.h5)',
  extensions: ['.h5', '.hdf5'],
  test: (bytes) => hasHdf5Signature(bytes),
  parse: async (bytes, fileName) => ({ format: 'hdf5', fileName, encoding: 'hdf5', hdf5: await parseHdf5PointSets(bytes, fileName) }),
  summarize(file) {
    const sets = file.hdf5;
    const typeOf = (name: string) => sets.datasets.find((dataset) => dataset.name === name)?.type ?? 'unknown';
    const vertex = ['x', 'y', 'z'].map((name) => ({ name, type: typeOf('data') }));
    if (sets.normals) vertex.push(...['nx', 'ny', 'nz'].map((name) => ({ name, type: typeOf('normal') })));
    if (sets.pointLabels) vertex.push({ name: 'pid', type: typeOf('pid') === 'unknown' ? typeOf('seg') : typeOf('pid') });
    return {
      file: file.fileName,
      format: 'hdf5',
      encoding: file.encoding,
      elements: { shape: sets.shapeCount, vertex: sets.shapeCount * sets.pointsPerShape },
      properties: { shape: sets.labels ? [{ name: 'label', type: typeOf('label') }] : [], vertex },
      bbox: boundingBox(sets.points),
      datasets: sets.datasets,
    };
  },
};
