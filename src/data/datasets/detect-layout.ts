import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../util/errors.ts';
import type { Layout } from './dataset.ts';
import { modelNetClassFolders } from './modelnet-off.ts';
import { resampledVariants } from './modelnet-resampled.ts';

/**
 * Which layout a data set folder is in, from the files that only that layout has:
 *  - `synsetoffset2category.txt` → ShapeNetPart;
 *  - `train_files.txt`/`test_files.txt` → ModelNet HDF5 (modelnet40_ply_hdf5_2048);
 *  - `<name>_shape_names.txt` with `<name>_train.txt` → ModelNet resampled (modelnet40_normal_resampled);
 *  - `train-images-idx3-ubyte[.gz]`/`t10k-images-idx3-ubyte[.gz]` → MNIST IDX;
 *  - class folders holding `train/`/`test/` → ModelNet OFF.
 */
export async function detectLayout(dir: string): Promise<Layout> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new ConfigError('dataset', `'${dir}' does not exist (expected synth-cls, synth-seg, mnist, or a data set folder)`);
  if (!info.isDirectory()) throw new ConfigError('dataset', `'${dir}' is a file; give the data set folder`);
  const names = await readdir(dir);
  if (names.includes('synsetoffset2category.txt')) return 'shapenet-part';
  if (names.includes('train_files.txt') || names.includes('test_files.txt')) return 'modelnet-hdf5';
  if ((await resampledVariants(dir)).length > 0) return 'modelnet-resampled';
  if (names.some((name) => /^(train|t10k)-images[-.]idx3-ubyte(\.gz)?$/.test(name))) return 'mnist-idx';
  if ((await modelNetClassFolders(dir)).length > 0) return 'modelnet-off';
  throw new ConfigError(
    'dataset',
    `cannot tell the layout of '${dir}': expected synsetoffset2category.txt (ShapeNetPart), train_files.txt (ModelNet HDF5), ` +
      '<name>_shape_names.txt (ModelNet resampled), train-images-idx3-ubyte (MNIST) or <class>/train/*.off (ModelNet); see datasets/README.md',
  );
}
