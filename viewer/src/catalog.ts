import { readPredictionIndex, type PredictionIndex, type PredictionIndexEntry } from '../../src/experiments/prediction-index.ts';
import type { ModelFacts, Task } from './predictions.ts';
import { splitPredictionFileName } from './predictions.ts';

/**
 * What the server (or a static folder) offers: `predictions/manifest.json` lists the PLY files and
 * carries the folder's optional `index.json` (src/experiments/prediction-index.ts), one entry per
 * file with its model's facts and its shape's class or part names. The viewer takes facts from the
 * index (or a file's header comments) and never from names: what neither says is shown as unknown.
 */

/** What the index says about one shape (a file group of the viewer). */
export interface ShapeInfo {
  task?: Task;
  category?: string;
  /** Global part ids of the shape's category: segmentation mIoU averages over exactly these. */
  parts?: number[];
  /** Part name by part id. */
  partNames?: Map<number, string>;
  /** Class names by class id. */
  classNames?: string[];
  /** The model the others are compared with. */
  reference?: string;
  /** Models in the index's order: the panels' order. */
  models: string[];
}

export interface ManifestFile {
  name: string;
  size_bytes?: number;
}

export interface Manifest {
  dir?: string;
  files: ManifestFile[];
  /** Packed models (`.bitpoint`) the page can run on the shown cloud. */
  models: ManifestFile[];
  index?: PredictionIndex;
  warnings: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `predictions/manifest.json` as written by `bitpoint view` (server or `--build`). */
export function parseManifest(value: unknown): Manifest {
  if (!isObject(value) || !Array.isArray(value['files'])) throw new Error('manifest.json: expected {"files": [...]}');
  const fileList = (list: unknown): ManifestFile[] => {
    const files: ManifestFile[] = [];
    for (const entry of Array.isArray(list) ? list : []) {
      const name = isObject(entry) ? entry['name'] : entry;
      if (typeof name !== 'string' || name.length === 0) continue;
      const size = isObject(entry) ? entry['size_bytes'] : undefined;
      files.push(typeof size === 'number' && Number.isFinite(size) ? { name, size_bytes: size } : { name });
    }
    return files;
  };
  const warnings = Array.isArray(value['warnings']) ? value['warnings'].filter((w): w is string => typeof w === 'string') : [];
  const manifest: Manifest = { files: fileList(value['files']), models: fileList(value['models']), warnings };
  if (typeof value['dir'] === 'string' && value['dir'].length > 0) manifest.dir = value['dir'];
  if (value['index'] !== undefined && value['index'] !== null) {
    const read = readPredictionIndex(value['index'], 'index.json');
    warnings.push(...read.warnings);
    if (read.index) manifest.index = read.index;
  }
  return manifest;
}

/** Without a manifest, the file list is the index's. */
export function filesFromIndex(index: PredictionIndex): ManifestFile[] {
  return [...new Set(index.entries.map((entry) => entry.file))].map((name) => ({ name }));
}

export interface ShapeEntry {
  shape: string;
  files: { name: string; model: string; size_bytes?: number }[];
}

/** Groups the offered files by shape (name prefix), in the order of first appearance. */
export function groupFilesByShape(files: readonly ManifestFile[]): ShapeEntry[] {
  const byShape = new Map<string, ShapeEntry>();
  for (const file of files) {
    const { shape, model } = splitPredictionFileName(file.name);
    let entry = byShape.get(shape);
    if (!entry) byShape.set(shape, (entry = { shape, files: [] }));
    entry.files.push({ name: file.name, model, ...(file.size_bytes !== undefined ? { size_bytes: file.size_bytes } : {}) });
  }
  return [...byShape.values()];
}

/** The index entries of a shape: those whose file the viewer groups under `shapeKey`, keyed by panel model. */
function entriesOf(index: PredictionIndex | undefined, shapeKey: string): Map<string, PredictionIndexEntry> {
  const entries = new Map<string, PredictionIndexEntry>();
  for (const entry of index?.entries ?? []) {
    const name = splitPredictionFileName(entry.file);
    if (name.shape === shapeKey && !entries.has(name.model)) entries.set(name.model, entry);
  }
  return entries;
}

/** What the index says about a shape; undefined when it lists none of its files. */
export function shapeInfo(index: PredictionIndex | undefined, shapeKey: string): ShapeInfo | undefined {
  const entries = entriesOf(index, shapeKey);
  if (entries.size === 0) return undefined;
  const all = [...entries.values()];
  const first = <K extends keyof PredictionIndexEntry>(key: K) => all.find((entry) => entry[key] !== undefined)?.[key];
  // The reference is a panel name: the model whose entry has the reference's name.
  const referenceName = first('reference');
  const reference = [...entries].find(([, entry]) => entry.model === referenceName)?.[0];
  const info: ShapeInfo = { task: first('task')!, models: [...entries.keys()] };
  if (reference) info.reference = reference;
  const category = first('category');
  if (category) info.category = category;
  const withParts = all.find((entry) => entry.parts);
  if (withParts?.parts) {
    info.parts = withParts.parts;
    if (withParts.part_names) info.partNames = new Map(withParts.parts.map((part, i) => [part, withParts.part_names![i]!]));
  }
  const classNames = first('class_names');
  if (classNames) info.classNames = classNames;
  return info;
}

/** The facts the index records for one panel of a shape. */
export function indexFacts(index: PredictionIndex | undefined, shapeKey: string, model: string): Partial<ModelFacts> {
  const entry = entriesOf(index, shapeKey).get(model);
  if (!entry) return {};
  const facts: Partial<ModelFacts> = {};
  if (entry.label) facts.label = entry.label;
  if (entry.method) facts.method = entry.method;
  if (entry.weight_bits !== undefined) facts.bits = entry.weight_bits;
  if (entry.activation_bits !== undefined) facts.activation_bits = entry.activation_bits;
  if (entry.sparsity !== undefined) facts.sparsity = entry.sparsity;
  if (entry.packed_bytes !== undefined) facts.size_bytes = entry.packed_bytes;
  return facts;
}

/** True when the facts say full precision: 32-bit weights. */
export function isFullPrecision(facts: Partial<ModelFacts> | undefined): boolean {
  return facts?.bits !== undefined && facts.bits >= 32;
}

/**
 * Panel order: the index's order for the models it lists, then full precision first, then by
 * weight bits (most first) where known, then by name.
 */
export function orderModels(models: readonly string[], facts: (model: string) => Partial<ModelFacts> | undefined, indexOrder: readonly string[] = []): string[] {
  const position = new Map(indexOrder.map((model, i) => [model, i]));
  return [...models].sort((a, b) => {
    const ia = position.get(a) ?? Infinity;
    const ib = position.get(b) ?? Infinity;
    if (ia !== ib) return ia - ib;
    const fa = isFullPrecision(facts(a)) ? 0 : 1;
    const fb = isFullPrecision(facts(b)) ? 0 : 1;
    if (fa !== fb) return fa - fb;
    const ba = facts(a)?.bits ?? -1;
    const bb = facts(b)?.bits ?? -1;
    if (ba !== bb) return bb - ba;
    return a.localeCompare(b, undefined, { numeric: true });
  });
}

/** The model compared with: the index's reference, else the first full-precision one, else the first. */
export function pickReference(models: readonly string[], facts: (model: string) => Partial<ModelFacts> | undefined, indexReference?: string): string | undefined {
  if (indexReference && models.includes(indexReference)) return indexReference;
  return models.find((model) => isFullPrecision(facts(model))) ?? models[0];
}
