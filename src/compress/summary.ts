/**
 * Model summary in the manner of larq's `lq.models.summary`: walks the weight layers and counts
 * what storing and running the compressed model costs.
 *
 *   applyPolicy(model, resolvePolicy('bipointnet'), { rng });
 *   const summary = summarizeModel(model, { points: 1024 });
 *   console.log(formatSummary(summary));     // or JSON.stringify(summary)
 *
 * Per weight layer: weight count, code bits (1 binary, 2 ternary, k, 32 float), sparsity, packed
 * bytes and MACs by precision. Accounting rules:
 *   - Codes are packed densely at their bit width (the packed format of src/deploy). Ternary zeros
 *     cost nothing extra: they are one of the 2-bit codes; they are reported as sparsity.
 *   - A pruned layer (a mask, or a pruning target in the policy) may instead store a bitmap of the
 *     kept positions (1 bit per weight) plus the kept codes (1 bit for binary and ternary: the sign;
 *     k or 32 bits otherwise), whichever is smaller; binary codes have no zero, so a pruned binary
 *     layer always uses the bitmap. Sizes assume the pruning target is reached (`sparsity` =
 *     max(measured zeros, target)), so a summary before training shows the size after it.
 *   - Scales are float32: per-layer or per-channel quantizer scales (XNOR α, TWN α, TTQ Wp/Wn, LSQ
 *     steps for weights and activations) and the LSR scale. Biases are float32.
 *   - BatchNorm is counted as float32, all four vectors (γ, β, running mean, running variance), as
 *     larq counts its parameters. (At inference BN folds into two vectors, or into one threshold
 *     per channel before a sign(); counting all four keeps the ratio conservative.)
 *   - The float32 size is every parameter of the uncompressed model (weights, biases, BN) at 32
 *     bits; `compression_ratio` = float32_bytes / packed_bytes.
 *   - MACs come from one forward pass on one example (for point models [1, points, channels]), in
 *     eval mode, keyed `w<weight bits>a<input bits>` (e.g. w1a1 = XNOR-popcount, w32a32 = float).
 *     Per-point layers scale with the number of points, the head does not. BOPs = Σ MACs·b_w·b_a.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Linear } from '../nn/layers/linear.ts';
import type { QuantizedLayer } from '../nn/layers/quantized-layer.ts';
import type { Module } from '../nn/module.ts';
import type { Quantizer, QuantizerGrid } from '../nn/quantizer.ts';
import type { PolicyReport } from './policy.ts';
import { CompressQuantizer } from './quantizers/base.ts';

/** The model surface the summary needs (Model from src/models satisfies it). */
export interface SummarizableModel extends Module {
  weightLayers(): Array<[string, QuantizedLayer]>;
  forward(input: { inputs: tf.Tensor; categories?: tf.Tensor1D }): { logits: tf.Tensor };
}

export interface SummaryOptions {
  /** Points per cloud for the MAC count. Default 1024. */
  points?: number;
  /** Shape of one example without the batch axis (default [points, input channels of the first Linear]). */
  inputShape?: number[];
  /** The report of `applyPolicy`: its pruning targets count as reached. */
  report?: PolicyReport;
  /** Names shown in the summary. */
  model?: string;
  policy?: string;
}

/** A quantizer's grid as the summary records it: its kind, bits and levels (not learned steps). */
export interface GridSummary {
  kind: QuantizerGrid['kind'];
  bits: number;
  levels: number | null;
}

function gridSummary(quantizer: Quantizer): GridSummary | null {
  const grid = quantizer.grid();
  return grid && { kind: grid.kind, bits: grid.bits, levels: 'levels' in grid ? grid.levels : null };
}

