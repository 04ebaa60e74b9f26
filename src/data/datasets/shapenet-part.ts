import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FormatError } from '../../util/errors.ts';
import { readText } from './read-text.ts';
import type { Sample } from '../sample.ts';
import { stderrLogger, type DatasetOptions, type SegmentationDataset, type SkippedEntry, type Split } from './dataset.ts';
import { parsePartTableJson, partTableFromData, standardPartTable, type PartTable } from './part-table.ts';
import { parsePointText } from '../formats/txt.ts';
import { cachedGetter, keepExisting, openSampleCache, type ShapeFile } from './shape-files.ts';
import { reportSkipped, uniqueIds } from './split-list.ts';

/**
 * ShapeNetPart as released with normals (shapenetcore_partanno_segmentation_benchmark_v0_normal):
 * `synsetoffset2category.txt` (`Airplane<TAB>02691156` per line, the category order),
 * `train_test_split/shuffled_{train,val,test}_file_list.json` (arrays of
 * `shape_data/<synset>/<id>`), and `<synset>/<id>.txt` with rows `x y z nx ny nz part`, part ids
 * global (0–49 in the real data). Splits: train, val, test, and trainval (train + val, as
 * PointNet++ trains). Every point of a file is kept (about 2,500, varying): add
 * `randomSample(2048)` to the transforms for fixed-size batches. The part table comes from
 * `part_table.json` if present, else the standard ShapeNetPart table when all categories are
 * standard, else from the part ids found in the files (see `part-table.ts`).
 */
export async function openShapeNetPart(root: string, options: DatasetOptions): Promise<SegmentationDataset> {
  const { split } = options;
  const log = options.logger ?? stderrLogger;
  const categoriesFile = join(root, 'synsetoffset2category.txt');
  const categories = parseCategories(await readText(categoriesFile), categoriesFile);
  const cache = openSampleCache(root, 'shapenet-part', { ...options, logger: log });
  const load = async (entry: ShapeFile, path: string): Promise<Sample> => {
    const { cloud, columns } = parsePointText(await readFile(path), path);
    if (!cloud.normals || !cloud.labels) throw new FormatError(path, `expected 7 columns (x y z nx ny nz part), found ${columns}`);
    const negative = cloud.labels.findIndex((label) => label < 0);
    if (negative >= 0) throw new FormatError(path, `part id ${cloud.labels[negative]} of point ${negative} is negative`);
    return { id: entry.id, points: cloud.points, normals: cloud.normals, labels: cloud.labels, category: entry.category };
  };
  const listSplit = async (which: Split) => {
    const parts = which === 'trainval' ? (['train', 'val'] as const) : [which];
    const listed: string[] = [];
    for (const part of parts) listed.push(...(await readSplitFile(root, part)));
    return shapeFilesOf(root, listed, categories);
  };
  const { kept, skipped, listedCount } = await listSplit(split);
  reportSkipped(`${basename(resolve(root))} ${split}`, listedCount, skipped, log);
  const get = cachedGetter(root, kept, cache, ['all points'], load);
  const partTable = await choosePartTable(root, categories, async () => {
    // No table given: read the part ids of every listed shape (all splits, so train and test agree).
    const seen = categories.map(() => new Set<number>());
    for (const which of ['train', 'val', 'test'] as const) {
      // A copy without a val list is fine here.
      const files = (await listSplit(which).catch(() => ({ kept: [] as ShapeFile[] }))).kept;
      const getter = cachedGetter(root, files, cache, ['all points'], load);
      for (let i = 0; i < files.length; i++) for (const label of (await getter(i)).labels!) seen[files[i]!.category!]!.add(label);
    }
    return partTableFromData(categories, seen);
  });
  return {
    task: 'segmentation',
    name: partTable.source === 'standard' ? 'shapenetpart' : basename(resolve(root)),
    layout: 'shapenet-part',
    root,
    split,
    ids: kept.map((entry) => entry.id),
    size: kept.length,
    skipped,
    partTable,
    categories: Int32Array.from(kept, (entry) => entry.category!),
    get,
  };
}

/** `Name<whitespace>synset` per line. */
export function parseCategories(text: string, file: string): { name: string; synset: string }[] {
  const categories: { name: string; synset: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) throw new FormatError(file, `expected 'Category<TAB>synset', got '${line}'`, { line: index + 1 });
    categories.push({ name: fields[0]!, synset: fields[1]! });
  });
  if (categories.length === 0) throw new FormatError(file, 'no categories listed');
  return categories;
}

async function readSplitFile(root: string, split: 'train' | 'val' | 'test'): Promise<string[]> {
  const file = join(root, 'train_test_split', `shuffled_${split}_file_list.json`);
  let json: unknown;
  try {
    json = JSON.parse(await readText(file));
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(file, `not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(json)) throw new FormatError(file, 'expected a JSON array of "shape_data/<synset>/<id>" strings');
  return json.map((entry) => (typeof entry === 'string' ? entry : JSON.stringify(entry)));
}

async function shapeFilesOf(
  root: string,
  listed: readonly string[],
  categories: readonly { name: string; synset: string }[],
): Promise<{ kept: ShapeFile[]; skipped: SkippedEntry[]; listedCount: number }> {
  const unique = uniqueIds(
    listed.map((entry) => entry.trim().split('/').slice(-2).join('/')),
    { stripExtensions: ['.txt'] },
  );
  const skipped = [...unique.skipped];
  const entries: ShapeFile[] = [];
  for (const id of unique.ids) {
    const [synset, shape] = id.split('/');
    const category = categories.findIndex((entry) => entry.synset === synset);
    if (!shape || category < 0) {
      skipped.push({ id, reason: `unknown category: '${synset}' is not in synsetoffset2category.txt` });
      continue;
    }
    entries.push({ id, relativePath: join(synset!, `${shape}.txt`), category });
  }
  const existing = await keepExisting(root, entries);
  skipped.push(...existing.skipped);
  return { kept: existing.kept, skipped, listedCount: listed.length };
}

async function choosePartTable(
  root: string,
  categories: readonly { name: string; synset: string }[],
  fromData: () => Promise<PartTable>,
): Promise<PartTable> {
  const jsonFile = join(root, 'part_table.json');
  const jsonText = await readFile(jsonFile, 'utf8').catch(() => undefined);
  if (jsonText !== undefined) return parsePartTableJson(jsonText, jsonFile, categories);
  return standardPartTable(categories) ?? fromData();
}
