/**
 * Lottery tickets (Frankle & Carbin 2019; rewinding: Frankle et al. 2020): train, prune the
 * smallest weights, reset the survivors to their values at initialization (or at an early step k)
 * and train again; repeat. The building blocks:
 *
 *   const init = captureWeights(model);            // every parameter except the masks
 *   …train…
 *   pruneLayers(layers, 0.2, { method: 'magnitude' });
 *   rewindWeights(model, init);                    // back to init, masks kept, pruned weights 0
 *   disposeWeights(init);
 *
 * and a driver that runs the whole loop with a train function the caller supplies:
 *
 *   const result = await iterativeMagnitudePruning(model, {
 *     rounds: 5, pruneFraction: 0.2, rewind: 'captured',
 *     train: async (round, { captureRewindPoint }) => { …; if (round === 0 && step === k) captureRewindPoint(); …; return accuracy; },
 *   });
 *   // result.rounds: [{ round: 0, sparsity: 0, result: acc0 }, { round: 1, sparsity: 0.2, … }, …]
 *
 * Each round after the first prunes `pruneFraction` of the weights still alive, so after r
 * prunings the sparsity is 1 − (1 − p)^r. The train function should build a fresh optimizer each
 * round (optimizer moments belong to the run being rewound).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { QuantizedLayer } from '../../nn/layers/quantized-layer.ts';
import type { Module } from '../../nn/module.ts';
import type { Parameter } from '../../nn/parameter.ts';
import { pruneLayers, maskSparsity } from './masks.ts';

/** Parameter values by hierarchical path (the caller disposes them with `disposeWeights`). */
export type WeightSnapshot = Map<string, tf.Tensor>;

interface PrunableModel extends Module {
  weightLayers(): Array<[string, QuantizedLayer]>;
}

function maskParameters(model: PrunableModel): Set<Parameter> {
  return new Set(model.weightLayers().flatMap(([, layer]) => (layer.mask ? [layer.mask] : [])));
}

/** A copy of every parameter (weights, biases, BatchNorm state, quantizer state), masks excluded. */
export function captureWeights(model: PrunableModel): WeightSnapshot {
  const masks = maskParameters(model);
  const snapshot: WeightSnapshot = new Map();
  for (const [path, parameter] of model.namedParameters()) {
    if (!masks.has(parameter)) snapshot.set(path, tf.keep(tf.clone(parameter.variable)));
  }
  return snapshot;
}

/** Restores captured values, keeps the current masks and zeroes the pruned weights again. */
export function rewindWeights(model: PrunableModel, snapshot: WeightSnapshot): void {
  const masks = maskParameters(model);
  const parameters = model.namedParameters().filter(([, parameter]) => !masks.has(parameter));
  const missing = parameters.filter(([path]) => !snapshot.has(path)).map(([path]) => path);
  if (missing.length > 0) throw new Error(`snapshot has no value for ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ' …' : ''}`);
  for (const [path, parameter] of parameters) parameter.assign(snapshot.get(path)!);
  for (const [, layer] of model.weightLayers()) {
    const mask = layer.mask;
    if (mask) tf.tidy(() => layer.weight.assign(tf.mul(layer.weight.variable, mask.variable)));
  }
}

export function disposeWeights(snapshot: WeightSnapshot): void {
  for (const tensor of snapshot.values()) tensor.dispose();
  snapshot.clear();
}

export interface IterativePruningOptions<T> {
  /** Number of prune–rewind–retrain cycles after the first (dense) training. */
  rounds: number;
  /** Fraction of the remaining weights pruned each round (Frankle & Carbin: 0.2). */
  pruneFraction?: number;
  /** 'init': rewind to the weights at the call; 'captured': to where `captureRewindPoint` was called in round 0. */
  rewind?: 'init' | 'captured';
  /** 'layer': every layer loses the same fraction; 'global': one magnitude threshold over all. */
  scope?: 'layer' | 'global';
  /** Which layers to prune (default: all weight layers). */
  layers?: (name: string, layer: QuantizedLayer) => boolean;
  /** Trains the model for one round and returns whatever should be recorded (e.g. test accuracy). */
  train: (round: number, hooks: { captureRewindPoint: () => void }) => Promise<T> | T;
}

export interface IterativePruningRound<T> {
  round: number;
  /** Fraction of pruned weights among the pruned layers during this round's training. */
  sparsity: number;
  result: T;
}

/** Iterative magnitude pruning with rewinding (see the module comment). */
export async function iterativeMagnitudePruning<T>(
  model: PrunableModel,
  options: IterativePruningOptions<T>,
): Promise<{ rounds: Array<IterativePruningRound<T>> }> {
  const pruneFraction = options.pruneFraction ?? 0.2;
  if (!(pruneFraction > 0 && pruneFraction < 1)) throw new RangeError(`pruneFraction must be in (0, 1), got ${pruneFraction}`);
  if (!(Number.isInteger(options.rounds) && options.rounds >= 0)) throw new RangeError(`rounds must be an integer ≥ 0, got ${options.rounds}`);
  const rewind = options.rewind ?? 'init';
  const layers = model.weightLayers().filter(([name, layer]) => options.layers?.(name, layer) ?? true).map(([, layer]) => layer);
  if (layers.length === 0) throw new Error('iterativeMagnitudePruning: no layer selected for pruning');
  const sparsityOf = () => {
    const total = layers.reduce((sum, layer) => sum + layer.weight.size, 0);
    return layers.reduce((sum, layer) => sum + maskSparsity(layer) * layer.weight.size, 0) / total;
  };

  let snapshot: WeightSnapshot | null = rewind === 'init' ? captureWeights(model) : null;
  const results: Array<IterativePruningRound<T>> = [];
  try {
    for (let round = 0; round <= options.rounds; round++) {
      if (round > 0) {
        if (!snapshot) throw new Error("rewind 'captured': the train function did not call captureRewindPoint() in round 0");
        pruneLayers(layers, 1 - (1 - pruneFraction) ** round, { method: 'magnitude', scope: options.scope ?? 'layer' });
        rewindWeights(model, snapshot);
      }
      const captureRewindPoint = () => {
        if (rewind !== 'captured' || round !== 0) return;
        if (snapshot) disposeWeights(snapshot);
        snapshot = captureWeights(model);
      };
      const sparsity = sparsityOf();
      results.push({ round, sparsity, result: await options.train(round, { captureRewindPoint }) });
    }
  } finally {
    if (snapshot) disposeWeights(snapshot);
  }
  return { rounds: results };
}