export interface LayerSummary {
  name: string;
  type: string;
  shape: number[];
  weight_count: number;
  bias_count: number;
  weight_quantizer: Record<string, unknown>;
  input_quantizer: Record<string, unknown>;
  /** The grids the quantizers put weights and inputs on (null: no fixed grid). */
  weight_grid: GridSummary | null;
  input_grid: GridSummary | null;
  output_scale: string;
  /** Bits per stored code: 1 binary, 2 ternary, k, 32 float. */
  weight_bits: number;
  /** Bits of the layer's input values. */
  activation_bits: number;
  /** Fraction of zero weights used for the size: max(measured, pruning target). */
  sparsity: number;
  /** Fraction of weights exactly zero in the forward pass now (pruned, ternary zeros, rounded to 0). */
  measured_sparsity: number;
  pruning_target: number | null;
  encoding: 'dense' | 'bitmap';
  /** Packed weight bits per weight (codes and bitmap; scales and bias not included). */
  bits_per_weight: number;
  /** float32 values stored besides the codes: quantizer scales or steps, output scale. */
  scale_params: number;
  /** Weights + bias + scales, in bytes. */
  packed_bytes: number;
  /** Weights + bias at float32. */
  float32_bytes: number;
  input_shape: number[] | null;
  macs: Record<string, number>;
}

export interface OtherSummary {
  name: string;
  type: string;
  params: number;
  packed_bytes: number;
  float32_bytes: number;
}

export interface ModelSummary {
  model: string | null;
  policy: string | null;
  points: number;
  input_shape: number[];
  layers: LayerSummary[];
  /** Parameters outside weight layers (BatchNorm), stored as float32. */
  other: OtherSummary[];
  total_params: number;
  packed_bytes: number;
  float32_bytes: number;
  compression_ratio: number;
  /** MACs of one forward pass on one example, by `w<bits>a<bits>`. */
  macs: Record<string, number>;
  total_macs: number;
  bops: number;
  notes: string[];
}

function storedScalars(quantizer: Module, shape: readonly number[]): number {
  return quantizer instanceof CompressQuantizer ? quantizer.storedScalars(shape) : 0;
}

function countZeros(values: ArrayLike<number>): number {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros;
}

/** Packed weight bits of a layer under the accounting rules of the module comment. */
export function packedWeightBits(count: number, bits: number, sparsity: number, pruned: boolean): { bits: number; encoding: 'dense' | 'bitmap' } {
  const zeros = Math.round(sparsity * count);
  const dense = bits === 1 && pruned && zeros > 0 ? Number.POSITIVE_INFINITY : count * bits;
  if (!pruned) return { bits: dense, encoding: 'dense' };
  const bitmap = count + (count - zeros) * (bits <= 2 ? 1 : bits);
  return bitmap < dense ? { bits: bitmap, encoding: 'bitmap' } : { bits: dense, encoding: 'dense' };
}

function inferInputShape(model: SummarizableModel, points: number): number[] {
  // Models say their own example shape (images, DGCNN's edge layers take 2C); otherwise guess.
  const described = (model as { exampleShape?: (points: number) => number[] }).exampleShape;
  if (described) return described.call(model, points);
  const first = model.weightLayers()[0]?.[1];
  if (first instanceof Linear) return [points, first.inFeatures];
  throw new Error('cannot infer the input shape of this model: pass inputShape to summarizeModel');
}

/** Records every weight layer's input shape with one eval-mode forward pass on zeros. */
function traceInputShapes(model: SummarizableModel, inputShape: number[]): void {
  const wasTraining = model.training;
  for (const [, layer] of model.weightLayers()) layer.lastInputShape = null;
  model.eval();
  try {
    tf.tidy(() => {
      model.forward({ inputs: tf.zeros([1, ...inputShape]), categories: tf.zeros([1], 'int32') as tf.Tensor1D });
    });
  } finally {
    model.train(wasTraining);
  }
}

