/**
 * The compression numbers a sweep records for a trained model: packed size, float32 size, ratio
 * and measured sparsity (fraction of weights exactly zero in the forward pass), from the
 * compression module's `summarizeModel`. Should the summary fail for a model, they are counted
 * here from the layers (weights at their quantizer's bits, a 1-bit mask for pruned layers, every
 * other parameter at 32 bits) and `summary.source` says so.
 */
import * as tf from '@tensorflow/tfjs-core';
import { summarizeModel } from '../compress/summary.ts';
import type { Model } from '../models/model.ts';
import type { CompressionFigures } from './store.ts';

/** From `summarizeModel` (src/compress/summary.ts); counted here only if the summary fails. */
export function compressionFigures(model: Model, options: { points: number; inputShape?: number[] }): CompressionFigures {
  let summary: ReturnType<typeof summarizeModel>;
  try {
    summary = summarizeModel(model, options);
  } catch (error) {
    if (process.env['BITPOINT_DEBUG']) console.error(error);
    const counted = countedFigures(model);
    return { ...counted, summary: { ...counted.summary, summary_error: (error as Error).message } };
  }
  const weights = summary.layers.reduce((n, layer) => n + layer.weight_count, 0);
  const zeros = summary.layers.reduce((n, layer) => n + layer.measured_sparsity * layer.weight_count, 0);
  const { layers, other: _other, ...totals } = summary;
  return {
    packedBytes: summary.packed_bytes,
    float32Bytes: summary.float32_bytes,
    compressionRatio: summary.compression_ratio,
    measuredSparsity: weights > 0 ? zeros / weights : 0,
    // the per-layer part without MAC details, to keep the row small
    summary: { source: 'compress/summary.ts summarizeModel', ...totals, layers: layers.map((l) => ({ name: l.name, weight_bits: l.weight_bits, activation_bits: l.activation_bits, sparsity: l.sparsity, measured_sparsity: l.measured_sparsity, encoding: l.encoding, packed_bytes: l.packed_bytes, float32_bytes: l.float32_bytes })) },
  };
}

/** Sizes counted from the layers, for when the compression module has no summary. */
export function countedFigures(model: Model): CompressionFigures {
  let packedBits = 0;
  let floatBytes = 0;
  let weightCount = 0;
  let prunedCount = 0;
  const weightPaths = new Set<string>();
  for (const [name, layer] of model.weightLayers()) {
    const size = layer.weight.size;
    weightPaths.add(`${name ? `${name}.` : ''}weight`);
    if (layer.mask) weightPaths.add(`${name ? `${name}.` : ''}mask`);
    const kept = layer.mask ? tf.tidy(() => tf.sum(layer.mask!.variable).dataSync()[0]!) : size;
    weightCount += size;
    prunedCount += size - kept;
    packedBits += kept * layer.weightQuantizer.bits + (layer.mask ? size : 0);
    floatBytes += size * 4;
  }
  for (const [path, parameter] of model.namedParameters()) {
    if (weightPaths.has(path)) continue;
    packedBits += parameter.size * 32;
    floatBytes += parameter.size * 4;
  }
  const packedBytes = Math.ceil(packedBits / 8);
  return {
    packedBytes,
    float32Bytes: floatBytes,
    compressionRatio: packedBytes > 0 ? floatBytes / packedBytes : null,
    measuredSparsity: weightCount > 0 ? prunedCount / weightCount : 0,
    summary: { source: 'counted by experiments/compression.ts (weights at their quantizer bits, a 1-bit mask per pruned layer, other parameters 32-bit)' },
  };
}
