import { centerAndScaleToUnitSphere } from '../../src/data/transforms/normalize.ts';
import { Engine } from '../../src/deploy/engine/engine.ts';
import { createEngineKernels } from '../../src/deploy/engine/select-kernels.ts';
import { readPackedModel } from '../../src/deploy/format.ts';
import { FormatError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * A packed model (`.bitpoint`, from `bitpoint export`) run in the page on the shown cloud, with the
 * project's TensorFlow.js-free engine (src/deploy): WebAssembly kernels where they load, else the
 * JS reference. Pure (bytes and arrays in, arrays out), so the Node tests run the page's code.
 *
 *   const model = await loadPackedModel(bytes, 'chair-binary.bitpoint');
 *   const run = runPackedModel(model, file.points, guessCategory(model, { truth: file.truth }));
 *   run.pred   // Int32Array: a part per point, or the predicted class on every point
 *
 * Inputs are normalized as in training and as `bitpoint predict` does (src/train/predict.ts):
 * centred and scaled into the unit sphere, all points at once.
 */

export interface PartTableCard {
  partCount: number;
  categories: { name: string; parts: number[] }[];
}

export interface PackedModel {
  fileName: string;
  sizeBytes: number;
  engine: Engine;
  task: 'classification' | 'segmentation';
  /** The architecture (registry name), e.g. `pointnet-seg`. */
  architecture: string;
  /** The compression policy the run used, when the file records it. */
  policy?: string;
  /** From the model card `bitpoint export` writes into the file (absent in bare exports). */
  classNames?: string[];
  partTable?: PartTableCard;
  /** Object categories the model takes as input (0: none); the category also restricts the parts. */
  categoryNames: string[];
  /** `js` or `wasm`. */
  kernels: string;
}

export interface PackedRun {
  /** One id per point: the predicted part, or the predicted class repeated. */
  pred: Int32Array;
  /** Classifiers: softmax of the logits, and the argmax. */
  probabilities?: Float32Array;
  predictedClass?: number;
  category?: number;
  /** Time of `engine.run` alone (the first run on a size also plans its buffers). */
  ms: number;
}

/** Reads and checks a packed file; throws the format's or the engine's error, naming the file. */
export async function loadPackedModel(bytes: Uint8Array, fileName: string): Promise<PackedModel> {
  const packed = readPackedModel(bytes, fileName);
  const header = packed.header;
  if (header.input.kind !== 'points') throw new FormatError(fileName, `${header.model} is an image model; the viewer runs point-cloud models`);
  if (header.input.channels !== 3) {
    throw new FormatError(fileName, `${header.model} takes ${header.input.channels} channels per point (xyz and normals); the viewer's clouds have xyz only`);
  }
  // One kernel set per engine: planning a run resets the kernels' arena.
  const kernels = await createEngineKernels();
  const engine = new Engine(packed, { file: fileName, kernels });
  const source = isObject(header.source) ? header.source : {};
  const card = isObject(source['card']) ? source['card'] : {};
  const classNames = stringList(card['classNames']);
  const table = readPartTable(card['partTable'], header.numClasses);
  // A table whose categories are not the model's category inputs would restrict the wrong parts.
  const partTable = table && (header.numCategories === 0 || table.categories.length === header.numCategories) ? table : undefined;
  const categoryNames = partTable ? partTable.categories.map((category) => category.name) : Array.from({ length: header.numCategories }, (_, i) => `category ${i}`);
  return {
    fileName,
    sizeBytes: bytes.length,
    engine,
    task: header.task,
    architecture: header.model,
    ...(typeof source['policy'] === 'string' ? { policy: source['policy'] } : {}),
    ...(classNames && classNames.length === header.numClasses ? { classNames } : {}),
    ...(partTable ? { partTable } : {}),
    categoryNames,
    kernels: engine.kernels.name,
  };
}

/** Runs the model on one cloud (N×3, as loaded); `category` indexes `categoryNames`. */
export function runPackedModel(model: PackedModel, points: Float32Array, category?: number): PackedRun {
  const normalized = centerAndScaleToUnitSphere()({ id: model.fileName, points }, new Rng(0)).points;
  const needsCategory = model.engine.header.numCategories > 0;
  const started = performance.now();
  const logits = model.engine.run({ values: normalized, ...(needsCategory && category !== undefined ? { category } : {}) });
  const ms = performance.now() - started;
  const count = points.length / 3;
  if (model.task === 'segmentation') {
    const k = model.engine.header.numClasses;
    // Only the parts of the shape's category compete, as in `bitpoint predict` and the mIoU.
    const allowed = (category !== undefined ? model.partTable?.categories[category]?.parts : undefined) ?? Array.from({ length: k }, (_, p) => p);
    const pred = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      let best = allowed[0]!;
      for (const p of allowed) if (logits[i * k + p]! > logits[i * k + best]!) best = p;
      pred[i] = best;
    }
    return { pred, ms, ...(category !== undefined ? { category } : {}) };
  }
  const probabilities = softmax(logits);
  let predictedClass = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[predictedClass]!) predictedClass = c;
  return { pred: new Int32Array(count).fill(predictedClass), probabilities, predictedClass, ms };
}

/**
 * The shape's object category for a segmentation model: by name (index.json's `category`), else
 * the category whose parts cover most of the ground-truth labels, else the only one.
 */
export function guessCategory(model: PackedModel, hints: { name?: string; truth?: Int32Array }): number | undefined {
  const names = model.categoryNames;
  if (model.task !== 'segmentation' || names.length === 0) return undefined;
  const byName = hints.name ? names.findIndex((name) => name.toLowerCase() === hints.name!.toLowerCase()) : -1;
  if (byName >= 0) return byName;
  const categories = model.partTable?.categories;
  if (hints.truth && categories && categories.length === names.length) {
    const counts = new Map<number, number>();
    for (const id of hints.truth) counts.set(id, (counts.get(id) ?? 0) + 1);
    let best: number | undefined;
    let bestCovered = 0;
    categories.forEach((category, c) => {
      const covered = category.parts.reduce((sum, part) => sum + (counts.get(part) ?? 0), 0);
      if (covered > bestCovered) [best, bestCovered] = [c, covered];
    });
    if (best !== undefined) return best;
  }
  return names.length === 1 ? 0 : undefined;
}

/** As `bitpoint predict` computes it (src/train/predict.ts). */
function softmax(logits: Float32Array): Float32Array {
  const max = Math.max(...logits);
  const exps = Float32Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}

/** The card's part table when it is usable with this model's outputs; otherwise none. */
function readPartTable(value: unknown, numClasses: number): PartTableCard | undefined {
  if (!isObject(value) || !Array.isArray(value['categories'])) return undefined;
  const categories: PartTableCard['categories'] = [];
  for (const entry of value['categories']) {
    if (!isObject(entry) || typeof entry['name'] !== 'string' || !Array.isArray(entry['parts'])) return undefined;
    const parts = entry['parts'].filter((p): p is number => Number.isInteger(p) && (p as number) >= 0 && (p as number) < numClasses);
    if (parts.length === 0) return undefined;
    categories.push({ name: entry['name'], parts });
  }
  return categories.length > 0 ? { partCount: numClasses, categories } : undefined;
}
