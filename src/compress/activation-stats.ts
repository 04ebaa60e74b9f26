/**
 * How well each quantized input's grid fits the values it sees: for a k-bit uniform quantizer
 * (LSQ, DoReFa) the share of values clipped at either end, the codes in use, and per channel how
 * many distinct codes and how many steps of spread the values have; for sign activations the
 * share of +1 and the entropy per channel (BiPointNet's argument: a channel that is almost always
 * +1 carries almost no information).
 *
 *   const stats = new ActivationStats(model);   // hooks every quantized input
 *   …forward passes in evaluation mode…
 *   const report = stats.finish();              // unhooks
 *
 * The statistics are over every value a channel takes (all points of all clouds for per-point
 * layers; one value per cloud for a layer after the max over points).
 */
import type { Model } from '../models/model.ts';
import type { QuantizedLayer } from '../nn/layers/quantized-layer.ts';
import type { Quantizer } from '../nn/quantizer.ts';
import { ApproxSign, SteSign } from './quantizers/binary.ts';
import { DoReFa, Lsq } from './quantizers/kbit.ts';

export interface UniformInputStats {
  layer: string;
  kind: 'uniform';
  quantizer: string;
  bits: number;
  /** The step (the mean over channels for per-channel steps) and the code range [min, max]. */
  step: number;
  codes: [number, number];
  values: number;
  clippedLow: number;
  clippedHigh: number;
  /** Distinct codes used by the whole input, of max − min + 1. */
  codesUsed: number;
  /** Mean over channels of the distinct codes each channel uses. */
  codesPerChannel: number;
  /** Median over channels of the standard deviation of x / step. */
  channelStdInSteps: number;
  /** Channels whose values all fall on one code. */
  constantChannels: number;
  channels: number;
}

export interface SignInputStats {
  layer: string;
  kind: 'sign';
  quantizer: string;
  values: number;
  /** Share of values ≥ 0 (coded +1). */
  positive: number;
  /** Mean over channels of the binary entropy of the channel's sign, in bits (1 = balanced). */
  entropyBits: number;
  /** Channels whose sign never changes. */
  constantChannels: number;
  channels: number;
}

export type InputStats = UniformInputStats | SignInputStats;

interface Grid {
  step: Float32Array;
  min: number;
  max: number;
}

/** The grid a quantizer puts its input on, or null (float inputs, sign, unknown kinds). */
function gridOf(quantizer: Quantizer, channels: number): Grid | null {
  if (quantizer instanceof Lsq) {
    const raw = quantizer.step.variable.dataSync() as Float32Array;
    const { negative, positive } = quantizer.levels();
    return { step: Float32Array.from({ length: channels }, (_, c) => Math.max(raw.length === 1 ? raw[0]! : raw[c]!, 1e-12)), min: negative > 0 ? -negative : 0, max: positive };
  }
  if (quantizer instanceof DoReFa) {
    const levels = 2 ** quantizer.bits - 1;
    return { step: new Float32Array(channels).fill(1 / levels), min: 0, max: levels };
  }
  return null;
}

const isSign = (quantizer: Quantizer) => quantizer instanceof SteSign || quantizer instanceof ApproxSign;

class UniformAccumulator {
  private readonly width: number;
  private readonly histogram: Float64Array;
  private readonly sum: Float64Array;
  private readonly sumSquares: Float64Array;
  private values = 0;
  private clippedLow = 0;
  private clippedHigh = 0;

  constructor(
    private readonly layer: string,
    private readonly quantizer: Quantizer,
    private readonly channels: number,
    private readonly grid: Grid,
  ) {
    this.width = grid.max - grid.min + 1;
    this.histogram = new Float64Array(channels * this.width);
    this.sum = new Float64Array(channels);
    this.sumSquares = new Float64Array(channels);
  }

  add(x: Float32Array): void {
    const { step, min, max } = this.grid;
    const C = this.channels;
    for (let i = 0; i < x.length; i++) {
      const c = i % C;
      const v = x[i]! / step[c]!;
      this.sum[c]! += v;
      this.sumSquares[c]! += v * v;
      let code = roundHalfToEven(v);
      if (v < min) {
        code = min;
        this.clippedLow++;
      } else if (v > max) {
        code = max;
        this.clippedHigh++;
      }
      this.histogram[c * this.width + Math.min(Math.max(code, min), max) - min]! += 1;
    }
    this.values += x.length;
  }

