/**
 * Per-point predictions of a sweep's trained models on a few test shapes, as PLY files for the
 * viewer: one file per shape and model, `<dir>/<task>/<shape>/<method>.ply`, with the ground truth
 * (`label`: part per point, or the class on every point), the prediction (`pred`) and, for
 * classifiers, every class probability (`prob_<class>`). Uses the same `predictCloud` and
 * `withPredictions` as `bitpoint predict`. `index.json` (prediction-index.ts) lists every file with
 * its model's facts: method, bits, sparsity, packed size, reference, class and part names.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDataset } from '../data/datasets/open.ts';
import type { Dataset } from '../data/datasets/dataset.ts';
import type { PointCloud } from '../data/formats/point-cloud.ts';
import { writePointCloudPly } from '../data/formats/ply/index.ts';
import { plyTypedArray } from '../data/formats/ply/types.ts';
import { predictCloud, withPredictions, type CloudPrediction } from '../train/predict.ts';
import { loadRunModel, type ModelCard } from '../train/run-model.ts';
import { predictionIndexJson, type PredictionIndexEntry } from './prediction-index.ts';
import { referenceOf, type References } from './report/aggregate.ts';
import type { RunRow } from './store.ts';

export interface PredictionOptions {
  /** Test shapes per task (spread over classes / categories). */
  shapes: number;
  /** What each method is compared with (the study's); without it, no entry names a reference. */
  references?: References;
  syntheticRoot?: string;
  log: (line: string) => void;
}

/** The facts of a run that an index entry carries. */
export type RunFacts = Pick<RunRow, 'method' | 'task_label' | 'bits' | 'activation_bits' | 'sparsity' | 'measured_sparsity' | 'packed_bytes'>;

/** What was predicted on one shape: the sample, its file (relative to the index) and the outcome. */
export interface PredictedShape {
  file: string;
  shape: string;
  /** Segmentation: the sample's category, an index into the card's part table. */
  category?: number;
  /** The ground truth: the class (classification) or the part per point (segmentation). */
  label?: number;
  labels?: Int32Array;
  prediction: CloudPrediction;
}

/** The index entry of one prediction file, from the run's facts and its model card. */
export function predictionEntry(run: RunFacts, card: Pick<ModelCard, 'task' | 'classNames' | 'partTable'>, predicted: PredictedShape, reference?: string): PredictionIndexEntry {
  const task = card.task === 'segmentation' ? 'segmentation' : 'classification';
  const entry: PredictionIndexEntry = { file: predicted.file, shape: predicted.shape, task, model: run.method, task_label: run.task_label, method: run.method };
  if (reference) entry.reference = reference;
  entry.weight_bits = run.bits;
  entry.activation_bits = run.activation_bits;
  entry.sparsity = run.measured_sparsity ?? run.sparsity;
  if (run.packed_bytes !== null) entry.packed_bytes = run.packed_bytes;
  const { prediction } = predicted;
  if (task === 'segmentation') {
    const category = predicted.category !== undefined ? card.partTable?.categories[predicted.category] : undefined;
    if (category) {
      entry.category = category.name;
      entry.parts = [...category.parts];
      if (category.partNames) entry.part_names = [...category.partNames];
    }
    if (prediction.parts && predicted.labels) {
      let correct = 0;
      prediction.parts.forEach((part, i) => (correct += part === predicted.labels![i] ? 1 : 0));
      entry.point_accuracy = correct / prediction.parts.length;
    }
  } else {
    if (card.classNames) entry.class_names = [...card.classNames];
    if (predicted.label !== undefined && card.classNames) entry.truth = card.classNames[predicted.label];
    if (prediction.className !== undefined) entry.predicted = prediction.className;
    if (prediction.predictedClass !== undefined && prediction.probabilities) entry.probability = prediction.probabilities[prediction.predictedClass];
  }
  return entry;
}

/** The reference first, then by weight bits (most first): the order of the viewer's panels. */
function panelOrder(runs: RunRow[], reference: (run: RunRow) => string | undefined): RunRow[] {
  return [...runs].sort((a, b) => Number(reference(b) === b.method) - Number(reference(a) === a.method) || b.bits - a.bits);
}

export async function writePredictions(rows: RunRow[], dir: string, options: PredictionOptions): Promise<PredictionIndexEntry[]> {
  const written: PredictionIndexEntry[] = [];
  const completed = rows.filter((r) => r.status === 'completed' && r.run_dir);
  const tasks = [...new Set(completed.map((r) => r.task_label))];
  for (const task of tasks) {
    const taskRuns = completed.filter((r) => r.task_label === task);
    // A reference only when that method was run on this task: the viewer compares with its file.
    const referenceFor = (run: RunRow): string | undefined => {
      const reference = options.references ? referenceOf(options.references, run.method) : null;
      return reference && taskRuns.some((r) => r.method === reference) ? reference : undefined;
    };
    const runs = panelOrder(taskRuns, referenceFor);
    const dataset = await openDataset(runs[0]!.dataset, { split: 'test', points: 2048, syntheticRoot: options.syntheticRoot, logger: options.log });
    if (dataset.task === 'image-classification') continue;
    const picks = spreadOverGroups(dataset, options.shapes);
    for (const index of picks) {
      const sample = await dataset.get(index);
      const shape = sample.id.replace(/[^A-Za-z0-9_.-]+/g, '_');
      const cloud: PointCloud = { points: sample.points, ...(sample.normals ? { normals: sample.normals } : {}) };
      if (dataset.task === 'segmentation') cloud.labels = sample.labels!;
      else cloud.attributes = { label: { type: 'int32', values: plyTypedArray('int32', new Int32Array(sample.points.length / 3).fill(sample.label!)) } };
      await mkdir(join(dir, task, shape), { recursive: true });
      for (const run of runs) {
        const loaded = await loadRunModel(run.run_dir!, 'last');
        try {
          const prediction = predictCloud(loaded.model, loaded.card, cloud, dataset.task === 'segmentation' ? { category: String(sample.category) } : {});
          const file = `${task}/${shape}/${run.method}.ply`;
          const bytes = writePointCloudPly(withPredictions(cloud, prediction, loaded.card), {
            format: 'binary_little_endian',
            comments: [`bitpoint demo: ${task} ${run.method} (seed ${run.seed}) on ${sample.id}`, `run ${run.run_dir}`],
          });
          await writeFile(join(dir, ...file.split('/')), bytes);
          const predicted: PredictedShape = { file, shape: sample.id, prediction };
          if (sample.category !== undefined) predicted.category = sample.category;
          if (sample.label !== undefined) predicted.label = sample.label;
          if (sample.labels) predicted.labels = sample.labels;
          written.push(predictionEntry(run, loaded.card, predicted, referenceFor(run)));
        } finally {
          loaded.model.dispose();
        }
      }
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.json'), predictionIndexJson({ title: 'bitpoint demo', entries: written }));
  return written;
}

/** `count` sample indices, one per class or category in turn, so the shapes differ. */
function spreadOverGroups(dataset: Dataset, count: number): number[] {
  const groups = dataset.task === 'segmentation' ? dataset.categories : dataset.task === 'classification' ? dataset.labels : new Int32Array(dataset.ids.length);
  const seen = new Set<number>();
  const picks: number[] = [];
  for (let i = 0; i < groups.length && picks.length < count; i++) {
    if (seen.has(groups[i]!)) continue;
    seen.add(groups[i]!);
    picks.push(i);
  }
  for (let i = 0; i < groups.length && picks.length < count; i++) if (!picks.includes(i)) picks.push(i);
  return picks;
}
