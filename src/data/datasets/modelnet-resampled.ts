import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FormatError } from '../../util/errors.ts';
import { readText } from './read-text.ts';
import type { Sample } from '../sample.ts';
import { stderrLogger, type ClassificationDataset, type PointDatasetOptions } from './dataset.ts';
import { parsePointText } from '../formats/txt.ts';
import { nonEmptyLines, parseSplitList, reportSkipped } from './split-list.ts';
import { cachedGetter, keepExisting, openSampleCache, type ShapeFile } from './shape-files.ts';

/**
 * ModelNet as resampled for PointNet++ (`modelnet40_normal_resampled`):
 * `<prefix>_shape_names.txt` (one class per line, the label order), `<prefix>_{train,test}.txt`
 * (one shape id per line, e.g. `airplane_0001`), and `<class>/<id>.txt` with 10,000 rows of
 * `x,y,z,nx,ny,nz`. The folder holds both `modelnet40_*` and `modelnet10_*` lists; `variant`
 * picks one (default modelnet40 when present). The first `points` rows (default 2048) are kept:
 * the rows are in random order, and PointNet++ does the same.
 */
export interface ResampledOptions extends PointDatasetOptions {
  /** Which lists to use, e.g. `modelnet10`; default `modelnet40` if present, else the only one. */
  variant?: string;
}

export async function openModelNetResampled(root: string, options: ResampledOptions): Promise<ClassificationDataset> {
  const { split } = options;
  if (split !== 'train' && split !== 'test') throw new ConfigError('dataset.split', `ModelNet has splits 'train' and 'test', not '${split}'`);
  const log = options.logger ?? stderrLogger;
  const points = options.points ?? 2048;
  const variant = options.variant ?? (await defaultVariant(root));
  const namesFile = join(root, `${variant}_shape_names.txt`);
  const classNames = nonEmptyLines(await readText(namesFile));
  if (classNames.length === 0) throw new FormatError(namesFile, 'no class names in the file');
  const listName = `${variant}_${split}.txt`;
  const listed = parseSplitList(await readText(join(root, listName)), { stripExtensions: ['.txt'] });
  const skipped = [...listed.skipped];
  const entries: ShapeFile[] = [];
  for (const line of listed.ids) {
    const id = line.split('/').pop()!;
    const className = id.slice(0, id.lastIndexOf('_'));
    const label = classNames.indexOf(className);
    if (label < 0) {
      skipped.push({ id, reason: `unknown class: '${className}' is not in ${variant}_shape_names.txt` });
      continue;
    }
    entries.push({ id, relativePath: join(className, `${id}.txt`), label });
  }
  const existing = await keepExisting(root, entries);
  skipped.push(...existing.skipped);
  reportSkipped(`${variant} ${split} (${listName})`, listed.ids.length + listed.skipped.length, skipped, log);
  const kept = existing.kept;
  const cache = openSampleCache(root, 'modelnet-resampled', { ...options, logger: log });
  const get = cachedGetter(root, kept, cache, ['points', points], async (entry, path): Promise<Sample> => {
    const { cloud } = parsePointText(await readFile(path), path);
    const sample: Sample = { id: entry.id, points: cloud.points.slice(0, points * 3), label: entry.label };
    if (cloud.normals) sample.normals = cloud.normals.slice(0, points * 3);
    return sample;
  });
  return {
    task: 'classification',
    name: variant,
    layout: 'modelnet-resampled',
    root,
    split,
    ids: kept.map((entry) => entry.id),
    size: kept.length,
    skipped,
    classNames,
    labels: Int32Array.from(kept, (entry) => entry.label!),
    get,
  };
}

/** The list prefixes present in a resampled folder (`modelnet40`, `modelnet10`, …). */
export async function resampledVariants(root: string): Promise<string[]> {
  const names = await readdir(root);
  return names
    .filter((name) => name.endsWith('_shape_names.txt'))
    .map((name) => name.slice(0, -'_shape_names.txt'.length))
    .filter((prefix) => names.includes(`${prefix}_train.txt`) || names.includes(`${prefix}_test.txt`))
    .sort();
}

async function defaultVariant(root: string): Promise<string> {
  const variants = await resampledVariants(root);
  if (variants.includes('modelnet40')) return 'modelnet40';
  if (variants.length === 0) throw new FormatError(root, 'no <name>_shape_names.txt with <name>_train.txt/_test.txt beside it');
  return variants[0]!;
}
