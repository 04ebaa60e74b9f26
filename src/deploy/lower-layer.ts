/**
 * Lowers one quantization-aware layer (with the BatchNorm and activation after it) to a `dense`
 * op of the packed program: its weights as codes, everything affine folded into a per-channel
 * scale and shift. The values come from the model itself in evaluation mode (`effectiveWeight()`,
 * BatchNorm's running statistics), so the engine computes what the trained model computes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchNorm } from '../nn/layers/batch-norm.ts';
import type { QuantizedLayer } from '../nn/layers/quantized-layer.ts';
import type { Quantizer } from '../nn/quantizer.ts';
import { packUints, ternaryCode } from './codes.ts';
import type { TensorData } from './format.ts';
import type { ActivationName, DenseOp, InputQuantization, WeightEncoding, WeightRef } from './program.ts';

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** Collects the tensors of a program under unique names. */
export class TensorTable {
  readonly tensors = new Map<string, TensorData>();

  add(name: string, data: TensorData): string {
    if (this.tensors.has(name)) throw new ExportError(`tensor ${name} is written twice`);
    this.tensors.set(name, data);
    return name;
  }

  float32(name: string, values: ArrayLike<number>): string {
    return this.add(name, { dtype: 'float32', values: Float32Array.from(values) });
  }

  int32(name: string, values: ArrayLike<number>): string {
    return this.add(name, { dtype: 'int32', values: Int32Array.from(values) });
  }

  codes(name: string, values: ArrayLike<number>, bits: number): string {
    return this.add(name, { dtype: 'codes', bits, count: values.length, bytes: packUints(values, bits) });
  }

  /** Drops a tensor no op reads any more (it would only take space in the file). */
  remove(name: string): void {
    if (!this.tensors.delete(name)) throw new ExportError(`tensor ${name} is not in the table`);
  }
}

/** Weight values in units and the per-output-channel factor that turns units into values. */
interface EncodedWeights {
  encoding: WeightEncoding;
  /** Codes of every (kept) weight, [in, out] order. */
  codes: number[];
  bits: number;
  /** value = unitScale[o] · unit */
  unitScale: Float32Array;
  negativeRatio: Float32Array | null;
}

const relativelyEqual = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b), 1e-30);

/**
 * Codes for quantized weights `values` [rows, out] (rows = every input position) on the grid the
 * weight quantizer reports; `kept` marks unpruned weights (null: all). The values are checked to
 * lie on that grid, so a quantizer that misreports its grid fails the export instead of writing
 * wrong codes.
 */
function encodeWeights(layerName: string, quantizer: Quantizer, values: Float32Array, out: number, kept: Uint8Array | null): EncodedWeights {
  const isKept = (i: number) => kept === null || kept[i] === 1;
  const grid = quantizer.grid();
  const perChannel = (pick: (v: number) => number | null) => {
    const result = new Float32Array(out);
    for (let i = 0; i < values.length; i++) {
      if (!isKept(i)) continue;
      const candidate = pick(values[i]!);
      if (candidate !== null && candidate > result[i % out]!) result[i % out] = candidate;
    }
    return result;
  };
  const codes: number[] = [];
  switch (grid?.kind) {
    case 'float': {
      for (let i = 0; i < values.length; i++) if (isKept(i)) codes.push(values[i]!);
      return { encoding: { kind: 'float32' }, codes, bits: 32, unitScale: new Float32Array(out).fill(1), negativeRatio: null };
    }
    case 'binary': {
      const alpha = perChannel((v) => Math.abs(v));
      for (let i = 0; i < values.length; i++) {
        if (!isKept(i)) continue;
        const v = values[i]!;
        if (!relativelyEqual(Math.abs(v), alpha[i % out]!)) throw new ExportError(`${layerName}: weight ${v} at ${i} is not ±${alpha[i % out]} (not binary)`);
        codes.push(v >= 0 ? 1 : 0);
      }
      return { encoding: { kind: 'binary' }, codes, bits: 1, unitScale: alpha, negativeRatio: null };
    }
    case 'ternary': {
      const positive = perChannel((v) => (v > 0 ? v : null));
      const negative = perChannel((v) => (v < 0 ? -v : null));
      let symmetric = true;
      for (let o = 0; o < out; o++) {
        if (positive[o] === 0) positive[o] = negative[o]!;
        if (negative[o] === 0) negative[o] = positive[o]!;
        if (positive[o] !== negative[o]) symmetric = false;
      }
      for (let i = 0; i < values.length; i++) {
        const v = isKept(i) ? values[i]! : 0;
        const o = i % out;
        if (v !== 0 && !relativelyEqual(v, v > 0 ? positive[o]! : -negative[o]!)) throw new ExportError(`${layerName}: weight ${v} at ${i} is not one of 0, +${positive[o]}, −${negative[o]} (not ternary)`);
        codes.push(ternaryCode(v));
      }
      const ratio = symmetric ? null : Float32Array.from(negative, (n, o) => (positive[o]! > 0 ? n / positive[o]! : 1));
      return { encoding: { kind: 'ternary', negativeRatio: null }, codes, bits: 2, unitScale: positive, negativeRatio: ratio };
    }
    case 'uniform': {
      const bits = grid.bits;
      const step = new Float32Array(out);
      for (let o = 0; o < out; o++) step[o] = Math.max(grid.step.length === 1 ? grid.step[0]! : grid.step[o]!, 1e-12);
      // codes are units shifted to start at 0
      const zero = -grid.min;
      for (let i = 0; i < values.length; i++) {
        if (!isKept(i)) continue;
        const o = i % out;
        const code = Math.round(values[i]! / step[o]! + zero);
        if (code < 0 || code >= 2 ** bits || Math.abs((code - zero) * step[o]! - values[i]!) > 1e-4 * Math.max(step[o]!, Math.abs(values[i]!))) {
          throw new ExportError(`${layerName}: weight ${values[i]} at ${i} is not on the ${bits}-bit grid of step ${step[o]}`);
        }
        codes.push(code);
      }
      return { encoding: { kind: 'uint', bits, zero }, codes, bits, unitScale: step, negativeRatio: null };
    }
    default:
      throw new ExportError(`${layerName}: the weight quantizer '${quantizer.kind}' cannot be exported`);
  }
}

