/**
 * Decodes a dense op's stored weights into what the engine multiplies by: bit rows for XNOR layers
 * (binary weights and sign inputs), or float units [in, out] for every other layer. Checks every
 * tensor the op names against the sizes the op implies, so a file whose program and tensors
 * disagree is rejected at load, not read out of bounds at run time.
 */
import { bitWords64 } from './kernels.ts';
import { ternarySign, unpackUints } from '../codes.ts';
import { PackedFormatError, type PackedModel, type TensorData } from '../format.ts';
import type { DenseOp } from '../program.ts';

export type PreparedWeights =
  /** [outC, words] bit rows, padding bits 0 */
  | { path: 'xnor'; bits: Uint32Array }
  /** [inC, outC] units */
  | { path: 'float'; units: Float32Array };

export class TensorReader {
  constructor(
    readonly model: PackedModel,
    readonly file: string,
  ) {}

  fail(message: string): never {
    throw new PackedFormatError(this.file, message);
  }

  get(name: string, what: string): TensorData {
    const tensor = this.model.tensors.get(name);
    if (!tensor) this.fail(`${what}: tensor ${JSON.stringify(name)} is not in the file`);
    return tensor;
  }

  float32(name: string, count: number, what: string): Float32Array {
    const tensor = this.get(name, what);
    if (tensor.dtype !== 'float32' || tensor.values.length !== count) {
      this.fail(`${what}: tensor ${JSON.stringify(name)} should hold ${count} float32 values, it holds ${describe(tensor)}`);
    }
    return tensor.values;
  }

  int32(name: string, count: number, what: string): Int32Array {
    const tensor = this.get(name, what);
    if (tensor.dtype !== 'int32' || tensor.values.length !== count) this.fail(`${what}: tensor ${JSON.stringify(name)} should hold ${count} int32 values, it holds ${describe(tensor)}`);
    return tensor.values;
  }

  codes(name: string, count: number, bits: number, what: string): Uint32Array {
    const tensor = this.get(name, what);
    if (tensor.dtype !== 'codes' || tensor.bits !== bits || tensor.count !== count) {
      this.fail(`${what}: tensor ${JSON.stringify(name)} should hold ${count} codes of ${bits} bits, it holds ${describe(tensor)}`);
    }
    return unpackUints(tensor.bytes, count, bits);
  }
}

function describe(tensor: TensorData): string {
  return tensor.dtype === 'codes' ? `${tensor.count} codes of ${tensor.bits} bits` : `${tensor.values.length} ${tensor.dtype} values`;
}

/** Whether the op multiplies bits by bits. */
export function isXnor(op: DenseOp): boolean {
  return op.weights.encoding.kind === 'binary' && op.weights.bitmap === null && op.inputQuantization.kind === 'sign';
}

export function prepareWeights(op: DenseOp, reader: TensorReader): PreparedWeights {
  const what = `layer ${op.layer}`;
  const inC = op.inChannels;
  const outC = op.outChannels;
  if (!(Number.isInteger(inC) && inC > 0 && Number.isInteger(outC) && outC > 0)) reader.fail(`${what}: invalid channel counts ${inC} → ${outC}`);
  const total = inC * outC;
  let keptIndex: Int32Array | null = null;
  let kept = total;
  if (op.weights.bitmap !== null) {
    const bitmap = reader.codes(op.weights.bitmap, total, 1, `${what} mask`);
    keptIndex = new Int32Array(total).fill(-1);
    kept = 0;
    for (let i = 0; i < total; i++) if (bitmap[i] === 1) keptIndex[i] = kept++;
  }
  const encoding = op.weights.encoding;
  if (isXnor(op)) {
    const codes = reader.codes(op.weights.codes, total, 1, `${what} weights`);
    const words32 = bitWords64(inC) * 2;
    const bits = new Uint32Array(outC * words32);
    for (let c = 0; c < inC; c++) {
      for (let o = 0; o < outC; o++) if (codes[c * outC + o] === 1) bits[o * words32 + (c >>> 5)]! |= 1 << (c & 31);
    }
    return { path: 'xnor', bits };
  }
  const units = new Float32Array(total);
  const unitOf = (i: number) => (keptIndex ? keptIndex[i]! : i);
  if (encoding.kind === 'float32') {
    const values = reader.float32(op.weights.codes, kept, `${what} weights`);
    for (let i = 0; i < total; i++) units[i] = unitOf(i) >= 0 ? values[unitOf(i)]! : 0;
  } else if (encoding.kind === 'binary') {
    const codes = reader.codes(op.weights.codes, kept, 1, `${what} weights`);
    for (let i = 0; i < total; i++) units[i] = unitOf(i) >= 0 ? (codes[unitOf(i)] === 1 ? 1 : -1) : 0;
  } else if (encoding.kind === 'ternary') {
    const codes = reader.codes(op.weights.codes, kept, 2, `${what} weights`);
    const ratio = encoding.negativeRatio ? reader.float32(encoding.negativeRatio, outC, `${what} negative ratio`) : null;
    for (let i = 0; i < total; i++) {
      const index = unitOf(i);
      if (index < 0) continue;
      const sign = ternarySign(codes[index]!);
      if (Number.isNaN(sign)) reader.fail(`${what} weights: invalid ternary code 2 at weight ${i}`);
      units[i] = sign < 0 && ratio ? -ratio[i % outC]! : sign;
    }
  } else if (encoding.kind === 'uint') {
    if (!(Number.isInteger(encoding.bits) && encoding.bits >= 1 && encoding.bits <= 16)) reader.fail(`${what}: invalid code width ${encoding.bits}`);
    const codes = reader.codes(op.weights.codes, kept, encoding.bits, `${what} weights`);
    for (let i = 0; i < total; i++) units[i] = unitOf(i) >= 0 ? codes[unitOf(i)]! - encoding.zero : 0;
  } else {
    reader.fail(`${what}: unknown weight encoding ${JSON.stringify((encoding as { kind: unknown }).kind)}`);
  }
  return { path: 'float', units };
}
