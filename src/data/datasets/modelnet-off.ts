import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FormatError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { readPointFileFromDisk } from '../formats/node-files.ts';
import type { PointFile } from '../formats/read-point-file.ts';
import { sampleSurface } from '../mesh.ts';
import type { Sample } from '../sample.ts';
import { stderrLogger, type ClassificationDataset, type PointDatasetOptions } from './dataset.ts';
import { modelNetName } from './names.ts';
import { cachedGetter, openSampleCache, type ShapeFile } from './shape-files.ts';

/**
 * ModelNet40/ModelNet10 in Princeton's folder layout, `<root>/<class>/{train,test}/<class>_NNNN.<ext>`,
 * with any shape format inside: meshes (`.off`, `.ply` with faces) or point clouds (`.npy`,
 * `.npz`, `.pcd`, `.ply` without faces, `.txt`). Classes are the class folders in alphabetical
 * order (the order of modelnet40_shape_names.txt). A mesh becomes `points` points with normals by
 * area-weighted surface sampling, seeded per shape from `seed` and the shape id; a point cloud
 * keeps its first `points` points (as PointNet does with its 2048-point files) after dropping
 * non-finite ones. Either is cached, so only the first epoch parses files. Centring and scaling
 * into the unit sphere happen in the training pipeline, so raw scans in any unit train the same.
 * Sample ids look like `airplane/train/airplane_0001`.
 */
export const SHAPE_EXTENSIONS = ['.off', '.ply', '.npy', '.npz', '.pcd', '.txt'] as const;

export async function openModelNetOff(root: string, options: PointDatasetOptions): Promise<ClassificationDataset> {
  const { split } = options;
  if (split !== 'train' && split !== 'test') throw new ConfigError('dataset.split', `ModelNet has splits 'train' and 'test', not '${split}'`);
  const points = options.points ?? 2048;
  const seed = options.seed ?? 0;
  const classNames = await modelNetClassFolders(root);
  if (classNames.length === 0) throw new FormatError(root, 'no class folders with train/ or test/ inside: not a ModelNet layout');
  const entries: ShapeFile[] = [];
  for (const [label, className] of classNames.entries()) {
    const names = await readdir(join(root, className, split)).catch(() => [] as string[]);
    for (const file of names.filter((name) => isShapeFile(name, className)).sort()) {
      entries.push({ id: `${className}/${split}/${file.slice(0, file.lastIndexOf('.'))}`, relativePath: join(className, split, file), label });
    }
  }
  const cache = openSampleCache(root, 'modelnet-off', { ...options, logger: options.logger ?? stderrLogger });
  const get = cachedGetter(root, entries, cache, ['points', points, 'seed', seed], async (entry, path): Promise<Sample> => {
    const file = await readPointFileFromDisk(path);
    return { id: entry.id, ...shapePoints(file, points, new Rng(seed).fork(entry.id), path), label: entry.label };
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

/**
 * A file with a shape extension. Text files count only when named like ModelNet's shapes
 * (`chair_0001.txt`): class folders also hold notes and file lists as text.
 */
function isShapeFile(name: string, className: string): boolean {
  const lower = name.toLowerCase();
  if (lower.endsWith('.txt')) return name.startsWith(`${className}_`) && /_\d+\.txt$/i.test(name);
  return SHAPE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/** The points (and normals) a model sees of one shape file: sampled from a mesh, or the cloud's first `count`. */
function shapePoints(file: PointFile, count: number, rng: Rng, path: string): { points: Float32Array; normals?: Float32Array } {
  const mesh = 'mesh' in file ? file.mesh : undefined;
  if (mesh && mesh.faces.length > 0) {
    const surface = sampleSurface(mesh, count, rng, { withNormals: true, source: path });
    return { points: surface.points, normals: surface.normals };
  }
  const cloud = 'cloud' in file ? file.cloud : undefined;
  if (!cloud) throw new FormatError(path, `a ${file.format} file with no single point cloud in it (a ModelNet shape file holds one shape)`);
  const total = cloud.points.length / 3;
  const keep: number[] = [];
  for (let i = 0; i < total && keep.length < count; i++) {
    const x = cloud.points[3 * i]!;
    const y = cloud.points[3 * i + 1]!;
    const z = cloud.points[3 * i + 2]!;
    if (Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)) keep.push(i);
  }
  if (keep.length === 0) throw new FormatError(path, total === 0 ? 'the cloud has no points' : `none of the cloud's ${total} points is finite`);
  const pick = (values: Float32Array) => {
    const out = new Float32Array(keep.length * 3);
    keep.forEach((source, i) => out.set(values.subarray(3 * source, 3 * source + 3), 3 * i));
    return out;
  };
  return cloud.normals ? { points: pick(cloud.points), normals: pick(cloud.normals) } : { points: pick(cloud.points) };
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
