import * as tf from '@tensorflow/tfjs-core';
import type { PointCloud } from '../data/formats/point-cloud.ts';
import { plyTypedArray } from '../data/formats/ply/types.ts';
import { categoricalColor } from '../data/palette.ts';
import { centerAndScaleToUnitSphere } from '../data/transforms/index.ts';
import type { Model } from '../models/model.ts';
import { ConfigError, FormatError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { ModelCard } from './run-model.ts';

export interface CloudPrediction {
  task: 'classification' | 'segmentation';
  /** Classification: the predicted class and the probability of every class. */
  predictedClass?: number;
  className?: string;
  probabilities?: Float32Array;
  /** Segmentation: the predicted part of every point (restricted to the category's parts). */
  parts?: Int32Array;
  category?: number;
}

/**
 * Runs a trained model on one whole cloud (all of its points, normalized into the unit sphere as in
 * training). Segmentation models that take the object category need `category` (index or name).
 */
/** Logits of one cloud [points, channels] (and its category): [classes] or [points·parts]. */
export type CloudLogits = (values: Float32Array, points: number, channels: number, category?: number) => Float32Array;

/** A tfjs model as a `CloudLogits` (evaluation mode, batch of one). */
export function modelLogits(model: Model): CloudLogits {
  model.eval();
  return (values, points, channels, category) =>
    tf.tidy(() => {
      const categories = category === undefined ? undefined : tf.tensor1d([category], 'int32');
      return model.forward({ inputs: tf.tensor3d(values, [1, points, channels]), categories }).logits.dataSync() as Float32Array;
    });
}

/**
 * The cloud a model can take: points with a non-finite coordinate dropped (an organized scan's
 * holes; every per-point array with them), and FormatError when none is left. `notes` says what
 * was done, for the user.
 */
export function finitePoints(cloud: PointCloud, source: string): { cloud: PointCloud; notes: string[] } {
  const total = cloud.points.length / 3;
  const keep: number[] = [];
  for (let i = 0; i < total; i++) {
    if (Number.isFinite(cloud.points[3 * i]!) && Number.isFinite(cloud.points[3 * i + 1]!) && Number.isFinite(cloud.points[3 * i + 2]!)) keep.push(i);
  }
  if (keep.length === 0) throw new FormatError(source, total === 0 ? 'has no points' : `has no finite points (all ${total} have a NaN or infinite coordinate)`);
  if (keep.length === total) return { cloud, notes: [] };
  const pick = <T extends Float32Array | Int32Array | PointAttributeValues>(values: T, width: number): T => {
    const out = new (values.constructor as new (length: number) => T)(keep.length * width);
    keep.forEach((source, i) => {
      for (let k = 0; k < width; k++) out[i * width + k] = values[source * width + k]!;
    });
    return out;
  };
  const kept: PointCloud = { points: pick(cloud.points, 3) };
  if (cloud.normals) kept.normals = pick(cloud.normals, 3);
  if (cloud.colors) kept.colors = pick(cloud.colors, 3);
  if (cloud.alpha) kept.alpha = pick(cloud.alpha, 1);
  if (cloud.labels) kept.labels = pick(cloud.labels, 1);
  if (cloud.attributes) {
    kept.attributes = Object.fromEntries(Object.entries(cloud.attributes).map(([name, attribute]) => [name, { type: attribute.type, values: pick(attribute.values, 1) }]));
  }
  return { cloud: kept, notes: [`dropped ${total - keep.length} of ${total} points with a NaN or infinite coordinate`] };
}

type PointAttributeValues = NonNullable<PointCloud['attributes']>[string]['values'];

/**
 * Runs the model on every point of `cloud` (which must be finite: see `finitePoints`). A cloud
 * with fewer points than the model was trained on (`card.points`) is filled up with points drawn
 * at random (seeded, so the same file gives the same answer) from its own, as training's sampling
 * does; per-point predictions are those of the original points. `notes` says when that happened.
 */
export function predictCloud(model: Model | CloudLogits, card: ModelCard, cloud: PointCloud, options: { category?: string } = {}): CloudPrediction & { notes: string[] } {
  const original = cloud.points.length / 3;
  const notes: string[] = [];
  if (original < card.points) {
    cloud = repeatPoints(cloud, card.points);
    notes.push(`the cloud has ${original} points, fewer than the ${card.points} the model was trained on: ${card.points - original} repeated at random to make ${card.points}`);
  }
  return { ...predictAll(model, card, cloud, options, original), notes };
}

/** All points plus random repeats, `count` in all. */
function repeatPoints(cloud: PointCloud, count: number): PointCloud {
  const have = cloud.points.length / 3;
  const rng = new Rng(0);
  const index = Int32Array.from({ length: count }, (_, i) => (i < have ? i : rng.int(have)));
  const take = (values: Float32Array) => {
    const out = new Float32Array(count * 3);
    index.forEach((source, i) => out.set(values.subarray(3 * source, 3 * source + 3), 3 * i));
    return out;
  };
  return cloud.normals ? { points: take(cloud.points), normals: take(cloud.normals) } : { points: take(cloud.points) };
}

function predictAll(model: Model | CloudLogits, card: ModelCard, cloud: PointCloud, options: { category?: string }, reported: number): CloudPrediction {
  const logitsOf = typeof model === 'function' ? model : modelLogits(model);
  const count = cloud.points.length / 3;
  const normalize = centerAndScaleToUnitSphere();
  const sample = normalize({ id: 'input', points: cloud.points, normals: cloud.normals }, new Rng(0));
  let channels = sample.points;
  if (card.normals) {
    if (!sample.normals) throw new ConfigError('input', 'this model was trained with normals, but the file has none');
    channels = new Float32Array(count * 6);
    for (let i = 0; i < count; i++) {
      channels.set(sample.points.subarray(i * 3, i * 3 + 3), i * 6);
      channels.set(sample.normals.subarray(i * 3, i * 3 + 3), i * 6 + 3);
    }
  }
  const channelCount = card.normals ? 6 : 3;
  if (card.task === 'segmentation') {
    const table = card.partTable!;
    const category = resolveCategory(options.category, table.categories.map((c) => c.name));
    const values = logitsOf(channels, count, channelCount, category);
    const k = table.partCount;
    const allowed = table.categories[category]!.parts;
    const parts = new Int32Array(reported);
    for (let i = 0; i < reported; i++) {
      let best = allowed[0]!;
      for (const p of allowed) if (values[i * k + p]! > values[i * k + best]!) best = p;
      parts[i] = best;
    }
    return { task: 'segmentation', parts, category };
  }
  const probabilities = softmax(logitsOf(channels, count, channelCount));
  let predictedClass = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[predictedClass]!) predictedClass = c;
  return { task: 'classification', predictedClass, className: card.classNames?.[predictedClass], probabilities };
}

