import { parsePly } from '../../src/data/formats/ply/read.ts';
import { plyToPointCloud } from '../../src/data/formats/ply/point-cloud.ts';
import type { PlyTypedArray } from '../../src/data/formats/ply/types.ts';
import { FormatError } from '../../src/util/errors.ts';

/**
 * One prediction PLY file as the viewer uses it: positions, the ground truth `label`, a model's
 * `pred` per point and, for classifiers, its `prob_<class>` columns. Pure (bytes in, data out), so
 * the same code runs in the browser and in the Node tests.
 *
 *   const file = readPredictionFile(bytes, 'airplane_0__binary.ply');
 *   file.shape === 'airplane_0'; file.model === 'binary'; file.pred // Int32Array, one per point
 *
 * Naming convention (viewer/README.md): `<shape>__<model>.ply`, or `<shape>/<model>.ply` in a
 * folder per shape (as the demo writes them); any other name is its own shape, and the model is the
 * run named in the `bitpoint predict --run DIR` comment, else the name.
 * Optional header comments `model NAME`, `method M`, `bits B`, `activation_bits A`, `sparsity S`,
 * `size_bytes N` give the model's facts when there is no index.json.
 */

export type Task = 'classification' | 'segmentation' | 'unknown';

/** What is known about a model: from index.json, or from the PLY header comments. */
export interface ModelFacts {
  model: string;
  label?: string;
  method?: string;
  /** Bits per weight and per activation. */
  bits?: number;
  activation_bits?: number;
  sparsity?: number;
  /** Bytes of the packed model. */
  size_bytes?: number;
}

export interface PredictionFile {
  fileName: string;
  shape: string;
  model: string;
  /** True when the name follows `<shape>__<model>.ply`. */
  named: boolean;
  task: Task;
  count: number;
  /** N×3 positions. */
  points: Float32Array;
  /** Ground truth per point (`label`). */
  truth?: Int32Array;
  /** The model's prediction per point (`pred`). */
  pred?: Int32Array;
  /** Classifiers: class names in column order of `prob_<class>`, and the probabilities (of point 0). */
  classNames?: string[];
  probabilities?: Float32Array;
  /** `comment predicted_class NAME`. */
  predictedClassName?: string;
  /** Facts found in the header comments (`bits 1`, `sparsity 0.5`, …). */
  facts: Partial<ModelFacts>;
  comments: string[];
  /** Things that are odd but not fatal (no `pred`, non-constant probabilities, …). */
  warnings: string[];
}

export interface FileName {
  shape: string;
  model: string;
  named: boolean;
}

/**
 * Splits `<shape>__<model>.ply`, or a path `…/<shape>/<model>.ply` (the shape is the folder path,
 * e.g. `pointnet-seg/chair_0003`); a folder in front of `<shape>__<model>.ply` stays part of the
 * shape. A bare name without `__` is its own shape and model.
 */
export function splitPredictionFileName(fileName: string): FileName {
  const parts = fileName.split(/[\\/]/);
  const base = parts.pop() ?? fileName;
  const stem = base.replace(/\.ply$/i, '');
  const folder = parts.filter((part) => part.length > 0 && part !== '.').join('/');
  const at = stem.lastIndexOf('__');
  if (at > 0 && at + 2 < stem.length) return { shape: `${folder ? `${folder}/` : ''}${stem.slice(0, at)}`, model: stem.slice(at + 2), named: true };
  if (folder) return { shape: folder, model: stem, named: true };
  return { shape: stem, model: stem, named: false };
}

/** True when the name says PLY; anything else is refused before reading it. */
export function isPlyFileName(fileName: string): boolean {
  return /\.ply$/i.test(fileName);
}

