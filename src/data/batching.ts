import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.ts';
import type { ImageSample, Sample } from './sample.ts';
import type { Transform } from './transforms/transform.ts';

/**
 * Samples → tensors. The one place in the data layer that creates tensors; it only uses tfjs-core
 * ops, so it works with whichever backend the caller started.
 *
 *   for await (const batch of pointBatches(dataset, { batchSize: 32, seed: 1, epoch, transform })) {
 *     try { train(batch.points, batch.labels); } finally { disposeBatch(batch); }
 *   }
 *
 * Epoch `e` of seed `s` always visits the same order and draws the same augmentation, whatever the
 * batch size: the order comes from (s, e) and each sample's transform stream from (s, e, sample id).
 */

/** Anything indexable that hands out samples (every dataset is one). */
export interface SampleSource<S> {
  readonly size: number;
  get(index: number): Promise<S>;
}

export interface BatchOptions {
  batchSize: number;
  seed: number;
  /** Which epoch (0-based): selects the shuffle order and augmentation draws. Default 0. */
  epoch?: number;
  /** Visit samples in a seeded random order (default true); false keeps dataset order (evaluation). */
  shuffle?: boolean;
  /** Leave out a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

export interface PointBatchOptions extends BatchOptions {
  /** Applied to each sample before stacking; must produce the same point count for all samples. */
  transform?: Transform;
  /** Stack normals after xyz, giving C = 6 (fails if a sample has no normals). Default false. */
  withNormals?: boolean;
}

export interface PointBatch {
  ids: string[];
  /** [B, N, 3] or [B, N, 6] with normals. */
  points: tf.Tensor3D;
  /** int32 [B] class labels, when every sample has a class label. */
  labels?: tf.Tensor1D;
  /** int32 [B, N] per-point labels (segmentation), when every sample has them. */
  pointLabels?: tf.Tensor2D;
  /** int32 [B] object categories (ShapeNetPart), when every sample has one. */
  categories?: tf.Tensor1D;
}

export interface ImageBatch {
  ids: string[];
  /** [B, H, W, 1], pixels in [0, 1]. */
  images: tf.Tensor4D;
  /** int32 [B]. */
  labels: tf.Tensor1D;
}

/** Batches in one epoch. */
export function batchCount(size: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/** The visiting order of one epoch: a seeded permutation, or the identity without shuffling. */
export function epochOrder(size: number, seed: number, epoch: number, shuffle = true): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  if (shuffle) epochRng(seed, epoch).fork('order').shuffle(order);
  return order;
}

function epochRng(seed: number, epoch: number): Rng {
  return new Rng(seed).fork(`epoch ${epoch}`);
}

/** Point-cloud batches of one epoch. */
export async function* pointBatches(source: SampleSource<Sample>, options: PointBatchOptions): AsyncGenerator<PointBatch> {
  const rng = epochRng(options.seed, options.epoch ?? 0);
  const prepare = async (indices: Int32Array): Promise<Sample[]> => {
    const samples = await Promise.all(Array.from(indices, (index) => source.get(index)));
    const transform = options.transform;
    return transform ? samples.map((sample) => transform(sample, rng.fork(`sample ${sample.id}`))) : samples;
  };
  for await (const samples of prefetched(source.size, options, prepare)) yield stackPoints(samples, options.withNormals ?? false);
}

/** Image batches of one epoch, as [B, H, W, 1]. */
export async function* imageBatches(source: SampleSource<ImageSample>, options: BatchOptions): AsyncGenerator<ImageBatch> {
  const prepare = (indices: Int32Array) => Promise.all(Array.from(indices, (index) => source.get(index)));
  for await (const samples of prefetched(source.size, options, prepare)) yield stackImages(samples);
}

/** Frees every tensor of a batch. */
export function disposeBatch(batch: PointBatch | ImageBatch): void {
  for (const value of Object.values(batch)) if (value instanceof tf.Tensor) value.dispose();
}

/**
 * Runs `prepare` for batch k+1 while the consumer works on batch k, so file reads and transforms
 * overlap with training as far as one JS thread allows.
 */
async function* prefetched<T>(size: number, options: BatchOptions, prepare: (indices: Int32Array) => Promise<T>): AsyncGenerator<T> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = epochOrder(size, options.seed, options.epoch ?? 0, options.shuffle ?? true);
  const count = batchCount(size, batchSize, options.dropLast ?? false);
  const start = (k: number) => {
    const promise = prepare(order.subarray(k * batchSize, Math.min(size, (k + 1) * batchSize)));
    // If the consumer stops early, a failure of the batch nobody awaits must not go unhandled.
    promise.catch(() => undefined);
    return promise;
  };
  let next = count > 0 ? start(0) : undefined;
  for (let k = 0; k < count; k++) {
    const current = await next!;
    next = k + 1 < count ? start(k + 1) : undefined;
    yield current;
  }
}

function stackPoints(samples: Sample[], withNormals: boolean): PointBatch {
  const first = samples[0]!;
  const pointCount = first.points.length / 3;
  const channels = withNormals ? 6 : 3;
  const points = new Float32Array(samples.length * pointCount * channels);
  samples.forEach((sample, b) => {
    if (sample.points.length !== pointCount * 3) {
      throw new RangeError(
        `batch mixes point counts: '${first.id}' has ${pointCount}, '${sample.id}' has ${sample.points.length / 3}; ` +
          'add a sampling transform (randomSample or farthestPointSample) to fix N',
      );
    }
    if (!withNormals) {
      points.set(sample.points, b * pointCount * 3);
      return;
    }
    if (!sample.normals) throw new RangeError(`withNormals: sample '${sample.id}' has no normals`);
    for (let i = 0, o = b * pointCount * 6; i < pointCount; i++, o += 6) {
      points.set(sample.points.subarray(3 * i, 3 * i + 3), o);
      points.set(sample.normals.subarray(3 * i, 3 * i + 3), o + 3);
    }
  });
  const batch: PointBatch = {
    ids: samples.map((sample) => sample.id),
    points: tf.tensor3d(points, [samples.length, pointCount, channels]),
  };
  if (samples.every((sample) => sample.label !== undefined)) {
    batch.labels = tf.tensor1d(Int32Array.from(samples, (sample) => sample.label!), 'int32');
  }
  if (samples.every((sample) => sample.labels !== undefined)) {
    const pointLabels = new Int32Array(samples.length * pointCount);
    samples.forEach((sample, b) => pointLabels.set(sample.labels!, b * pointCount));
    batch.pointLabels = tf.tensor2d(pointLabels, [samples.length, pointCount], 'int32');
  }
  if (samples.every((sample) => sample.category !== undefined)) {
    batch.categories = tf.tensor1d(Int32Array.from(samples, (sample) => sample.category!), 'int32');
  }
  return batch;
}

function stackImages(samples: ImageSample[]): ImageBatch {
  const { width, height } = samples[0]!;
  const pixels = new Float32Array(samples.length * width * height);
  samples.forEach((sample, b) => {
    if (sample.width !== width || sample.height !== height) {
      throw new RangeError(`batch mixes image sizes: ${width}×${height} and ${sample.width}×${sample.height} ('${sample.id}')`);
    }
    pixels.set(sample.pixels, b * width * height);
  });
  return {
    ids: samples.map((sample) => sample.id),
    images: tf.tensor4d(pixels, [samples.length, height, width, 1]),
    labels: tf.tensor1d(Int32Array.from(samples, (sample) => sample.label), 'int32'),
  };
}
