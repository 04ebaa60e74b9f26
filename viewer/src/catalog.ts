import type { ModelFacts, Task } from './predictions.ts';
import { splitPredictionFileName } from './predictions.ts';

/**
 * What the server (or a static folder) offers: `predictions/manifest.json` lists the PLY files and
 * carries the optional `index.json` of the prediction folder, which names the models (with their
 * facts) and the shapes (with part or class names). Both are optional and checked loosely: a bad
 * entry is skipped with a warning, never a broken page. See viewer/README.md for the convention.
 */

export interface ShapeInfo {
  shape: string;
  task?: Task;
  category?: string;
  /** Global part ids of the shape's category: segmentation mIoU averages over exactly these. */
  parts?: number[];
  /** Part name by part id. */
  partNames?: Map<number, string>;
  /** Class names by class id. */
  classNames?: string[];
}

export interface PredictionIndex {
  title?: string;
  /** The model others are compared with (full precision). */
  reference?: string;
  models: ModelFacts[];
  shapes: ShapeInfo[];
  classNames?: string[];
  partNames?: Map<number, string>;
  /** The demo's list form names its files. */
  files?: string[];
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

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}

/** `["body", "wing"]` with parts `[12, 13]`, or `{"12": "body", "13": "wing"}`, or `["a", "b"]` by id. */
function partNameMap(value: unknown, parts: number[] | undefined): Map<number, string> | undefined {
  if (isObject(value)) {
    const map = new Map<number, string>();
    for (const [key, name] of Object.entries(value)) if (/^\d+$/.test(key) && typeof name === 'string') map.set(Number(key), name);
    return map.size > 0 ? map : undefined;
  }
  const names = stringList(value);
  if (!names) return undefined;
  const ids = parts && parts.length === names.length ? parts : names.map((_, i) => i);
  return new Map(ids.map((id, i) => [id, names[i]!]));
}

/**
 * The demo's list form of index.json: one entry per written file,
 * `[{ "file": "…/<task>/<shape>/<method>.ply", "method": "binary", "shape": "…", "bits"?: 1, … }]`.
 * Models are the distinct methods (with whatever facts the entries carry), full precision first,
 * then by bits.
 */
function parseFileList(entries: unknown[], warnings: string[], source: string): PredictionIndex {
  const models = new Map<string, ModelFacts>();
  const files: string[] = [];
  entries.forEach((entry, i) => {
    const file = isObject(entry) ? optionalString(entry['file']) : undefined;
    if (!isObject(entry) || !file) {
      warnings.push(`${source}: entry ${i} has no "file"; skipped`);
      return;
    }
    // The file as the prediction folder names it: <task>/<shape>/<model>.ply (the last three parts).
    const name = file.split(/[\\/]/).slice(-3).join('/');
    files.push(name);
    const model = optionalString(entry['method']) ?? splitPredictionFileName(name).model;
    const facts = models.get(model) ?? { model };
    for (const key of ['bits', 'sparsity', 'size_bytes'] as const) {
      const number = optionalNumber(entry[key]);
      if (number !== undefined) facts[key] = number;
    }
    const method = optionalString(entry['method']);
    if (method) facts.method = method;
    models.set(model, facts);
  });
  // The list's order is the order files were written in: order models by precision instead.
  const ordered = orderModels([...models.keys()], (model) => models.get(model));
  return { models: ordered.map((model) => models.get(model)!), shapes: [], files };
}

/** Reads an index.json value; unknown keys are ignored, bad entries skipped with a warning. */
export function parsePredictionIndex(value: unknown, warnings: string[], source = 'index.json'): PredictionIndex | undefined {
  if (Array.isArray(value)) return parseFileList(value, warnings, source);
  if (!isObject(value)) {
    warnings.push(`${source}: expected a JSON object; ignoring it`);
    return undefined;
  }
  const models: ModelFacts[] = [];
  const modelList = Array.isArray(value['models']) ? value['models'] : [];
  modelList.forEach((entry, i) => {
    const model = isObject(entry) ? optionalString(entry['model']) : undefined;
    if (!isObject(entry) || !model) {
      warnings.push(`${source}: models[${i}] has no "model" name; skipped`);
      return;
    }
    const facts: ModelFacts = { model };
    const label = optionalString(entry['label']);
    if (label) facts.label = label;
    const method = optionalString(entry['method']);
    if (method) facts.method = method;
    for (const key of ['bits', 'sparsity', 'size_bytes'] as const) {
      const number = optionalNumber(entry[key]);
      if (number !== undefined) facts[key] = number;
    }
    models.push(facts);
  });
  const shapes: ShapeInfo[] = [];
  const shapeList = Array.isArray(value['shapes']) ? value['shapes'] : [];
  shapeList.forEach((entry, i) => {
    const shape = isObject(entry) ? optionalString(entry['shape']) : undefined;
    if (!isObject(entry) || !shape) {
      warnings.push(`${source}: shapes[${i}] has no "shape" name; skipped`);
      return;
    }
    const info: ShapeInfo = { shape };
    const task = entry['task'];
    if (task === 'classification' || task === 'segmentation') info.task = task;
    const category = optionalString(entry['category']);
    if (category) info.category = category;
    const parts = entry['parts'];
    if (Array.isArray(parts) && parts.every((p) => typeof p === 'number' && Number.isInteger(p))) info.parts = parts as number[];
    const partNames = partNameMap(entry['part_names'], info.parts);
    if (partNames) info.partNames = partNames;
    const classNames = stringList(entry['class_names']);
    if (classNames) info.classNames = classNames;
    shapes.push(info);
  });
  const index: PredictionIndex = { models, shapes };
  const title = optionalString(value['title']);
  if (title) index.title = title;
  const reference = optionalString(value['reference']);
  if (reference) index.reference = reference;
  const classNames = stringList(value['class_names']);
  if (classNames) index.classNames = classNames;
  const partNames = partNameMap(value['part_names'], undefined);
  if (partNames) index.partNames = partNames;
  return index;
}

