/**
 * The engine kernels in plain TypeScript: the reference the WebAssembly kernels are tested
 * against, and the fallback where WebAssembly is unavailable. Written for clarity, not speed.
 */
import { activate, bitWords64, type Activation, type EngineArena, type EngineKernels } from './kernels.ts';

/** An arena of ordinary typed arrays (no shared memory to manage). */
export class HeapArena implements EngineArena {
  reset(): void {}
  reserve(): void {}
  f32(length: number): Float32Array {
    return new Float32Array(length);
  }
  i32(length: number): Int32Array {
    return new Int32Array(length);
  }
  bits(rows: number, channels: number): Uint32Array {
    return new Uint32Array(rows * bitWords64(channels) * 2);
  }
}

export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Binary dot product of row r of x and row o of w (both `words32` u32 values per row). */
function binaryDot(x: Uint32Array, r: number, w: Uint32Array, o: number, words32: number, inC: number): number {
  let differences = 0;
  const xo = r * words32;
  const wo = o * words32;
  for (let i = 0; i < words32; i++) differences += popcount32((x[xo + i]! ^ w[wo + i]!) >>> 0);
  return inC - 2 * differences;
}

export class JsKernels implements EngineKernels {
  readonly name = 'js' as const;
  readonly arena = new HeapArena();

  denseF32(x: Float32Array, rows: number, inC: number, w: Float32Array, outC: number, scale: Float32Array, shift: Float32Array, act: Activation, slope: number, out: Float32Array): void {
    const acc = new Float32Array(outC);
    for (let r = 0; r < rows; r++) {
      acc.fill(0);
      for (let c = 0; c < inC; c++) {
        const v = x[r * inC + c]!;
        if (v === 0) continue;
        const wo = c * outC;
        for (let o = 0; o < outC; o++) acc[o]! += v * w[wo + o]!;
      }
      for (let o = 0; o < outC; o++) out[r * outC + o] = activate(scale[o]! * acc[o]! + shift[o]!, act, slope);
    }
  }

  packSigns(x: Float32Array, rows: number, channels: number, out: Uint32Array): void {
    const words32 = bitWords64(channels) * 2;
    out.fill(0, 0, rows * words32);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < channels; c++) {
        if (x[r * channels + c]! >= 0) out[r * words32 + (c >>> 5)]! |= 1 << (c & 31);
      }
    }
  }

  binaryDenseF32(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, scale: Float32Array, shift: Float32Array, act: Activation, slope: number, out: Float32Array): void {
    const words32 = bitWords64(inC) * 2;
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outC; o++) {
        out[r * outC + o] = activate(scale[o]! * binaryDot(x, r, w, o, words32, inC) + shift[o]!, act, slope);
      }
    }
  }

  binaryDenseSign(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, direction: Int32Array, threshold: Int32Array, out: Uint32Array): void {
    const words32 = bitWords64(inC) * 2;
    const outWords32 = bitWords64(outC) * 2;
    out.fill(0, 0, rows * outWords32);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outC; o++) {
        if (direction[o]! * binaryDot(x, r, w, o, words32, inC) >= threshold[o]!) out[r * outWords32 + (o >>> 5)]! |= 1 << (o & 31);
      }
    }
  }

  binaryDenseMinMax(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, max: Int32Array, min: Int32Array): void {
    const words32 = bitWords64(inC) * 2;
    max.fill(-0x7fffffff, 0, outC);
    min.fill(0x7fffffff, 0, outC);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outC; o++) {
        const dot = binaryDot(x, r, w, o, words32, inC);
        if (dot > max[o]!) max[o] = dot;
        if (dot < min[o]!) min[o] = dot;
      }
    }
  }

  maxRows(x: Float32Array, rows: number, channels: number, out: Float32Array): void {
    out.fill(Number.NEGATIVE_INFINITY, 0, channels);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < channels; c++) if (x[r * channels + c]! > out[c]!) out[c] = x[r * channels + c]!;
    }
  }

  knn(x: Float32Array, points: number, channels: number, k: number, out: Int32Array): void {
    // score 2·xᵢ·xⱼ − ‖xⱼ‖² (= ‖xᵢ‖² − distance), largest first, as the training kernel ranks them
    const squares = new Float32Array(points);
    for (let j = 0; j < points; j++) {
      let s = 0;
      for (let c = 0; c < channels; c++) s = Math.fround(s + Math.fround(x[j * channels + c]! * x[j * channels + c]!));
      squares[j] = s;
    }
    const scores = new Float32Array(points);
    const order = Array.from({ length: points }, (_, j) => j);
    for (let i = 0; i < points; i++) {
      for (let j = 0; j < points; j++) {
        let dot = 0;
        for (let c = 0; c < channels; c++) dot = Math.fround(dot + Math.fround(x[i * channels + c]! * x[j * channels + c]!));
        scores[j] = Math.fround(Math.fround(dot + dot) - squares[j]!);
      }
      const sorted = [...order].sort((a, b) => scores[b]! - scores[a]! || a - b);
      for (let n = 0; n < k; n++) out[i * k + n] = sorted[n]!;
    }
  }
}
