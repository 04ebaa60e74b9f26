/**
 * Compact weight histograms of a trained run, stored with its results so that reports can show how
 * the weight distribution looks before and after compression without keeping the checkpoints.
 *
 *   const histograms = weightHistograms(trainedModel, initialModel, 'checkpoints/last.safetensors');
 *
 * Three kinds per weight layer and over all weight layers together (`layer = '*'`):
 *  - `initial`:   the weights the run started from (the model rebuilt from its seed and initializer);
 *  - `latent`:    the trained float weights the optimizer updated (read from the checkpoint);
 *  - `effective`: what the forward pass uses, `QuantizedLayer.effectiveWeight()`, i.e. the latent
 *                 weights masked by the pruning mask and passed through the weight quantizer of the
 *                 compression policy. For a full-precision run it equals `latent`.
 * Bins are equal-width over a symmetric range [-r, r], r = the 99.9th percentile of |w| (values
 * beyond it land in the edge bins), so one outlier does not flatten the picture.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/model.ts';
import type { WeightHistogram } from './store.ts';

export const HISTOGRAM_BINS = 48;
const DISTINCT_CAP = 1000;

export function weightHistograms(trained: Model, initial: Model | null, checkpointLabel: string): WeightHistogram[] {
  const out: WeightHistogram[] = [];
  const kinds: Array<{ kind: WeightHistogram['kind']; model: Model; read: (layer: ReturnType<Model['weightLayers']>[number][1]) => Float32Array; source: string }> = [];
  if (initial) kinds.push({ kind: 'initial', model: initial, read: (layer) => layer.weight.variable.dataSync() as Float32Array, source: 'model rebuilt from the run seed and initializer' });
  kinds.push({ kind: 'latent', model: trained, read: (layer) => layer.weight.variable.dataSync() as Float32Array, source: `${checkpointLabel}: latent weights` });
  kinds.push({
    kind: 'effective',
    model: trained,
    // Read inside tidy: for an unquantized, unmasked layer effectiveWeight() is the variable itself.
    read: (layer) => tf.tidy(() => Float32Array.from(layer.effectiveWeight().dataSync())),
    source: `${checkpointLabel}: effectiveWeight() (mask, then weight quantizer)`,
  });
  for (const { kind, model, read, source } of kinds) {
    const layers = model.weightLayers().map(([name, layer]) => [name, Float32Array.from(read(layer))] as const);
    for (const [name, values] of layers) out.push(histogramOf(name, kind, source, values));
    const all = new Float32Array(layers.reduce((n, [, v]) => n + v.length, 0));
    let offset = 0;
    for (const [, values] of layers) (all.set(values, offset), (offset += values.length));
    out.push(histogramOf('*', kind, source, all));
  }
  return out;
}

export function histogramOf(layer: string, kind: WeightHistogram['kind'], source: string, values: Float32Array, bins = HISTOGRAM_BINS): WeightHistogram {
  const range = symmetricRange(values);
  const counts = new Array<number>(bins).fill(0);
  let zeros = 0;
  const distinct = new Set<number>();
  for (const v of values) {
    if (v === 0) zeros++;
    if (distinct.size <= DISTINCT_CAP) distinct.add(v);
    const bin = range === 0 ? Math.floor(bins / 2) : Math.floor(((v + range) / (2 * range)) * bins);
    counts[Math.min(bins - 1, Math.max(0, bin))]!++;
  }
  return { layer, kind, source, lo: -range, hi: range, counts, total: values.length, zeros, distinctValues: Math.min(distinct.size, DISTINCT_CAP) };
}

/** The 99.9th percentile of |v| (the maximum for few distinct values, so binary spikes stay inside). */
function symmetricRange(values: Float32Array): number {
  if (values.length === 0) return 0;
  const magnitudes = Float32Array.from(values, Math.abs).sort();
  const max = magnitudes[magnitudes.length - 1]!;
  const quantile = magnitudes[Math.min(magnitudes.length - 1, Math.floor(0.999 * magnitudes.length))]!;
  // A value slightly above the largest kept magnitude, so ±r itself falls inside the edge bins.
  const r = quantile > 0 ? quantile : max;
  return r * (1 + 1e-6);
}