/** How the layer's input quantizer maps its input, on the grid it reports. */
function inputQuantization(layerName: string, quantizer: Quantizer): { quantization: InputQuantization; unitScale: number } {
  const grid = quantizer.grid();
  switch (grid?.kind) {
    case 'float':
      return { quantization: { kind: 'float' }, unitScale: 1 };
    case 'binary':
      if (grid.scaling !== 'none') throw new ExportError(`${layerName}: binary activations scaled by '${grid.scaling}' depend on each input and cannot be folded; export supports unscaled sign activations`);
      return { quantization: { kind: 'sign' }, unitScale: 1 };
    case 'uniform': {
      if (grid.step.length !== 1) throw new ExportError(`${layerName}: per-channel activation steps are not supported by the export`);
      const step = Math.max(grid.step[0]!, 1e-12);
      return { quantization: { kind: 'uniform', step, min: grid.min, max: grid.max }, unitScale: step };
    }
    default:
      throw new ExportError(`${layerName}: the activation quantizer '${quantizer.kind}' cannot be exported`);
  }
}

export interface DenseOptions {
  input: string;
  output: string;
  batchNorm?: BatchNorm | null;
  activation?: ActivationName;
  slope?: number;
  /** Only these input rows of the weight (a split concatenation): [start, end). */
  rows?: [number, number];
  /** Name suffix for the tensors of a split layer. */
  part?: string;
  addRow?: string | null;
  /** Leave the shift out (the second part of a split layer carries it). */
  withoutShift?: boolean;
  result?: DenseOp['result'];
}

/** How the f32 pipeline of tfjs turns an integer dot into the pre-activation (for sign thresholds). */
export interface FloatRecipe {
  unitScale: Float32Array;
  bias: Float32Array;
  mean: Float32Array | null;
  bnScale: Float32Array | null;
  beta: Float32Array | null;
}

export interface LoweredDense {
  op: DenseOp;
  recipe: FloatRecipe;
  /** True when dots are integers (binary weights and sign inputs). */
  integerDot: boolean;
}

