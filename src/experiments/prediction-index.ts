/**
 * `index.json` of a prediction folder: one entry per prediction PLY file, carrying what the model
 * card and the results store know about it, so the viewer shows facts instead of reading them out
 * of names. Written by the demo (demo-predictions.ts) and read by the viewer; browser-safe (no
 * Node imports). The format is documented in docs/prediction-index.md.
 *
 *   const text = predictionIndexJson({ entries: [{ file: 'pointnet-seg/Airplane_3/binary.ply', … }] });
 *   const { index, warnings } = readPredictionIndex(JSON.parse(text), 'predictions/index.json');
 *
 * The older form, a bare list of `{ file, task_label, method, shape, … }` written before version 2,
 * is still read: its entries have no facts, and the viewer shows those as unknown.
 */

export const PREDICTION_INDEX_VERSION = 2;

export type PredictionTask = 'classification' | 'segmentation';

/** One prediction file and what is known about the model that made it. Unknown facts are left out. */
export interface PredictionIndexEntry {
  /** The PLY file, relative to the folder of index.json, with `/` between folders. */
  file: string;
  /** The shape predicted on: the data set's sample id. */
  shape: string;
  task: PredictionTask;
  /** The model: what the viewer names its panel (a sweep's method, e.g. `binary`). */
  model: string;
  /** A longer name for the panel (`full precision`); the model name when absent. */
  label?: string;
  /** The sweep's task label (`pointnet-seg`): one data set and architecture. */
  task_label?: string;
  /** The compression method (`fp`, `binary`, `ternary`, `int4`, …). */
  method?: string;
  /** The model the others of this shape are compared with (full precision); itself for the reference. */
  reference?: string;
  /** Bits per weight and per activation (32 for float). */
  weight_bits?: number;
  activation_bits?: number;
  /** Share of weights that are zero, 0–1 (measured on the trained model when known). */
  sparsity?: number;
  /** Bytes of the packed model (`bitpoint export`). */
  packed_bytes?: number;
  /** Classification: the class names, by class id. */
  class_names?: string[];
  /** Segmentation: the shape's category, its global part ids and their names (aligned with `parts`). */
  category?: string;
  parts?: number[];
  part_names?: string[];
  /** Classification: the true and the predicted class, and the predicted class's probability. */
  truth?: string;
  predicted?: string;
  probability?: number;
  /** Segmentation: share of the shape's points whose part is right. */
  point_accuracy?: number;
}

export interface PredictionIndex {
  version: typeof PREDICTION_INDEX_VERSION;
  title?: string;
  entries: PredictionIndexEntry[];
}

/** The text of index.json (entries in the given order: the viewer keeps it for its panels). */
export function predictionIndexJson(index: { title?: string; entries: readonly PredictionIndexEntry[] }): string {
  const value: PredictionIndex = { version: PREDICTION_INDEX_VERSION, ...(index.title ? { title: index.title } : {}), entries: [...index.entries] };
  return `${JSON.stringify(value, null, 2)}\n`;
}

export interface ReadPredictionIndex {
  /** Undefined when the value is not an index at all. */
  index?: PredictionIndex;
  /** One line per thing skipped, naming `source`. */
  warnings: string[];
}

/**
 * Reads a parsed index.json (version 2, or the older list). Never throws: an entry it cannot use is
 * skipped, a field of the wrong type dropped, each with a warning naming `source`.
 */
export function readPredictionIndex(value: unknown, source = 'index.json'): ReadPredictionIndex {
  const warnings: string[] = [];
  if (Array.isArray(value)) return { index: { version: PREDICTION_INDEX_VERSION, entries: readLegacyList(value, source, warnings) }, warnings };
  if (!isRecord(value)) return { warnings: [`${source}: expected {"version": 2, "entries": [...]}; ignoring it`] };
  if (value['version'] !== PREDICTION_INDEX_VERSION) {
    const version = value['version'] === undefined ? 'no "version"' : `version ${JSON.stringify(value['version'])}`;
    return { warnings: [`${source}: ${version}, but this viewer reads version ${PREDICTION_INDEX_VERSION} (and the older list); ignoring it`] };
  }
  if (!Array.isArray(value['entries'])) return { warnings: [`${source}: "entries" must be a list; ignoring the index`] };
  const entries: PredictionIndexEntry[] = [];
  value['entries'].forEach((item, i) => {
    const entry = readEntry(item, `${source}: entries[${i}]`, warnings);
    if (entry) entries.push(entry);
  });
  const index: PredictionIndex = { version: PREDICTION_INDEX_VERSION, entries };
  if (typeof value['title'] === 'string' && value['title'].length > 0) index.title = value['title'];
  return { index, warnings };
}