function softmax(logits: Float32Array): Float32Array {
  const max = Math.max(...logits);
  const exps = Float32Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

function resolveCategory(category: string | undefined, names: string[]): number {
  if (category === undefined) throw new ConfigError('category', `this segmentation model needs the object category: one of ${names.join(', ')}`);
  const byName = names.findIndex((n) => n.toLowerCase() === category.toLowerCase());
  if (byName >= 0) return byName;
  const index = Number(category);
  if (Number.isInteger(index) && index >= 0 && index < names.length) return index;
  throw new ConfigError('category', `unknown category '${category}': one of ${names.join(', ')}`);
}

/**
 * The input cloud with the predictions added as vertex properties: `pred` (part id per point, or
 * the predicted class), `prob_<class>` for classifiers, and the input's own attributes (e.g. the
 * ground-truth `label`) kept, so the viewer and other PLY tools can compare them. The points are
 * coloured by prediction (replacing any colours of the input), so CloudCompare, MeshLab or
 * Open3D show the classes and parts without configuration.
 */
export function withPredictions(cloud: PointCloud, prediction: CloudPrediction, card: ModelCard, column = 'pred'): PointCloud {
  const count = cloud.points.length / 3;
  const attributes = { ...(cloud.attributes ?? {}) };
  if (prediction.task === 'segmentation') {
    attributes[column] = { type: 'int32', values: plyTypedArray('int32', prediction.parts!) };
    return { ...cloud, colors: predictionColors(prediction.parts!), attributes };
  } else {
    attributes[column] = { type: 'int32', values: plyTypedArray('int32', new Int32Array(count).fill(prediction.predictedClass!)) };
    (card.classNames ?? []).forEach((name, c) => {
      attributes[`prob_${name.replace(/[^A-Za-z0-9_]/g, '_')}`] = { type: 'float32', values: new Float32Array(count).fill(prediction.probabilities![c]!) };
    });
  }
  return { ...cloud, colors: predictionColors(new Int32Array(count).fill(prediction.predictedClass!)), attributes };
}

/** Each point in its predicted class's or part's colour (the viewer's palette, `categoricalColor(id)`), in [0, 1]. */
export function predictionColors(ids: Int32Array): Float32Array {
  const colors = new Float32Array(ids.length * 3);
  for (let i = 0; i < ids.length; i++) {
    const rgb = categoricalColor(ids[i]!);
    for (let k = 0; k < 3; k++) colors[3 * i + k] = rgb[k]! / 255;
  }
  return colors;
}
