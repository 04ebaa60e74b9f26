/**
 * The inference engine: runs a packed model (`.bitpoint`) on one point cloud or image at a time,
 * without TensorFlow.js. XNOR layers run as XOR + popcount over 64-bit words, with BatchNorm + sign
 * folded into integer thresholds and the max over points taken on the integer dots; every other
 * layer runs on float units with its scales folded. Runs in Node and in browsers.
 *
 *   const engine = await Engine.load(bytes, { file: 'model.bitpoint' });
 *   const logits = engine.run(points);               // Float32Array [classes] or [points·parts]
 *
 * `run` plans every buffer for the input size on first use (and again when the size changes), so
 * repeated runs allocate nothing.
 */
import { entropyMaximizingOffset } from '../../nn/ops/entropy-maximizing-offset.ts';
import { BitpointError } from '../../util/errors.ts';
import { readPackedModel, type PackedModel } from '../format.ts';
import { checkRunSize } from '../validate-program.ts';
import type { DenseOp, Op } from '../program.ts';
import { JsKernels } from './js-kernels.ts';
import { activate, Activation, knnScratchBytes, type EngineKernels } from './kernels.ts';
import { isXnor, prepareWeights, TensorReader, type PreparedWeights } from './prepared-weights.ts';

interface Buffer {
  rows: number;
  channels: number;
  f32: Float32Array | null;
  bits: Uint32Array | null;
}

interface DenseParams {
  op: DenseOp;
  weights: PreparedWeights;
  /** Null for a sign result, which uses direction and threshold instead. */
  scale: Float32Array | null;
  shift: Float32Array | null;
  direction: Int32Array | null;
  threshold: Int32Array | null;
}

export interface EngineOptions {
  /** Names the model in errors. */
  file?: string;
  /** Kernels to run on (default: the JS reference; pass `await createWasmKernels()` for speed). */
  kernels?: EngineKernels;
}

export interface EngineInput {
  /** [points, channels] row-major (or the image's 28·28 pixels). */
  values: Float32Array;
  /** Object category for part segmentation models with a category input. */
  category?: number;
}

/** An input the model cannot run on (its shape, its size, a missing category): one line naming the model. */
export class EngineInputError extends BitpointError {}

const ACTIVATIONS = { none: Activation.None, relu: Activation.Relu, leaky_relu: Activation.LeakyRelu } as const;

export class Engine {
  readonly model: PackedModel;
  readonly kernels: EngineKernels;
  private readonly file: string;
  private readonly params = new Map<DenseOp, DenseParams>();
  private plannedRows = -1;
  private steps: Array<() => void> = [];
  private inputView: Float32Array | null = null;
  private categoryView: Float32Array | null = null;
  private outputBuffer: Buffer | null = null;

  static async load(bytes: Uint8Array, options: EngineOptions = {}): Promise<Engine> {
    return new Engine(readPackedModel(bytes, options.file ?? 'model.bitpoint'), options);
  }

  constructor(model: PackedModel, options: EngineOptions = {}) {
    this.model = model;
    this.file = options.file ?? 'model.bitpoint';
    this.kernels = options.kernels ?? new JsKernels();
    // annotated so that TypeScript narrows after `reader.fail` (it never returns)
    const reader: TensorReader = new TensorReader(model, this.file);
    for (const op of model.header.program) {
      const dense = op.op === 'dense' ? op : op.op === 'edge_max' || op.op === 'conv2d' ? op.dense : null;
      if (!dense) continue;
      const what = `layer ${dense.layer}`;
      const weights = prepareWeights(dense, reader);
      const params: DenseParams = {
        op: dense,
        weights,
        scale: null,
        shift: null,
        direction: null,
        threshold: null,
      };
      if (dense.result.kind !== 'sign') {
        if (dense.scale === null || dense.shift === null) reader.fail(`${what}: a ${dense.result.kind} result needs scale and shift tensors`);
        params.scale = reader.float32(dense.scale, dense.outChannels, `${what} scale`);
        params.shift = reader.float32(dense.shift, dense.outChannels, `${what} shift`);
      } else {
        if (weights.path !== 'xnor') reader.fail(`${what}: a sign result needs binary weights and sign inputs`);
        params.direction = reader.int32(dense.result.direction, dense.outChannels, `${what} sign direction`);
        params.threshold = reader.int32(dense.result.threshold, dense.outChannels, `${what} sign threshold`);
      }
      this.params.set(dense, params);
    }
  }

