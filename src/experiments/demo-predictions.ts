/**
 * Per-point predictions of a sweep's trained models on a few test shapes, as PLY files for the
 * viewer: one file per shape and model, `<dir>/<task>/<shape>/<method>.ply`, with the ground truth
 * (`label`: part per point, or the class on every point), the prediction (`pred`) and, for
 * classifiers, every class probability (`prob_<class>`). Uses the same `predictCloud` and
 * `withPredictions` as `bitpoint predict`. An `index.json` lists what was written.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDataset } from '../data/datasets/open.ts';
import type { Dataset } from '../data/datasets/dataset.ts';
import type { PointCloud } from '../data/formats/point-cloud.ts';
import { writePointCloudPly } from '../data/formats/ply/index.ts';
import { plyTypedArray } from '../data/formats/ply/types.ts';
import { predictCloud, withPredictions } from '../train/predict.ts';
import { loadRunModel } from '../train/run-model.ts';
import type { RunRow } from './store.ts';

export interface PredictionFile {
  file: string;
  task_label: string;
  method: string;
  shape: string;
  /** Classification: true and predicted class. Segmentation: point accuracy over the shape. */
  truth?: string;
  predicted?: string;
  probability?: number;
  point_accuracy?: number;
}

export interface PredictionOptions {
  /** Test shapes per task (spread over classes / categories). */
  shapes: number;
  syntheticRoot?: string;
  log: (line: string) => void;
}

export async function writePredictions(rows: RunRow[], dir: string, options: PredictionOptions): Promise<PredictionFile[]> {
  const written: PredictionFile[] = [];
  const completed = rows.filter((r) => r.status === 'completed' && r.run_dir);
  const tasks = [...new Set(completed.map((r) => r.task_label))];
  for (const task of tasks) {
    const runs = completed.filter((r) => r.task_label === task);
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
          const file = join(dir, task, shape, `${run.method}.ply`);
          const bytes = writePointCloudPly(withPredictions(cloud, prediction, loaded.card), {
            format: 'binary_little_endian',
            comments: [`bitpoint demo: ${task} ${run.method} (seed ${run.seed}) on ${sample.id}`, `run ${run.run_dir}`],
          });
          await writeFile(file, bytes);
          const entry: PredictionFile = { file, task_label: task, method: run.method, shape: sample.id };
          if (prediction.task === 'segmentation') {
            let correct = 0;
            prediction.parts!.forEach((p, i) => (correct += p === sample.labels![i] ? 1 : 0));
            entry.point_accuracy = correct / prediction.parts!.length;
          } else if (dataset.task === 'classification') {
            entry.truth = dataset.classNames[sample.label!];
            entry.predicted = prediction.className;
            entry.probability = prediction.probabilities![prediction.predictedClass!];
          }
          written.push(entry);
        } finally {
          loaded.model.dispose();
        }
      }
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.json'), `${JSON.stringify(written, null, 2)}\n`);
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