/** The `dense` op of a layer (a Linear or Conv2d: weights flattened to [fanIn, out]). */
export function lowerDense(table: TensorTable, name: string, layer: QuantizedLayer, options: DenseOptions): LoweredDense {
  const part = options.part ? `.${options.part}` : '';
  const shape = layer.weight.shape;
  const out = shape[shape.length - 1]!;
  const fanIn = layer.weight.size / out;
  const [start, end] = options.rows ?? [0, fanIn];
  const full = readValues(() => layer.effectiveWeight());
  const mask = layer.mask ? readValues(() => layer.mask!.variable) : null;
  const values = full.slice(start * out, end * out);
  const kept = mask ? Uint8Array.from(mask.slice(start * out, end * out), (m) => (m !== 0 ? 1 : 0)) : null;
  const encoded = encodeWeights(name, layer.weightQuantizer, values, out, kept);
  const input = inputQuantization(name, layer.inputQuantizer);

  const weights: WeightRef = {
    codes: encoded.bits === 32 ? table.float32(`${name}${part}.weight`, encoded.codes) : table.codes(`${name}${part}.weight`, encoded.codes, encoded.bits),
    encoding: encoded.encoding,
    bitmap: kept ? table.codes(`${name}${part}.mask`, kept, 1) : null,
  };
  if (encoded.negativeRatio) weights.encoding = { kind: 'ternary', negativeRatio: table.float32(`${name}${part}.negativeRatio`, encoded.negativeRatio) };

  const outputScale = layer.outputScale.kind === 'identity' ? 1 : outputScaleValue(name, layer);
  const unitScale = Float32Array.from(encoded.unitScale, (s) => Math.fround(s * input.unitScale * outputScale));
  const bias = layer.bias ? readValues(() => layer.bias!.variable) : new Float32Array(out);
  const scale = new Float32Array(out);
  const shift = new Float32Array(out);
  const recipe: FloatRecipe = { unitScale, bias, mean: null, bnScale: null, beta: null };
  const bn = options.batchNorm ?? null;
  if (bn) {
    const mean = readValues(() => bn.runningMean.variable);
    // the exact float32 values tfjs multiplies by in evaluation mode
    const bnScale = readValues(() => tf.mul(bn.gamma.variable, tf.rsqrt(tf.add(bn.runningVar.variable, bn.epsilon))));
    const beta = readValues(() => bn.beta.variable);
    Object.assign(recipe, { mean, bnScale, beta });
    for (let o = 0; o < out; o++) {
      scale[o] = unitScale[o]! * bnScale[o]!;
      shift[o] = (bias[o]! - mean[o]!) * bnScale[o]! + beta[o]!;
    }
  } else {
    scale.set(unitScale);
    shift.set(bias);
  }
  if (options.withoutShift) shift.fill(0);
  const op: DenseOp = {
    op: 'dense',
    layer: name,
    input: options.input,
    output: options.output,
    inChannels: end - start,
    outChannels: out,
    weights,
    inputQuantization: input.quantization,
    scale: table.float32(`${name}${part}.scale`, scale),
    shift: table.float32(`${name}${part}.shift`, shift),
    activation: options.activation ?? 'none',
    slope: options.slope ?? 0,
    addRow: options.addRow ?? null,
    result: options.result ?? { kind: 'float' },
  };
  return { op, recipe, integerDot: encoded.encoding.kind === 'binary' && input.quantization.kind === 'sign' && !kept };
}

/** A copy of a tensor's values (the tensor computed inside a tidy scope and released). */
function readValues(compute: () => tf.Tensor): Float32Array {
  const tensor = tf.tidy(() => tf.clone(compute()));
  try {
    return Float32Array.from(tensor.dataSync());
  } finally {
    tensor.dispose();
  }
}

function outputScaleValue(name: string, layer: QuantizedLayer): number {
  const scale = layer.outputScale.namedParameters().find(([path]) => path === 'scale')?.[1];
  if (!scale || scale.size !== 1) throw new ExportError(`${name}: output scale '${layer.outputScale.kind}' is not a single scale`);
  return scale.variable.dataSync()[0]!;
}

/**
 * The integer threshold that replaces BatchNorm + sign after an integer-dot layer: the smallest
 * (or, for a decreasing map, largest) dot whose pre-activation, computed in float32 in the order
 * tfjs computes it (dot·scale, + bias, − mean, · bnScale, + beta), is ≥ 0. Sign of a ReLU output
 * is always +1; LeakyReLU keeps the sign.
 */
export function signThresholds(recipe: FloatRecipe, inChannels: number, activation: ActivationName): { direction: Int32Array; threshold: Int32Array } {
  const out = recipe.unitScale.length;
  const f = Math.fround;
  const direction = new Int32Array(out);
  const threshold = new Int32Array(out);
  const NEVER = inChannels + 1;
  for (let o = 0; o < out; o++) {
    const z = (dot: number) => {
      let y = f(f(dot * recipe.unitScale[o]!) + recipe.bias[o]!);
      if (recipe.bnScale) y = f(f(f(y - recipe.mean![o]!) * recipe.bnScale[o]!) + recipe.beta![o]!);
      return y;
    };
    if (activation === 'relu') {
      direction[o] = 1;
      threshold[o] = -NEVER;
      continue;
    }
    const low = z(-inChannels);
    const high = z(inChannels);
    const increasing = high >= low;
    direction[o] = increasing ? 1 : -1;
    // first dot (in the increasing direction) with z ≥ 0, by bisection on a monotone function
    let lo = -inChannels;
    let hi = inChannels + 1;
    const satisfied = (dot: number) => z(increasing ? dot : -dot) >= 0;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (satisfied(mid)) hi = mid;
      else lo = mid + 1;
    }
    threshold[o] = lo;
  }
  return { direction, threshold };
}
