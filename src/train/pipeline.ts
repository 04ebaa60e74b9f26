import type * as tf from '@tensorflow/tfjs-core';
import { disposeBatch, imageBatches, pointBatches } from '../data/batching.ts';
import type { Dataset } from '../data/datasets/dataset.ts';
import {
  centerAndScaleToUnitSphere,
  compose,
  farthestPointSample,
  jitter,
  randomPointDropout,
  randomRotation,
  randomSample,
  randomScale,
  randomShift,
  rotateAboutUpAxis,
  type Transform,
} from '../data/transforms/index.ts';
import type { RunConfig } from './run-config.ts';
import type { Batch } from './trainer.ts';

/**
 * From a data set and a run config to the batches the trainer consumes: sampling to N points,
 * normalization into the unit sphere, and (for training only) augmentation.
 */
export function pointTransform(config: Pick<RunConfig, 'points' | 'sampling' | 'augment'>, training: boolean): Transform {
  const steps: Transform[] = [config.sampling === 'fps' ? farthestPointSample(config.points) : randomSample(config.points), centerAndScaleToUnitSphere()];
  if (training) {
    const a = config.augment;
    if (a.pointDropout > 0) steps.push(randomPointDropout({ maxRatio: a.pointDropout }));
    if (a.rotate === 'up') steps.push(rotateAboutUpAxis());
    if (a.rotate === 'so3') steps.push(randomRotation());
    if (a.scale) steps.push(randomScale({ low: a.scale[0], high: a.scale[1], anisotropic: true }));
    if (a.shift > 0) steps.push(randomShift({ range: a.shift }));
    if (a.jitter > 0) steps.push(jitter({ sigma: a.jitter, clip: 5 * a.jitter }));
  }
  return compose(...steps);
}

export interface BatchStreamOptions {
  batchSize: number;
  seed: number;
  epoch: number;
  training: boolean;
  config: Pick<RunConfig, 'points' | 'sampling' | 'augment' | 'normals'>;
}

/** A trainer batch plus the sample ids, which the caller disposes with `dispose()`. */
export interface OwnedBatch extends Batch {
  ids: string[];
  dispose(): void;
}

/**
 * One epoch of batches. Training shuffles (seeded by seed and epoch), drops the last partial
 * batch (BatchNorm on a handful of samples is noise) and augments; evaluation keeps order,
 * every sample, and a fixed sampling seed so every evaluation sees the same points.
 */
export async function* batchStream(dataset: Dataset, options: BatchStreamOptions): AsyncGenerator<OwnedBatch> {
  const common = { batchSize: options.batchSize, seed: options.training ? options.seed : 0, epoch: options.training ? options.epoch : 0 };
  if (dataset.task === 'image-classification') {
    for await (const batch of imageBatches(dataset, { ...common, shuffle: options.training, dropLast: options.training })) {
      yield { ids: batch.ids, inputs: batch.images, targets: batch.labels, dispose: () => disposeBatch(batch) };
    }
    return;
  }
  const transform = pointTransform(options.config, options.training);
  for await (const batch of pointBatches(dataset, {
    ...common,
    shuffle: options.training,
    dropLast: options.training,
    transform,
    withNormals: options.config.normals,
  })) {
    const targets: tf.Tensor | undefined = dataset.task === 'segmentation' ? batch.pointLabels : batch.labels;
    if (!targets) throw new Error(`data set '${dataset.name}' has no ${dataset.task === 'segmentation' ? 'per-point' : 'class'} labels`);
    yield { ids: batch.ids, inputs: batch.points, targets, categories: batch.categories, dispose: () => disposeBatch(batch) };
  }
}