  finish(): UniformInputStats {
    const C = this.channels;
    const perChannel = this.values / C;
    const used = new Uint8Array(this.width);
    const distinct: number[] = [];
    const spread: number[] = [];
    for (let c = 0; c < C; c++) {
      let count = 0;
      for (let k = 0; k < this.width; k++) {
        if (this.histogram[c * this.width + k]! > 0) {
          count++;
          used[k] = 1;
        }
      }
      distinct.push(count);
      const mean = this.sum[c]! / perChannel;
      spread.push(Math.sqrt(Math.max(this.sumSquares[c]! / perChannel - mean * mean, 0)));
    }
    const step = this.grid.step.reduce((a, b) => a + b, 0) / C;
    return {
      layer: this.layer,
      kind: 'uniform',
      quantizer: this.quantizer.kind,
      bits: this.quantizer.bits,
      step,
      codes: [this.grid.min, this.grid.max],
      values: this.values,
      clippedLow: this.clippedLow / this.values,
      clippedHigh: this.clippedHigh / this.values,
      codesUsed: used.reduce((a, b) => a + b, 0),
      codesPerChannel: distinct.reduce((a, b) => a + b, 0) / C,
      channelStdInSteps: median(spread),
      constantChannels: distinct.filter((d) => d === 1).length,
      channels: C,
    };
  }
}

class SignAccumulator {
  private readonly positive: Float64Array;
  private values = 0;

  constructor(
    private readonly layer: string,
    private readonly quantizer: Quantizer,
    private readonly channels: number,
  ) {
    this.positive = new Float64Array(channels);
  }

  add(x: Float32Array): void {
    const C = this.channels;
    for (let i = 0; i < x.length; i++) if (x[i]! >= 0) this.positive[i % C]! += 1;
    this.values += x.length;
  }

  finish(): SignInputStats {
    const C = this.channels;
    const perChannel = this.values / C;
    let entropy = 0;
    let constant = 0;
    for (let c = 0; c < C; c++) {
      const p = this.positive[c]! / perChannel;
      if (p === 0 || p === 1) constant++;
      else entropy += -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
    }
    return {
      layer: this.layer,
      kind: 'sign',
      quantizer: this.quantizer.kind,
      values: this.values,
      positive: this.positive.reduce((a, b) => a + b, 0) / this.values,
      entropyBits: entropy / C,
      constantChannels: constant,
      channels: C,
    };
  }
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Observes the quantized inputs of a model's weight layers until `finish`. */
export class ActivationStats {
  private readonly accumulators: Array<{ name: string; layer: QuantizedLayer; stats: UniformAccumulator | SignAccumulator | null }> = [];

  constructor(model: Pick<Model, 'weightLayers'>) {
    for (const [name, layer] of model.weightLayers()) {
      const quantizer = layer.inputQuantizer;
      if (quantizer.kind === 'identity') continue;
      const entry = { name, layer, stats: null as UniformAccumulator | SignAccumulator | null };
      this.accumulators.push(entry);
      layer.inputObserver = (x) => {
        const channels = x.shape[x.shape.length - 1]!;
        if (!entry.stats) {
          const grid = gridOf(quantizer, channels);
          if (grid) entry.stats = new UniformAccumulator(name, quantizer, channels, grid);
          else if (isSign(quantizer)) entry.stats = new SignAccumulator(name, quantizer, channels);
          else return;
        }
        entry.stats.add(x.dataSync() as Float32Array);
      };
    }
  }

  /** The statistics of every observed layer, in the model's layer order; removes the hooks. */
  finish(): InputStats[] {
    const result: InputStats[] = [];
    for (const { layer, stats } of this.accumulators) {
      layer.inputObserver = null;
      if (stats) result.push(stats.finish());
    }
    return result;
  }
}

/** A fixed-width table of the statistics. */
export function formatActivationStats(stats: readonly InputStats[]): string {
  const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
  const uniform = stats.filter((s): s is UniformInputStats => s.kind === 'uniform');
  const sign = stats.filter((s): s is SignInputStats => s.kind === 'sign');
  const lines: string[] = [];
  if (uniform.length > 0) {
    const rows = uniform.map((s) => [
      s.layer,
      `${s.quantizer} ${s.bits}b`,
      s.step.toPrecision(4),
      `${s.codesUsed}/${s.codes[1] - s.codes[0] + 1}`,
      s.codesPerChannel.toFixed(2),
      s.channelStdInSteps.toFixed(2),
      `${s.constantChannels}/${s.channels}`,
      pct(s.clippedLow),
      pct(s.clippedHigh),
    ]);
    lines.push(...table(['layer (input)', 'quantizer', 'step', 'codes used', 'codes/channel', 'std/step (median)', 'constant ch.', 'clipped low', 'clipped high'], rows));
  }
  if (sign.length > 0) {
    if (lines.length > 0) lines.push('');
    const rows = sign.map((s) => [s.layer, s.quantizer, pct(s.positive), s.entropyBits.toFixed(3), `${s.constantChannels}/${s.channels}`]);
    lines.push(...table(['layer (input)', 'quantizer', '+1 share', 'entropy (bits/ch.)', 'constant ch.'], rows));
  }
  return lines.length > 0 ? lines.join('\n') : 'no quantized inputs';
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

/** Rounds as tf.round does (halves to the even neighbour), so the codes counted are the codes used. */
function roundHalfToEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
