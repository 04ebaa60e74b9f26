import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FormatError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { parseOff } from '../formats/off.ts';
import { sampleSurface } from '../mesh.ts';
import type { Sample } from '../sample.ts';
import { stderrLogger, type ClassificationDataset, type PointDatasetOptions } from './dataset.ts';
import { modelNetName } from './names.ts';
import { cachedGetter, openSampleCache, type ShapeFile } from './shape-files.ts';

/**
 * ModelNet40/ModelNet10 as distributed by Princeton: `<root>/<class>/{train,test}/<class>_NNNN.off`.
 * Classes are the class folders in alphabetical order (the order of modelnet40_shape_names.txt).
 * Each mesh is turned into `points` points (default 2048) with normals by area-weighted surface
 * sampling, seeded per shape from `seed` and the shape id, and cached, so only the first epoch
 * ever parses OFF text. Sample ids look like `airplane/train/airplane_0001`.
 */
export async function openModelNetOff(root: string, options: PointDatasetOptions): Promise<ClassificationDataset> {
  const { split } = options;
  if (split !== 'train' && split !== 'test') throw new ConfigError('dataset.split', `ModelNet has splits 'train' and 'test', not '${split}'`);
  const points = options.points ?? 2048;
  const seed = options.seed ?? 0;
  const classNames = await modelNetClassFolders(root);
  if (classNames.length === 0) throw new FormatError(root, 'no class folders with train/ or test/ inside: not a ModelNet OFF layout');
  const entries: ShapeFile[] = [];
  for (const [label, className] of classNames.entries()) {
    const names = await readdir(join(root, className, split)).catch(() => [] as string[]);
    for (const file of names.filter((name) => name.toLowerCase().endsWith('.off')).sort()) {
      entries.push({ id: `${className}/${split}/${file.slice(0, -4)}`, relativePath: join(className, split, file), label });
    }
  }
  const cache = openSampleCache(root, 'modelnet-off', { ...options, logger: options.logger ?? stderrLogger });
  const get = cachedGetter(root, entries, cache, ['points', points, 'seed', seed], async (entry, path): Promise<Sample> => {
    const { mesh } = parseOff(await readFile(path), path);
    const surface = sampleSurface(mesh, points, new Rng(seed).fork(entry.id), { withNormals: true, source: path });
    return { id: entry.id, points: surface.points, normals: surface.normals, label: entry.label };
  });
  return {
    task: 'classification',
    name: modelNetName(root, classNames.length),
    layout: 'modelnet-off',
    root,
    split,
    ids: entries.map((entry) => entry.id),
    size: entries.length,
    skipped: [],
    classNames,
    labels: Int32Array.from(entries, (entry) => entry.label!),
    get,
  };
}

/** Folders of `root` that hold a `train` or `test` folder, sorted: ModelNet's class folders. */
export async function modelNetClassFolders(root: string): Promise<string[]> {
  const children = await readdir(root, { withFileTypes: true });
  const classes: string[] = [];
  for (const child of children) {
    if (!child.isDirectory() || child.name.startsWith('.') || child.name.startsWith('__')) continue;
    const inside = await readdir(join(root, child.name)).catch(() => [] as string[]);
    if (inside.includes('train') || inside.includes('test')) classes.push(child.name);
  }
  return classes.sort();
}