  get header(): PackedModel['header'] {
    return this.model.header;
  }

  /** Rows of one input: points of a cloud, or pixels of an image, within what the program can run on. */
  private inputRows(values: Float32Array): number {
    const input = this.header.input;
    const channels = input.channels;
    const fail = (problem: string): never => {
      throw new EngineInputError(`${this.file}: ${problem}`);
    };
    if (values.length % channels !== 0 || values.length === 0) fail(`input of ${values.length} values is not [rows, ${channels}]`);
    const rows = values.length / channels;
    if (input.kind === 'image' && rows !== input.height * input.width) fail(`expected a ${input.height}×${input.width} image, got ${rows} pixels`);
    checkRunSize(this.model.bounds, rows, fail);
    return rows;
  }

  /** Logits for one input: [classes] for classification, [points·parts] for segmentation. */
  run(input: EngineInput | Float32Array): Float32Array {
    const { values, category } = input instanceof Float32Array ? { values: input, category: undefined } : input;
    const rows = this.inputRows(values);
    if (rows !== this.plannedRows) {
      // The first pass may grow the arena, which invalidates views made before the growth; the
      // second pass makes the same allocations in memory that is now large enough.
      this.plan(rows);
      this.plan(rows);
    }
    this.inputView!.set(values);
    if (this.categoryView) {
      const categories = this.header.numCategories;
      if (category === undefined || !(Number.isInteger(category) && category >= 0 && category < categories)) {
        throw new EngineInputError(`${this.file}: this model needs the object category (an integer in [0, ${categories})), got ${category}`);
      }
      this.categoryView.fill(0);
      this.categoryView[category] = 1;
    }
    for (const step of this.steps) step();
    return this.outputBuffer!.f32!.slice();
  }