/** Reads `predictions/manifest.json` as written by `bitpoint view` (server or `--build`). */
export function parseManifest(value: unknown): Manifest {
  const warnings: string[] = [];
  if (!isObject(value) || !Array.isArray(value['files'])) throw new Error('manifest.json: expected {"files": [...]}');
  const fileList = (list: unknown): ManifestFile[] => {
    const files: ManifestFile[] = [];
    for (const entry of Array.isArray(list) ? list : []) {
      const name = isObject(entry) ? optionalString(entry['name']) : typeof entry === 'string' ? entry : undefined;
      if (!name) continue;
      const size = isObject(entry) ? optionalNumber(entry['size_bytes']) : undefined;
      files.push(size === undefined ? { name } : { name, size_bytes: size });
    }
    return files;
  };
  for (const warning of stringList(value['warnings']) ?? []) warnings.push(warning);
  const manifest: Manifest = { files: fileList(value['files']), models: fileList(value['models']), warnings };
  const dir = optionalString(value['dir']);
  if (dir) manifest.dir = dir;
  if (value['index'] !== undefined && value['index'] !== null) {
    const index = parsePredictionIndex(value['index'], warnings);
    if (index) manifest.index = index;
  }
  return manifest;
}

/** Without a manifest, the file list follows from index.json: every shape × model. */
export function filesFromIndex(index: PredictionIndex): ManifestFile[] {
  if (index.files) return index.files.map((name) => ({ name }));
  return index.shapes.flatMap((shape) => index.models.map((model) => ({ name: `${shape.shape}__${model.model}.ply` })));
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

const FULL_PRECISION_NAME = /(^|[-_ ])(fp|fp32|float|float32|full|full[-_ ]?precision|baseline)($|[-_ ])/i;

/** True when the facts or the name say full precision (32 bits, method none/fp). */
export function isFullPrecision(facts: Partial<ModelFacts> | undefined, name: string): boolean {
  if (facts?.bits !== undefined) return facts.bits >= 32;
  if (facts?.method && /^(none|fp|fp32|float|full|full[-_ ]precision)$/i.test(facts.method)) return true;
  return FULL_PRECISION_NAME.test(name);
}

/** Bits a model's name suggests (`binary` 1, `ternary` 2, `int4`/`4bit`/`w4a8` 4, `fp` 32), for ordering only. */
export function bitsFromName(name: string): number | undefined {
  if (FULL_PRECISION_NAME.test(name)) return 32;
  if (/bin/i.test(name)) return 1;
  if (/tern/i.test(name)) return 2;
  const match = /(?:int|w|k|q)(\d{1,2})|(\d{1,2})[-_ ]?bits?/i.exec(name);
  return match ? Number(match[1] ?? match[2]) : undefined;
}

/**
 * Panel order: the index's order when it lists the models, else full precision first, then by
 * bits (descending) when known, then by name.
 */
export function orderModels(models: readonly string[], facts: (model: string) => Partial<ModelFacts> | undefined, index?: PredictionIndex): string[] {
  const indexOrder = new Map((index?.models ?? []).map((m, i) => [m.model, i]));
  return [...models].sort((a, b) => {
    const ia = indexOrder.get(a) ?? Infinity;
    const ib = indexOrder.get(b) ?? Infinity;
    if (ia !== ib) return ia - ib;
    const fa = isFullPrecision(facts(a), a) ? 0 : 1;
    const fb = isFullPrecision(facts(b), b) ? 0 : 1;
    if (fa !== fb) return fa - fb;
    const ba = facts(a)?.bits ?? bitsFromName(a) ?? -1;
    const bb = facts(b)?.bits ?? bitsFromName(b) ?? -1;
    if (ba !== bb) return bb - ba;
    return a.localeCompare(b, undefined, { numeric: true });
  });
}

/** The model compared with: the index's `reference`, else the first full-precision one, else the first. */
export function pickReference(models: readonly string[], facts: (model: string) => Partial<ModelFacts> | undefined, index?: PredictionIndex): string | undefined {
  if (index?.reference && models.includes(index.reference)) return index.reference;
  return models.find((model) => isFullPrecision(facts(model), model)) ?? models[0];
}
