/**
 * Pruning masks from scores: the entries with the lowest scores are pruned (mask 0), exactly
 * round(sparsity · n) of them, ties broken by position (earlier first). Entries already pruned
 * score −∞, so masks only grow: pruning again at a higher sparsity prunes a superset, and asking
 * for a lower sparsity than the mask already has changes nothing.
 *
 *   magnitude  score = |w|                      (layer-wise, or global over several layers)
 *   random     score = uniform random           (seeded)
 *   channel    score = L1 norm of each output channel (all axes but the last); whole channels go
 *
 * Scores are computed on the weight values in JS: weights are small, pruning runs once per
 * pruning step, not per training step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { QuantizedLayer } from '../../nn/layers/quantized-layer.ts';
import type { Rng } from '../../util/rng.ts';
import { kthSmallest } from '../quantizers/select.ts';

export type PruningMethod = 'magnitude' | 'random' | 'channel';
export const PRUNING_METHODS: readonly PruningMethod[] = ['magnitude', 'random', 'channel'];

/** 0/1 keep-mask pruning the `pruneCount` lowest scores (ties: lower index first). */
export function maskFromScores(scores: ArrayLike<number>, pruneCount: number): Float32Array {
  const n = scores.length;
  const mask = new Float32Array(n).fill(1);
  const count = Math.min(Math.max(Math.round(pruneCount), 0), n);
  if (count === 0) return mask;
  const threshold = kthSmallest(scores, count - 1);
  let pruned = 0;
  for (let i = 0; i < n; i++) {
    if (scores[i]! < threshold) {
      mask[i] = 0;
      pruned++;
    }
  }
  for (let i = 0; i < n && pruned < count; i++) {
    if (scores[i] === threshold) {
      mask[i] = 0;
      pruned++;
    }
  }
  return mask;
}

/** The current keep-mask of a layer as values (all ones when it has none). */
export function currentMask(layer: QuantizedLayer): Float32Array {
  return layer.mask ? Float32Array.from(layer.mask.variable.dataSync()) : new Float32Array(layer.weight.size).fill(1);
}

/** Fraction of pruned (mask 0) weights of a layer. */
export function maskSparsity(layer: QuantizedLayer): number {
  if (!layer.mask) return 0;
  const mask = layer.mask.variable.dataSync();
  let zeros = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) zeros++;
  return zeros / mask.length;
}

/** Per-weight scores: |w| (magnitude) or uniform random; pruned entries get −∞. */
export function weightScores(layer: QuantizedLayer, method: 'magnitude' | 'random', rng?: Rng): Float64Array {
  const weights = layer.weight.variable.dataSync();
  const mask = currentMask(layer);
  const scores = new Float64Array(weights.length);
  if (method === 'random' && !rng) throw new Error('random pruning needs an rng');
  for (let i = 0; i < weights.length; i++) {
    scores[i] = mask[i] === 0 ? Number.NEGATIVE_INFINITY : method === 'magnitude' ? Math.abs(weights[i]!) : rng!.uniform();
  }
  return scores;
}

function setLayerMask(layer: QuantizedLayer, mask: Float32Array): void {
  const tensor = tf.tensor(mask, layer.weight.shape);
  layer.setMask(tensor);
  tensor.dispose();
}

function pruneCountFor(n: number, sparsity: number, alreadyPruned: number): number {
  return Math.max(Math.round(sparsity * n), alreadyPruned);
}

function countZeros(mask: ArrayLike<number>): number {
  let zeros = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) zeros++;
  return zeros;
}

/** Prunes one layer to `sparsity` by magnitude or at random. */
export function pruneUnstructured(layer: QuantizedLayer, sparsity: number, method: 'magnitude' | 'random', rng?: Rng): void {
  checkSparsity(sparsity);
  const scores = weightScores(layer, method, rng);
  const already = countZeros(currentMask(layer));
  setLayerMask(layer, maskFromScores(scores, pruneCountFor(scores.length, sparsity, already)));
}

/** Prunes several layers jointly by magnitude: one threshold over all their weights. */
export function pruneGlobalMagnitude(layers: QuantizedLayer[], sparsity: number): void {
  checkSparsity(sparsity);
  const perLayer = layers.map((layer) => weightScores(layer, 'magnitude'));
  const total = perLayer.reduce((sum, scores) => sum + scores.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const scores of perLayer) {
    all.set(scores, offset);
    offset += scores.length;
  }
  const already = layers.reduce((sum, layer) => sum + countZeros(currentMask(layer)), 0);
  const mask = maskFromScores(all, pruneCountFor(total, sparsity, already));
  offset = 0;
  layers.forEach((layer, i) => {
    const size = perLayer[i]!.length;
    setLayerMask(layer, mask.subarray(offset, offset + size));
    offset += size;
  });
}

/** Structured pruning: removes whole output channels with the smallest L1 norm. */
export function pruneChannels(layer: QuantizedLayer, sparsity: number): void {
  checkSparsity(sparsity);
  const shape = layer.weight.shape;
  const channels = shape[shape.length - 1]!;
  const weights = layer.weight.variable.dataSync();
  const mask = currentMask(layer);
  const norms = new Float64Array(channels);
  const alive = new Uint8Array(channels);
  for (let i = 0; i < weights.length; i++) {
    const c = i % channels;
    norms[c]! += Math.abs(weights[i]! * mask[i]!);
    if (mask[i] !== 0) alive[c] = 1;
  }
  let deadChannels = 0;
  for (let c = 0; c < channels; c++) {
    if (!alive[c]) {
      norms[c] = Number.NEGATIVE_INFINITY;
      deadChannels++;
    }
  }
  const channelMask = maskFromScores(norms, pruneCountFor(channels, sparsity, deadChannels));
  const full = new Float32Array(weights.length);
  for (let i = 0; i < full.length; i++) full[i] = channelMask[i % channels]! * mask[i]!;
  setLayerMask(layer, full);
}

/** Prunes layers to `sparsity` with one method; `scope` 'global' applies to magnitude only. */
export function pruneLayers(
  layers: QuantizedLayer[],
  sparsity: number,
  options: { method: PruningMethod; scope?: 'layer' | 'global'; rng?: Rng },
): void {
  if (options.method === 'magnitude' && options.scope === 'global') {
    pruneGlobalMagnitude(layers, sparsity);
    return;
  }
  for (const layer of layers) {
    if (options.method === 'channel') pruneChannels(layer, sparsity);
    else pruneUnstructured(layer, sparsity, options.method, options.rng);
  }
}

function checkSparsity(sparsity: number): void {
  if (!(sparsity >= 0 && sparsity <= 1)) throw new RangeError(`sparsity must be in [0, 1], got ${sparsity}`);
}