  /** Shapes every buffer for `rows` input rows, allocates them, and compiles the steps. */
  private plan(rows: number): void {
    const k = this.kernels;
    const arena = k.arena;
    arena.reset();
    const header = this.header;
    const shapes = new Map<string, { rows: number; channels: number; bits: boolean }>();
    const inputName = header.input.kind === 'points' ? 'points' : 'image';
    shapes.set(inputName, { rows, channels: header.input.channels, bits: false });
    if (header.numCategories > 0) shapes.set('category', { rows: 1, channels: header.numCategories, bits: false });
    const shapeOf = (name: string) => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`${this.file}: the program reads buffer ${JSON.stringify(name)} before writing it`);
      return shape;
    };
    const define = (name: string, shape: { rows: number; channels: number; bits: boolean }) => shapes.set(name, shape);
    const denseRows = (op: DenseOp, rowsIn: number) => (op.result.kind === 'max' ? 1 : rowsIn);
    for (const op of header.program) {
      switch (op.op) {
        case 'dense': {
          const input = shapeOf(op.input);
          this.checkChannels(op, input.channels);
          define(op.output, { rows: denseRows(op, input.rows), channels: op.outChannels, bits: op.result.kind === 'sign' });
          break;
        }
        case 'shortcut': {
          const input = shapeOf(op.input);
          const source = shapeOf(op.source);
          const fits = input.channels % source.channels === 0 || source.channels % input.channels === 0;
          if (source.rows !== input.rows || !fits || source.bits || input.bits) {
            throw new Error(`${this.file}: shortcut ${op.output} cannot add ${op.source} [${source.rows}, ${source.channels}] to ${op.input} [${input.rows}, ${input.channels}]`);
          }
          define(op.output, { rows: input.rows, channels: input.channels, bits: false });
          break;
        }
        case 'edge_max':
          define(op.dense.output, { rows: shapeOf(op.dense.input).rows, channels: op.dense.outChannels, bits: false });
          break;
        case 'edge_features': {
          const input = shapeOf(op.input);
          define(op.output, { rows: input.rows * op.k, channels: 2 * input.channels, bits: false });
          break;
        }
        case 'group_max': {
          const input = shapeOf(op.input);
          define(op.output, { rows: input.rows / op.group, channels: input.channels, bits: false });
          break;
        }
        case 'knn':
          define(op.output, { rows: shapeOf(op.input).rows, channels: op.k, bits: false });
          break;
        case 'concat': {
          const inputs = op.inputs.map(shapeOf);
          define(op.output, { rows: inputs[0]!.rows, channels: inputs.reduce((sum, s) => sum + s.channels, 0), bits: false });
          break;
        }
        case 'transform':
          define(op.output, shapeOf(op.input));
          break;
        case 'max_rows':
        case 'mean_rows':
          define(op.output, { rows: 1, channels: shapeOf(op.input).channels, bits: false });
          break;
        case 'conv2d': {
          const out = op.height - op.kernelSize + 1;
          define(op.dense.output, { rows: out * out, channels: op.dense.outChannels, bits: false });
          break;
        }
        case 'max_pool2d':
          define(op.output, { rows: Math.floor(op.height / 2) * Math.floor(op.width / 2), channels: shapeOf(op.input).channels, bits: false });
          break;
        case 'flatten': {
          const input = shapeOf(op.input);
          define(op.output, { rows: 1, channels: input.rows * input.channels, bits: false });
          break;
        }
        default:
          throw new Error(`${this.file}: unknown op ${JSON.stringify((op as { op: unknown }).op)}`);
      }
    }

    // Allocation: everything for this size at once (the arena may grow only here).
    const buffers = new Map<string, Buffer>();
    for (const [name, shape] of shapes) {
      const buffer: Buffer = { rows: shape.rows, channels: shape.channels, f32: null, bits: null };
      if (shape.bits) buffer.bits = arena.bits(shape.rows, shape.channels);
      else buffer.f32 = arena.f32(shape.rows * shape.channels);
      buffers.set(name, buffer);
    }
    this.inputView = buffers.get(inputName)!.f32!;
    this.categoryView = header.numCategories > 0 ? buffers.get('category')!.f32! : null;
    this.outputBuffer = buffers.get(header.output) ?? null;
    if (!this.outputBuffer?.f32) throw new Error(`${this.file}: the program never writes its output ${JSON.stringify(header.output)}`);
    this.steps = header.program.map((op) => this.compile(op, buffers));
    // kNN's scratch lives above every allocation
    let knnScratch = 0;
    for (const op of header.program) {
      if (op.op === 'knn') knnScratch = Math.max(knnScratch, knnScratchBytes(shapes.get(op.input)!.rows, shapes.get(op.input)!.channels, op.k));
    }
    arena.reserve(knnScratch);
    this.plannedRows = rows;
  }

  private checkChannels(op: DenseOp, channels: number): void {
    if (channels !== op.inChannels) throw new Error(`${this.file}: layer ${op.layer} takes ${op.inChannels} channels, its input ${op.input} has ${channels}`);
  }

  /** A closure that runs one op on its preallocated buffers. */
  private compile(op: Op, buffers: Map<string, Buffer>): () => void {
    const get = (name: string) => buffers.get(name)!;
    const k = this.kernels;
    switch (op.op) {
      case 'dense':
        return this.compileDense(this.params.get(op)!, get(op.input), get(op.output), op.addRow ? get(op.addRow) : null);
      case 'edge_max':
        return this.compileEdgeMax(op.k, this.params.get(op.dense)!, get(op.dense.input), get(op.neighbours), get(op.dense.output));
      case 'conv2d': {
        const input = get(op.dense.input);
        const size = op.height - op.kernelSize + 1;
        const patch = op.kernelSize * op.kernelSize * input.channels;
        if (patch !== op.dense.inChannels) throw new Error(`${this.file}: layer ${op.dense.layer} takes ${op.dense.inChannels} values per patch, not ${patch}`);
        const columns: Buffer = { rows: size * size, channels: patch, f32: k.arena.f32(size * size * patch), bits: null };
        const dense = this.compileDense(this.params.get(op.dense)!, columns, get(op.dense.output), null);
        return () => {
          im2col(input.f32!, op.height, op.width, input.channels, op.kernelSize, columns.f32!);
          dense();
        };
      }
      case 'knn': {
        const input = get(op.input);
        const output = get(op.output);
        const indices = k.arena.i32(input.rows * op.k);
        const values = output.f32!;
        return () => {
          k.knn(input.f32!, input.rows, input.channels, op.k, indices);
          for (let i = 0; i < indices.length; i++) values[i] = indices[i]!;
        };
      }
      case 'edge_features': {
        const input = get(op.input);
        const neighbours = get(op.neighbours).f32!;
        const out = get(op.output).f32!;
        const c = input.channels;
        return () => {
          const x = input.f32!;
          for (let i = 0; i < input.rows; i++) {
            for (let n = 0; n < op.k; n++) {
              const j = neighbours[i * op.k + n]!;
              const row = (i * op.k + n) * 2 * c;
              for (let ch = 0; ch < c; ch++) {
                out[row + ch] = x[i * c + ch]!;
                out[row + c + ch] = x[j * c + ch]! - x[i * c + ch]!;
              }
            }
          }
        };
      }
      case 'group_max': {
        const input = get(op.input);
        const out = get(op.output);
        return () => {
          const x = input.f32!;
          const y = out.f32!;
          const c = input.channels;
          for (let g = 0; g < out.rows; g++) k.maxRows(x.subarray(g * op.group * c, (g + 1) * op.group * c), op.group, c, y.subarray(g * c, (g + 1) * c));
        };
      }
      case 'concat': {
        const inputs = op.inputs.map(get);
        const out = get(op.output);
        return () => {
          const y = out.f32!;
          let offset = 0;
          for (const input of inputs) {
            const x = input.f32!;
            for (let r = 0; r < out.rows; r++) y.set(x.subarray(r * input.channels, (r + 1) * input.channels), r * out.channels + offset);
            offset += input.channels;
          }
        };
      }
      case 'transform': {
        const input = get(op.input);
        const matrix = get(op.matrix);
        const out = get(op.output);
        return () => {
          const x = input.f32!;
          const m = matrix.f32!;
          const y = out.f32!;
          const kk = op.k;
          for (let r = 0; r < input.rows; r++) {
            for (let j = 0; j < kk; j++) {
              let sum = 0;
              for (let i = 0; i < kk; i++) sum += x[r * kk + i]! * m[i * kk + j]!;
              y[r * kk + j] = sum;
            }
          }
        };
      }
      case 'max_rows':
      case 'mean_rows': {
        const input = get(op.input);
        const out = get(op.output);
        const offset = op.entropyMaximizing ? Math.fround(entropyMaximizingOffset(input.rows)) : 0;
        return () => {
          const y = out.f32!;
          if (op.op === 'max_rows') k.maxRows(input.f32!, input.rows, input.channels, y);
          else meanRows(input.f32!, input.rows, input.channels, y);
          if (offset !== 0) for (let c = 0; c < y.length; c++) y[c] = Math.fround(y[c]! + offset);
        };
      }
      case 'shortcut': {
        const input = get(op.input);
        const source = get(op.source);
        const out = get(op.output);
        return () => addShortcut(input.f32!, source.f32!, input.rows, input.channels, source.channels, out.f32!);
      }
      case 'max_pool2d': {
        const input = get(op.input);
        const out = get(op.output);
        return () => maxPool2x2(input.f32!, op.height, op.width, input.channels, out.f32!);
      }
      case 'flatten': {
        const input = get(op.input);
        const out = get(op.output);
        return () => out.f32!.set(input.f32!.subarray(0, input.rows * input.channels));
      }
    }
  }

  private compileDense(p: DenseParams, input: Buffer, output: Buffer, addRow: Buffer | null): () => void {
    const k = this.kernels;
    const arena = k.arena;
    const op = p.op;
    const rows = input.rows;
    const inC = op.inChannels;
    const outC = op.outChannels;
    const act = ACTIVATIONS[op.activation];
    const slope = op.slope;
    const quantization = op.inputQuantization;

    // the input as the weights need it: bits for XNOR, float units otherwise
    let prepareInput: () => void = () => {};
    let bitsIn: Uint32Array | null = null;
    let floatIn: Float32Array | null = null;
    if (p.weights.path === 'xnor') {
      if (input.bits) bitsIn = input.bits;
      else {
        const packed = arena.bits(rows, inC);
        bitsIn = packed;
        prepareInput = () => k.packSigns(input.f32!, rows, inC, packed);
      }
    } else if (quantization.kind === 'float') {
      floatIn = input.f32;
    } else {
      const units = arena.f32(rows * inC);
      floatIn = units;
      prepareInput =
        quantization.kind === 'sign'
          ? () => signUnits(input, rows * inC, units)
          : () => uniformUnits(input.f32!, rows * inC, quantization.step, quantization.min, quantization.max, units);
    }
    const weightBits = p.weights.path === 'xnor' ? copyBits(arena, p.weights.bits) : null;
    const weightUnits = p.weights.path === 'float' ? copyF32(arena, p.weights.units) : null;
    const offsetFor = (n: number) => (op.result.kind === 'max' && op.result.entropyMaximizing ? Math.fround(entropyMaximizingOffset(n)) : 0);

    if (op.result.kind === 'sign') {
      const direction = copyI32(arena, p.direction!);
      const threshold = copyI32(arena, p.threshold!);
      return () => {
        prepareInput();
        k.binaryDenseSign(bitsIn!, rows, inC, weightBits!, outC, direction, threshold, output.bits!);
      };
    }
    // every other result maps the dot through scale and shift (checked present when the file was read)
    const scale = copyF32(arena, p.scale!);
    const shift = copyF32(arena, p.shift!);
    if (op.result.kind === 'max') {
      const offset = offsetFor(rows);
      const y = output.f32!;
      if (weightBits) {
        const max = arena.i32(outC);
        const min = arena.i32(outC);
        return () => {
          prepareInput();
          k.binaryDenseMinMax(bitsIn!, rows, inC, weightBits, outC, max, min);
          for (let o = 0; o < outC; o++) {
            // a monotone per-channel map commutes with the max: take the dot that maps highest
            const dot = scale[o]! >= 0 ? max[o]! : min[o]!;
            y[o] = Math.fround(activate(Math.fround(Math.fround(scale[o]! * dot) + shift[o]!), act, slope) + offset);
          }
        };
      }
      const full = arena.f32(rows * outC);
      return () => {
        prepareInput();
        k.denseF32(floatIn!, rows, inC, weightUnits!, outC, scale, shift, act, slope, full);
        k.maxRows(full, rows, outC, y);
        if (offset !== 0) for (let o = 0; o < outC; o++) y[o] = Math.fround(y[o]! + offset);
      };
    }
    const y = output.f32!;
    const innerAct = addRow ? Activation.None : act;
    const multiply = weightBits
      ? () => k.binaryDenseF32(bitsIn!, rows, inC, weightBits, outC, scale, shift, innerAct, slope, y)
      : () => k.denseF32(floatIn!, rows, inC, weightUnits!, outC, scale, shift, innerAct, slope, y);
    if (!addRow) {
      return () => {
        prepareInput();
        multiply();
      };
    }
    return () => {
      prepareInput();
      multiply();
      const row = addRow.f32!;
      for (let r = 0; r < rows; r++) {
        const base = r * outC;
        for (let o = 0; o < outC; o++) y[base + o] = activate(y[base + o]! + row[o]!, act, slope);
      }
    };
  }

  /**
   * EdgeConv + max over k with float inputs: A = x·(Wa − Wb), B = x·Wb per point, then for each
   * point and channel the neighbour whose B maps highest under the channel's monotone post-map.
   */
  private compileEdgeMax(kNeighbours: number, p: DenseParams, input: Buffer, neighbours: Buffer, output: Buffer): () => void {
    const op = p.op;
    if (p.weights.path !== 'float' || op.inputQuantization.kind !== 'float') throw new Error(`${this.file}: layer ${op.layer}: edge_max needs float inputs`);
    const arena = this.kernels.arena;
    const c = input.channels;
    const outC = op.outChannels;
    if (2 * c !== op.inChannels) throw new Error(`${this.file}: layer ${op.layer} takes ${op.inChannels} edge channels, its input has ${c} point channels`);
    const units = p.weights.units;
    const centre = new Float32Array(c * outC);
    const neighbour = new Float32Array(c * outC);
    for (let i = 0; i < c * outC; i++) {
      neighbour[i] = units[c * outC + i]!;
      centre[i] = units[i]! - units[c * outC + i]!;
    }
    const wCentre = copyF32(arena, centre);
    const wNeighbour = copyF32(arena, neighbour);
    const ones = copyF32(arena, new Float32Array(outC).fill(1));
    const zeros = arena.f32(outC);
    const rows = input.rows;
    const a = arena.f32(rows * outC);
    const b = arena.f32(rows * outC);
    const scale = p.scale!;
    const shift = p.shift!;
    const act = ACTIVATIONS[op.activation];
    const k = this.kernels;
    return () => {
      k.denseF32(input.f32!, rows, c, wCentre, outC, ones, zeros, Activation.None, 0, a);
      k.denseF32(input.f32!, rows, c, wNeighbour, outC, ones, zeros, Activation.None, 0, b);
      const nb = neighbours.f32!;
      const y = output.f32!;
      for (let i = 0; i < rows; i++) {
        for (let o = 0; o < outC; o++) {
          const up = scale[o]! >= 0;
          let best = up ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
          for (let n = 0; n < kNeighbours; n++) {
            const v = b[nb[i * kNeighbours + n]! * outC + o]!;
            if (up ? v > best : v < best) best = v;
          }
          y[i * outC + o] = activate(scale[o]! * (a[i * outC + o]! + best) + shift[o]!, act, op.slope);
        }
      }
    };
  }
}

