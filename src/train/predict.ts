import * as tf from '@tensorflow/tfjs-core';
import type { PointCloud } from '../data/formats/point-cloud.ts';
import { plyTypedArray } from '../data/formats/ply/types.ts';
import { centerAndScaleToUnitSphere } from '../data/transforms/index.ts';
import type { Model } from '../models/model.ts';
import { ConfigError } from '../util/errors.ts';
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

export function predictCloud(model: Model | CloudLogits, card: ModelCard, cloud: PointCloud, options: { category?: string } = {}): CloudPrediction {
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
    const parts = new Int32Array(count);
    for (let i = 0; i < count; i++) {
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
 * ground-truth `label`) kept, so the viewer and other PLY tools can compare them.
 */
export function withPredictions(cloud: PointCloud, prediction: CloudPrediction, card: ModelCard, column = 'pred'): PointCloud {
  const count = cloud.points.length / 3;
  const attributes = { ...(cloud.attributes ?? {}) };
  if (prediction.task === 'segmentation') {
    attributes[column] = { type: 'int32', values: plyTypedArray('int32', prediction.parts!) };
  } else {
    attributes[column] = { type: 'int32', values: plyTypedArray('int32', new Int32Array(count).fill(prediction.predictedClass!)) };
    (card.classNames ?? []).forEach((name, c) => {
      attributes[`prob_${name.replace(/[^A-Za-z0-9_]/g, '_')}`] = { type: 'float32', values: new Float32Array(count).fill(prediction.probabilities![c]!) };
    });
  }
  return { ...cloud, attributes };
}