export function summarizeModel(model: SummarizableModel, options: SummaryOptions = {}): ModelSummary {
  const points = options.points ?? 1024;
  const inputShape = options.inputShape ?? inferInputShape(model, points);
  traceInputShapes(model, inputShape);
  const targets = new Map((options.report?.layers ?? []).map((layer) => [layer.name, layer.prune?.sparsity ?? null]));

  const layers: LayerSummary[] = [];
  const layerNames = model.weightLayers().map(([name]) => name);
  for (const [name, layer] of model.weightLayers()) {
    const shape = [...layer.weight.shape];
    const count = layer.weight.size;
    const biasCount = layer.bias?.size ?? 0;
    const weightBits = layer.weightQuantizer.bits;
    const activationBits = layer.inputQuantizer.bits;
    const zeros = tf.tidy(() => countZeros(layer.effectiveWeight().dataSync()));
    const measured = zeros / count;
    const target = targets.get(name) ?? null;
    const pruned = layer.mask !== null || (target !== null && target > 0);
    const sparsity = Math.max(measured, target ?? 0);
    const packed = packedWeightBits(count, weightBits, sparsity, pruned);
    const outputScaleParams = layer.outputScale.storedScalars();
    const scaleParams = storedScalars(layer.weightQuantizer, shape) + storedScalars(layer.inputQuantizer, shape) + outputScaleParams;
    const macCount = layer.lastInputShape ? layer.macs(layer.lastInputShape) : 0;
    layers.push({
      name,
      type: layer.constructor.name,
      shape,
      weight_count: count,
      bias_count: biasCount,
      weight_quantizer: layer.weightQuantizer.describe(),
      input_quantizer: layer.inputQuantizer.describe(),
      weight_grid: gridSummary(layer.weightQuantizer),
      input_grid: gridSummary(layer.inputQuantizer),
      output_scale: layer.outputScale.kind,
      weight_bits: weightBits,
      activation_bits: activationBits,
      sparsity,
      measured_sparsity: measured,
      pruning_target: target,
      encoding: packed.encoding,
      bits_per_weight: packed.bits / count,
      scale_params: scaleParams,
      packed_bytes: Math.ceil(packed.bits / 8) + (biasCount + scaleParams) * 4,
      float32_bytes: (count + biasCount) * 4,
      input_shape: layer.lastInputShape ? [...layer.lastInputShape] : null,
      macs: macCount > 0 ? { [`w${weightBits}a${activationBits}`]: macCount } : {},
    });
  }

  // Everything else (BatchNorm): grouped by owning module, float32.
  const insideLayer = (path: string) => layerNames.some((name) => path.startsWith(`${name}.`));
  const otherByModule = new Map<string, number>();
  for (const [path, parameter] of model.namedParameters()) {
    if (insideLayer(path)) continue;
    const owner = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    otherByModule.set(owner, (otherByModule.get(owner) ?? 0) + parameter.size);
  }
  const other: OtherSummary[] = [...otherByModule].map(([name, params]) => ({
    name,
    type: model.getModule(name)?.constructor.name ?? 'Module',
    params,
    packed_bytes: params * 4,
    float32_bytes: params * 4,
  }));

  const totalParams = layers.reduce((sum, l) => sum + l.weight_count + l.bias_count, 0) + other.reduce((sum, o) => sum + o.params, 0);
  const packedBytes = layers.reduce((sum, l) => sum + l.packed_bytes, 0) + other.reduce((sum, o) => sum + o.packed_bytes, 0);
  const macs: Record<string, number> = {};
  let bops = 0;
  for (const layer of layers) {
    for (const [precision, count] of Object.entries(layer.macs)) {
      macs[precision] = (macs[precision] ?? 0) + count;
      bops += count * layer.weight_bits * layer.activation_bits;
    }
  }
  return {
    model: options.model ?? null,
    policy: options.policy ?? options.report?.policy ?? null,
    points,
    input_shape: inputShape,
    layers,
    other,
    total_params: totalParams,
    packed_bytes: packedBytes,
    float32_bytes: totalParams * 4,
    compression_ratio: (totalParams * 4) / packedBytes,
    macs,
    total_macs: Object.values(macs).reduce((sum, count) => sum + count, 0),
    bops,
    notes: [
      'BatchNorm counted as float32 (γ, β, running mean, running variance)',
      'scales, steps and biases counted as float32',
      'MACs for one example; per-point layers scale with the number of points',
      ...shortcutNote(options.report),
    ],
  };
}