function copyF32(arena: EngineKernels['arena'], values: Float32Array): Float32Array {
  const view = arena.f32(values.length);
  view.set(values);
  return view;
}

function copyI32(arena: EngineKernels['arena'], values: Int32Array): Int32Array {
  const view = arena.i32(values.length);
  view.set(values);
  return view;
}

function copyBits(arena: EngineKernels['arena'], values: Uint32Array): Uint32Array {
  // rows × words are already laid out; allocate as raw u32 storage of the same length
  const view = arena.bits(1, values.length * 32);
  view.set(values);
  return view;
}

function signUnits(input: Buffer, count: number, out: Float32Array): void {
  const x = input.f32!;
  for (let i = 0; i < count; i++) out[i] = x[i]! >= 0 ? 1 : -1;
}

/** round_half_even(clip(x / step, min, max)), as tf.round does. */
function uniformUnits(x: Float32Array, count: number, step: number, min: number, max: number, out: Float32Array): void {
  for (let i = 0; i < count; i++) {
    const v = Math.min(Math.max(Math.fround(x[i]! / step), min), max);
    const floor = Math.floor(v);
    const diff = v - floor;
    out[i] = diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  }
}

function meanRows(x: Float32Array, rows: number, channels: number, out: Float32Array): void {
  out.fill(0, 0, channels);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) out[c]! += x[r * channels + c]!;
  for (let c = 0; c < channels; c++) out[c]! /= rows;
}

