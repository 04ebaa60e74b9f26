import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigError, FormatError } from '../../util/errors.ts';
import { parseHdf5PointSets, type Hdf5PointSets } from '../formats/hdf5.ts';
import type { Sample } from '../sample.ts';
import { stderrLogger, type ClassificationDataset, type PointDatasetOptions } from './dataset.ts';
import { modelNetName } from './names.ts';
import { readText } from './read-text.ts';
import { keepExisting } from './shape-files.ts';
import { nonEmptyLines, parseSplitList, reportSkipped } from './split-list.ts';

/**
 * ModelNet40 as distributed with PointNet (`modelnet40_ply_hdf5_2048`): `train_files.txt` and
 * `test_files.txt` list HDF5 files (as paths like `data/modelnet40_ply_hdf5_2048/ply_data_train0.h5`;
 * only the file name is used, looked up in the folder), each holding `data` [shapes, 2048, 3],
 * `label` [shapes, 1] and possibly `normal`; `shape_names.txt` names the labels. The files are
 * binary already, so they are read whole when the data set is opened (keeping the first `points`
 * points of each shape) instead of going through the sample cache. Sample ids: `<file>#<index>`.
 */
export async function openModelNetHdf5(root: string, options: PointDatasetOptions): Promise<ClassificationDataset> {
  const { split } = options;
  if (split !== 'train' && split !== 'test') throw new ConfigError('dataset.split', `ModelNet has splits 'train' and 'test', not '${split}'`);
  const log = options.logger ?? stderrLogger;
  const listName = `${split}_files.txt`;
  const listed = parseSplitList(await readText(join(root, listName)));
  const files = listed.ids.map((line) => {
    const name = basename(line.replace(/\\/g, '/'));
    return { id: name, relativePath: name };
  });
  // Two paths with the same file name are the same file here.
  const unique = files.filter((file, i) => files.findIndex((other) => other.id === file.id) === i);
  const skipped = [...listed.skipped, ...files.filter((file) => !unique.includes(file)).map((file) => ({ id: file.id, reason: 'duplicate' }))];
  const existing = await keepExisting(root, unique);
  skipped.push(...existing.skipped);
  reportSkipped(`${basename(root)} ${split} (${listName})`, listed.ids.length + listed.skipped.length, skipped, log);

  const samples: Sample[] = [];
  for (const file of existing.kept) {
    const path = join(root, file.relativePath);
    const sets = await parseHdf5PointSets(await readFile(path), path);
    if (!sets.labels) throw new FormatError(path, "HDF5 file has no 'label' dataset, so its shapes have no class");
    samples.push(...shapesOf(sets, file.id, options.points ?? 2048));
  }
  const classNames = await readClassNames(root, samples, log);
  for (const sample of samples) {
    if (sample.label! < 0 || sample.label! >= classNames.length) {
      throw new FormatError(join(root, sample.id.split('#')[0]!), `label ${sample.label} of ${sample.id} is outside the ${classNames.length} classes of shape_names.txt`);
    }
  }
  return {
    task: 'classification',
    name: modelNetName(root, classNames.length),
    layout: 'modelnet-hdf5',
    root,
    split,
    ids: samples.map((sample) => sample.id),
    size: samples.length,
    skipped,
    classNames,
    labels: Int32Array.from(samples, (sample) => sample.label!),
    async get(index: number): Promise<Sample> {
      const sample = samples[index];
      if (!sample) throw new RangeError(`index ${index} out of range 0..${samples.length - 1}`);
      return sample;
    },
  };
}

/** Each shape of a file as a sample with its own arrays, cut to the first `points` points. */
function shapesOf(sets: Hdf5PointSets, fileId: string, points: number): Sample[] {
  const kept = Math.min(points, sets.pointsPerShape);
  const stride = sets.pointsPerShape * 3;
  return Array.from({ length: sets.shapeCount }, (_, s) => {
    const sample: Sample = { id: `${fileId}#${s}`, points: sets.points.slice(s * stride, s * stride + kept * 3), label: sets.labels![s]! };
    if (sets.normals) sample.normals = sets.normals.slice(s * stride, s * stride + kept * 3);
    return sample;
  });
}

/** `shape_names.txt`, or numbered names (with a warning) when it is missing. */
async function readClassNames(root: string, samples: readonly Sample[], log: (line: string) => void): Promise<string[]> {
  const file = join(root, 'shape_names.txt');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    const names = nonEmptyLines(text);
    if (names.length === 0) throw new FormatError(file, 'no class names in the file');
    return names;
  }
  const count = samples.reduce((max, sample) => Math.max(max, sample.label! + 1), 0);
  log(`${basename(root)}: no shape_names.txt; naming the ${count} classes by number`);
  return Array.from({ length: count }, (_, i) => `class_${i}`);
}