/** Shortcuts hold no weights, so only a note: their float additions are not MACs. */
function shortcutNote(report: PolicyReport | undefined): string[] {
  const blocks = report?.model.shortcuts ?? [];
  return blocks.length === 0 ? [] : [`real-valued shortcuts around ${blocks.length} blocks (${blocks.join(', ')}): one float addition per output value, no weights`];
}

function formatCount(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return String(value);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** A quantizer's column in the table: 'fp32' on the float grid, else its kind and parameters. */
function quantizerLabel(description: Record<string, unknown>, grid: GridSummary | null): string {
  if (grid?.kind === 'float') return 'fp32';
  const extras: string[] = [];
  if (description['scaling'] && description['scaling'] !== 'none') extras.push(`α/${description['scaling']}`);
  if (grid?.kind === 'uniform') extras.push(`${grid.bits}b`);
  if (description['perChannel']) extras.push('ch');
  if (description['sparsity'] !== undefined) extras.push(`s=${description['sparsity']}`);
  const kind = String(description['kind']);
  return extras.length > 0 ? `${kind}(${extras.join(',')})` : kind;
}

/** A text table for the terminal. */
export function formatSummary(summary: ModelSummary): string {
  const header = ['layer', 'shape', 'weights', 'inputs', 'bits/w', 'sparsity', 'packed', 'float32', 'MACs'];
  const rows = summary.layers.map((layer) => [
    layer.name + (layer.output_scale !== 'identity' ? ` [${layer.output_scale}]` : ''),
    layer.shape.join('×'),
    quantizerLabel(layer.weight_quantizer, layer.weight_grid),
    quantizerLabel(layer.input_quantizer, layer.input_grid),
    layer.bits_per_weight.toFixed(layer.bits_per_weight < 10 ? 2 : 1),
    `${(layer.sparsity * 100).toFixed(1)}%`,
    formatBytes(layer.packed_bytes),
    formatBytes(layer.float32_bytes),
    Object.entries(layer.macs)
      .map(([precision, count]) => `${formatCount(count)} ${precision}`)
      .join(', '),
  ]);
  const otherByType = new Map<string, { modules: number; params: number; bytes: number }>();
  for (const entry of summary.other) {
    const sum = otherByType.get(entry.type) ?? { modules: 0, params: 0, bytes: 0 };
    sum.modules++;
    sum.params += entry.params;
    sum.bytes += entry.packed_bytes;
    otherByType.set(entry.type, sum);
  }
  for (const [type, sum] of otherByType) {
    rows.push([`${type} ×${sum.modules}`, '', 'fp32', '', '32.00', '', formatBytes(sum.bytes), formatBytes(sum.bytes), '']);
  }
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 || i === 2 || i === 3 || i === 8 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const macs = Object.entries(summary.macs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([precision, count]) => `${formatCount(count)} ${precision}`)
    .join(', ');
  const title = [summary.model && `model ${summary.model}`, summary.policy && `policy ${summary.policy}`, `input [${summary.input_shape.join(', ')}]`]
    .filter(Boolean)
    .join(' · ');
  return [
    title,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `total params       ${summary.total_params.toLocaleString('en-US')}`,
    `packed size        ${formatBytes(summary.packed_bytes)} (${summary.packed_bytes.toLocaleString('en-US')} bytes)`,
    `float32 size       ${formatBytes(summary.float32_bytes)} (${summary.float32_bytes.toLocaleString('en-US')} bytes)`,
    `compression ratio  ${summary.compression_ratio.toFixed(2)}×`,
    `MACs per cloud     ${macs} (${summary.points} points)`,
    `BOPs               ${formatCount(summary.bops)}`,
    ...summary.notes.map((note) => `note: ${note}`),
  ].join('\n');
}