/** NHWC patches [kh, kw, c] of every valid position, row-major over positions. */
function im2col(x: Float32Array, height: number, width: number, channels: number, size: number, out: Float32Array): void {
  const outH = height - size + 1;
  const outW = width - size + 1;
  let p = 0;
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      for (let di = 0; di < size; di++) {
        const start = ((i + di) * width + j) * channels;
        out.set(x.subarray(start, start + size * channels), p);
        p += size * channels;
      }
    }
  }
}

function maxPool2x2(x: Float32Array, height: number, width: number, channels: number, out: Float32Array): void {
  const outH = Math.floor(height / 2);
  const outW = Math.floor(width / 2);
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      for (let c = 0; c < channels; c++) {
        const at = (di: number, dj: number) => x[((2 * i + di) * width + 2 * j + dj) * channels + c]!;
        out[(i * outW + j) * channels + c] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
      }
    }
  }
}


/** y = x + the source's channels repeated (wider x) or averaged in groups (narrower x); see ShortcutOp. */
function addShortcut(x: Float32Array, source: Float32Array, rows: number, channels: number, sourceChannels: number, y: Float32Array): void {
  const groups = sourceChannels > channels ? sourceChannels / channels : 1;
  for (let r = 0; r < rows; r++) {
    const row = r * channels;
    const sourceRow = r * sourceChannels;
    for (let j = 0; j < channels; j++) {
      let shortcut: number;
      if (groups === 1) shortcut = source[sourceRow + (j % sourceChannels)]!;
      else {
        shortcut = 0;
        for (let g = 0; g < groups; g++) shortcut += source[sourceRow + g * channels + j]!;
        shortcut = Math.fround(shortcut / groups);
      }
      y[row + j] = Math.fround(x[row + j]! + shortcut);
    }
  }
}
