import type * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/datasets/dataset.ts';
import { ConfusionMatrix, PartSegmentationMeter } from './metrics.ts';
import { batchStream, type BatchStreamOptions } from './pipeline.ts';
import type { Batch } from './trainer.ts';

/** What `bitpoint eval --json` prints, and what runs record per epoch. */
export interface Evaluation {
  task: Dataset['task'];
  samples: number;
  overall_accuracy?: number;
  mean_class_accuracy?: number;
  class_names?: string[];
  /** Rows are the true class, columns the predicted one. */
  confusion_matrix?: number[][];
  instance_miou?: number;
  class_miou?: number;
  category_miou?: Record<string, number>;
  point_accuracy?: number;
}

/** The headline number of an evaluation (used to pick the best checkpoint). */
export function primaryMetric(evaluation: Evaluation): number {
  return evaluation.task === 'segmentation' ? evaluation.instance_miou! : evaluation.overall_accuracy!;
}

export type Predictor = (batch: Pick<Batch, 'inputs' | 'categories'>) => Promise<tf.Tensor> | tf.Tensor;

export interface EvaluateOptions extends Omit<BatchStreamOptions, 'training' | 'epoch' | 'seed'> {
  /** Called with each batch's ids and logits (e.g. to write predictions); logits are disposed after. */
  onBatch?: (ids: string[], logits: Float32Array, shape: number[]) => void;
}

/**
 * Runs a model over a whole split in evaluation order. Classification: overall and mean class
 * accuracy and the confusion matrix. Part segmentation (ShapeNetPart's protocol): each point's
 * prediction is the argmax over the parts of its shape's category only; per-category, class-mean
 * and instance-mean mIoU.
 */
export async function evaluateDataset(predict: Predictor, dataset: Dataset, options: EvaluateOptions): Promise<Evaluation> {
  const classification = dataset.task !== 'segmentation' ? new ConfusionMatrix(dataset.classNames.length) : null;
  const segmentation = dataset.task === 'segmentation' ? new PartSegmentationMeter(dataset.partTable.categories.map((c) => c.parts)) : null;
  let samples = 0;
  for await (const batch of batchStream(dataset, { ...options, training: false, epoch: 0, seed: 0 })) {
    try {
      const logits = await predict(batch);
      const values = logits.dataSync() as Float32Array;
      const shape = logits.shape;
      logits.dispose();
      options.onBatch?.(batch.ids, values, shape);
      const truth = batch.targets.dataSync() as Int32Array;
      samples += batch.ids.length;
      if (classification) {
        classification.add(truth, argmaxRows(values, shape[shape.length - 1]!));
      } else if (segmentation && dataset.task === 'segmentation') {
        const categories = batch.categories!.dataSync() as Int32Array;
        const [b, n, k] = shape as [number, number, number];
        for (let s = 0; s < b; s++) {
          const parts = dataset.partTable.categories[categories[s]!]!.parts;
          const predicted = argmaxAmong(values.subarray(s * n * k, (s + 1) * n * k), k, parts);
          segmentation.add(categories[s]!, truth.subarray(s * n, (s + 1) * n), predicted);
        }
      }
    } finally {
      batch.dispose();
    }
  }
  if (classification && dataset.task !== 'segmentation') {
    return {
      task: dataset.task,
      samples,
      overall_accuracy: classification.overallAccuracy(),
      mean_class_accuracy: classification.meanClassAccuracy(),
      class_names: [...dataset.classNames],
      confusion_matrix: classification.toRows(),
    };
  }
  const scores = segmentation!.scores();
  const names = dataset.task === 'segmentation' ? dataset.partTable.categories.map((c) => c.name) : [];
  const categoryMIoU: Record<string, number> = {};
  scores.categoryMIoU.forEach((value, i) => {
    if (!Number.isNaN(value)) categoryMIoU[names[i]!] = value;
  });
  return {
    task: 'segmentation',
    samples,
    instance_miou: scores.instanceMIoU,
    class_miou: scores.classMIoU,
    category_miou: categoryMIoU,
    point_accuracy: scores.pointAccuracy,
  };
}

/** The index of the largest value of each row of [rows, width]. */
export function argmaxRows(values: Float32Array, width: number): Int32Array {
  const rows = values.length / width;
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (values[r * width + c]! > values[r * width + best]!) best = c;
    result[r] = best;
  }
  return result;
}

/** Per row, the index among `allowed` with the largest value. */
export function argmaxAmong(values: Float32Array, width: number, allowed: readonly number[]): Int32Array {
  const rows = values.length / width;
  const result = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = allowed[0]!;
    for (const c of allowed) if (values[r * width + c]! > values[r * width + best]!) best = c;
    result[r] = best;
  }
  return result;
}