const TEXT_FIELDS = ['label', 'task_label', 'method', 'reference', 'category', 'truth', 'predicted'] as const;
const NUMBER_FIELDS = ['weight_bits', 'activation_bits', 'sparsity', 'packed_bytes', 'probability', 'point_accuracy'] as const;
const TEXT_LIST_FIELDS = ['class_names', 'part_names'] as const;

function readEntry(item: unknown, where: string, warnings: string[]): PredictionIndexEntry | undefined {
  if (!isRecord(item)) {
    warnings.push(`${where} is not an object; skipped`);
    return undefined;
  }
  const file = nonEmptyText(item['file']);
  const shape = nonEmptyText(item['shape']);
  const model = nonEmptyText(item['model']);
  const task = item['task'];
  const missing = [!file && 'file', !shape && 'shape', !model && 'model', task !== 'classification' && task !== 'segmentation' && 'task'].filter(Boolean);
  if (missing.length > 0) {
    warnings.push(`${where} has no valid ${missing.map((key) => `"${key}"`).join(', ')}; skipped`);
    return undefined;
  }
  if (!isSafeRelativePath(file!)) {
    warnings.push(`${where}: "file" ${JSON.stringify(file)} must be a path inside the folder; skipped`);
    return undefined;
  }
  const entry: PredictionIndexEntry = { file: file!, shape: shape!, task: task as PredictionTask, model: model! };
  const wrong: string[] = [];
  const take = (key: keyof PredictionIndexEntry, ok: boolean) => {
    if (item[key] === undefined || item[key] === null) return;
    if (ok) (entry as unknown as Record<string, unknown>)[key] = item[key];
    else wrong.push(key);
  };
  for (const key of TEXT_FIELDS) take(key, typeof item[key] === 'string');
  for (const key of NUMBER_FIELDS) take(key, typeof item[key] === 'number' && Number.isFinite(item[key]));
  for (const key of TEXT_LIST_FIELDS) take(key, Array.isArray(item[key]) && item[key].every((name) => typeof name === 'string'));
  take('parts', Array.isArray(item['parts']) && item['parts'].every((id) => Number.isInteger(id) && id >= 0));
  if (wrong.length > 0) warnings.push(`${where}: ignored ${wrong.join(', ')} of the wrong type`);
  if (entry.part_names && entry.parts && entry.part_names.length !== entry.parts.length) {
    delete entry.part_names;
    warnings.push(`${where}: ignored part_names: ${entry.parts.length} parts but a different number of names`);
  }
  return entry;
}

/**
 * The list written before version 2: `[{ "file": "<out>/<task>/<shape>/<method>.ply", "task_label",
 * "method", "shape", "truth"?, "predicted"?, "probability"?, "point_accuracy"? }]`. The file is its
 * last three path parts (the folder the index sits in); the task follows from the outcome the entry
 * records. Nothing else is known.
 */
function readLegacyList(list: unknown[], source: string, warnings: string[]): PredictionIndexEntry[] {
  const entries: PredictionIndexEntry[] = [];
  list.forEach((item, i) => {
    const where = `${source}: entry ${i}`;
    const path = isRecord(item) ? nonEmptyText(item['file']) : undefined;
    const method = isRecord(item) ? nonEmptyText(item['method']) : undefined;
    if (!isRecord(item) || !path || !method) {
      warnings.push(`${where} has no "file" and "method"; skipped`);
      return;
    }
    const file = path.split(/[\\/]/).slice(-3).join('/');
    const task: PredictionTask | undefined = 'predicted' in item || 'truth' in item ? 'classification' : 'point_accuracy' in item ? 'segmentation' : undefined;
    if (!task || !isSafeRelativePath(file)) {
      warnings.push(`${where}: ${task ? `"file" ${JSON.stringify(path)} is not a path inside the folder` : 'records no outcome, so its task is unknown'}; skipped`);
      return;
    }
    const entry: PredictionIndexEntry = { file, shape: nonEmptyText(item['shape']) ?? file.split('/').at(-2)!, task, model: method, method };
    const taskLabel = nonEmptyText(item['task_label']);
    if (taskLabel) entry.task_label = taskLabel;
    for (const key of ['truth', 'predicted'] as const) if (typeof item[key] === 'string') entry[key] = item[key];
    for (const key of ['probability', 'point_accuracy'] as const) if (typeof item[key] === 'number') entry[key] = item[key];
    entries.push(entry);
  });
  return entries;
}

/** A relative path that stays in its folder: no leading `/`, drive or `..` part. */
function isSafeRelativePath(path: string): boolean {
  if (/^([\\/]|[A-Za-z]:)/.test(path)) return false;
  return path.split(/[\\/]/).every((part) => part !== '..');
}

function nonEmptyText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