/** Parses one prediction file. Throws FormatError naming the file for anything unreadable. */
export function readPredictionFile(bytes: Uint8Array | ArrayBuffer, fileName: string): PredictionFile {
  if (!isPlyFileName(fileName)) {
    const extension = /\.[^./\\]+$/.exec(fileName)?.[0] ?? 'without an extension';
    throw new FormatError(fileName, `unsupported file type ${extension}: the viewer opens .ply prediction files`);
  }
  const ply = parsePly(bytes, fileName);
  const cloud = plyToPointCloud(ply, fileName);
  const count = cloud.points.length / 3;
  if (count === 0) throw new FormatError(fileName, 'the file has no points');
  const warnings: string[] = [];
  const attributes = cloud.attributes ?? {};
  const truth = attributes['label'] ? integerColumn(attributes['label'].values, fileName, 'label') : undefined;
  const pred = attributes['pred'] ? integerColumn(attributes['pred'].values, fileName, 'pred') : undefined;

  const probColumns = Object.entries(attributes).filter(([name]) => name.startsWith('prob_'));
  let classNames: string[] | undefined;
  let probabilities: Float32Array | undefined;
  if (probColumns.length > 0) {
    classNames = probColumns.map(([name]) => name.slice('prob_'.length));
    probabilities = new Float32Array(probColumns.map(([, column]) => column.values[0]!));
    const varies = probColumns.some(([, column]) => column.values.some((value) => value !== column.values[0]));
    if (varies) warnings.push('prob_* columns differ between points; showing the first point\'s probabilities');
  }

  const comments = ply.comments;
  const facts = factsFromComments(comments);
  const named = splitPredictionFileName(fileName);
  let model = named.model;
  if (!named.named) model = facts.model ?? runNameFromComments(comments) ?? named.model;
  const taskComment = commentValue(comments, 'task');
  const predictedClassName = commentValue(comments, 'predicted_class');
  let task: Task = 'unknown';
  if (taskComment === 'classification' || taskComment === 'segmentation') task = taskComment;
  else if (classNames) task = 'classification';
  else if (pred || truth) task = 'segmentation';
  if (!pred && !truth) warnings.push("no 'pred' or 'label' vertex property: showing the points only");
  else if (!pred) warnings.push("no 'pred' vertex property: showing the ground truth only");

  return {
    fileName,
    shape: named.shape,
    model,
    named: named.named,
    task,
    count,
    points: cloud.points,
    ...(truth ? { truth } : {}),
    ...(pred ? { pred } : {}),
    ...(classNames ? { classNames, probabilities } : {}),
    ...(predictedClassName ? { predictedClassName } : {}),
    facts,
    comments,
    warnings,
  };
}

/** The value after `comment <key> `, or undefined. */
export function commentValue(comments: readonly string[], key: string): string | undefined {
  for (const comment of comments) {
    const match = new RegExp(`^\\s*${key}\\s+(.+?)\\s*$`).exec(comment);
    if (match) return match[1];
  }
  return undefined;
}

/** `bitpoint predict --run runs/pointnet-binary` → `pointnet-binary`. */
function runNameFromComments(comments: readonly string[]): string | undefined {
  for (const comment of comments) {
    const match = /(?:--run|^run)\s+(\S+)/.exec(comment);
    if (match) return match[1]!.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || undefined;
  }
  return undefined;
}

function factsFromComments(comments: readonly string[]): Partial<ModelFacts> {
  const facts: Partial<ModelFacts> = {};
  const model = commentValue(comments, 'model');
  if (model) facts.model = model;
  const method = commentValue(comments, 'method');
  if (method) facts.method = method;
  for (const key of ['bits', 'activation_bits', 'sparsity', 'size_bytes'] as const) {
    const text = commentValue(comments, key);
    const value = text === undefined ? NaN : Number(text);
    if (Number.isFinite(value)) facts[key] = value;
  }
  return facts;
}

function integerColumn(values: PlyTypedArray, fileName: string, name: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
      throw new FormatError(fileName, `vertex property '${name}' must hold integer ids, but point ${i} has ${value}`);
    }
    out[i] = value;
  }
  return out;
}

/** True when two files hold the same points (same count, same coordinates). */
export function samePoints(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
