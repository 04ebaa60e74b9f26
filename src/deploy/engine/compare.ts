/**
 * The "same answers" check of a packed model: the run's model exported in memory, evaluated on the
 * bit-packed engine over a whole data set, next to what the tfjs model predicted for each sample.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../../data/datasets/dataset.ts';
import type { Model } from '../../models/model.ts';
import { argmaxRows, evaluateDataset } from '../../train/evaluate.ts';
import type { RunConfig } from '../../train/run-config.ts';
import type { ModelCard } from '../../train/run-model.ts';
import { exportModel } from '../export.ts';
import { readPackedModel } from '../format.ts';
import { Engine } from './engine.ts';
import { createEngineKernels } from './select-kernels.ts';

export interface EngineComparison {
  kernels: string;
  packed_bytes: number;
  /** The engine's own metrics on the data set. */
  overall_accuracy?: number;
  instance_miou?: number;
  /** Fraction of samples (classification) or points (segmentation) predicted as tfjs predicts. */
  prediction_agreement: number;
  /** max |engine − tfjs| / max |tfjs logit| over every sample. */
  max_logit_relative_difference: number;
  /** The sample with that difference, to look at when it is large (null: nothing compared). */
  worst_sample: string | null;
}

export async function compareWithEngine(model: Model, card: ModelCard, dataset: Dataset, config: RunConfig, tfjsLogits: Map<string, Float32Array>): Promise<EngineComparison> {
  const bytes = exportModel(model, card.spec.model, { card });
  const engine = new Engine(readPackedModel(bytes), { kernels: await createEngineKernels() });
  const width = model.numClasses;
  let agreeing = 0;
  let compared = 0;
  let worst = 0;
  let worstSample: string | null = null;
  const evaluation = await evaluateDataset(
    (batch) => {
      const inputs = batch.inputs.dataSync() as Float32Array;
      const categories = batch.categories ? (batch.categories.dataSync() as Int32Array) : null;
      const count = batch.inputs.shape[0]!;
      const per = inputs.length / count;
      const rows = Array.from({ length: count }, (_, i) => engine.run({ values: inputs.subarray(i * per, (i + 1) * per), category: categories?.[i] }));
      const perSample = rows[0]!.length;
      const shape = model.task === 'segmentation' ? [count, perSample / width, width] : [count, width];
      return tf.tensor(Float32Array.from(rows.flatMap((row) => Array.from(row))), shape);
    },
    dataset,
    {
      batchSize: config.batchSize,
      config,
      onBatch: (ids, values) => {
        const per = values.length / ids.length;
        ids.forEach((id, i) => {
          const ours = values.subarray(i * per, (i + 1) * per);
          const theirs = tfjsLogits.get(id);
          if (!theirs) return;
          const scale = Math.max(1e-12, ...Array.from(theirs, Math.abs));
          let difference = 0;
          for (let j = 0; j < per; j++) difference = Math.max(difference, Math.abs(ours[j]! - theirs[j]!) / scale);
          if (worstSample === null || difference > worst) {
            worst = difference;
            worstSample = id;
          }
          const a = argmaxRows(ours, width);
          const b = argmaxRows(theirs, width);
          for (let j = 0; j < a.length; j++) if (a[j] === b[j]) agreeing++;
          compared += a.length;
        });
      },
    },
  );
  return {
    kernels: engine.kernels.name,
    packed_bytes: bytes.length,
    ...(evaluation.task === 'segmentation' ? { instance_miou: evaluation.instance_miou } : { overall_accuracy: evaluation.overall_accuracy }),
    prediction_agreement: compared > 0 ? agreeing / compared : 0,
    max_logit_relative_difference: worst,
    worst_sample: worstSample,
  };
}
