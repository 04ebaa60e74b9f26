/**
 * The compute kernels of the inference engine. The engine (`engine.ts`) plans every buffer of a
 * run up front, allocates them from one `EngineArena`, and calls these kernels on views of it;
 * nothing is allocated while a model runs.
 *
 * Two implementations share this interface: `js-kernels.ts`, plain TypeScript and the reference
 * the tests compare against, and `wasm-kernels.ts`, AssemblyScript compiled to SIMD WebAssembly
 * (the arena is the module's own memory, so views are pointers), which is what runs by default.
 *
 * Conventions
 * - Float tensors are row-major Float32Array views: activations [rows, channels], dense weights
 *   [inChannels, outChannels] (output channels last, as tfjs stores them).
 * - Bit tensors are Uint32Array views holding 64-bit words (two u32 each, little-endian): a row of
 *   C sign bits takes `bitWords64(C)` words = 2·bitWords64(C) u32 values; bit c of a row is bit
 *   (c mod 64) of word ⌊c/64⌋. A set bit means +1, a clear bit −1 (sign(0) = +1). Padding bits
 *   past C are 0 in activations *and* weights, so they never count as a difference.
 * - Binary weights are stored transposed, one bit row per output channel: [outChannels, words].
 * - The binary dot product of two rows of C signs is C − 2·popcount(x XOR w).
 */

/** 64-bit words that hold `channels` bits. */
export function bitWords64(channels: number): number {
  return Math.ceil(channels / 64);
}

/**
 * Scratch bytes `knn` may use above the arena's allocations ((channels + 2)·points + 2k f32
 * words): the engine reserves them after planning, so the WebAssembly memory never grows mid-run.
 */
export function knnScratchBytes(points: number, channels: number, k: number): number {
  return ((channels + 2) * points + 2 * k) * 4;
}

/** Activation after a dense layer's per-channel affine epilogue. */
export const enum Activation {
  None = 0,
  Relu = 1,
  LeakyRelu = 2,
}

/** A dense layer's activation on one value (the JS side of the epilogue). */
export function activate(v: number, act: Activation, slope: number): number {
  if (act === Activation.Relu) return v > 0 ? v : 0;
  if (act === Activation.LeakyRelu) return v >= 0 ? v : v * slope;
  return v;
}

/** Where every buffer of a run lives. Views stay valid until the next `reset`. */
export interface EngineArena {
  /** Forget every allocation (views handed out before become invalid). */
  reset(): void;
  /** Make sure `bytes` more bytes fit without growing in between later allocations. */
  reserve(bytes: number): void;
  f32(length: number): Float32Array;
  i32(length: number): Int32Array;
  /** Uint32 storage for `rows` rows of `channels` sign bits (64-bit-word aligned rows). */
  bits(rows: number, channels: number): Uint32Array;
}

export interface EngineKernels {
  readonly name: 'js' | 'wasm';
  readonly arena: EngineArena;

  /**
   * out[r, o] = act(scale[o] · Σ_c x[r, c]·w[c, o] + shift[o]); `slope` is LeakyReLU's negative
   * slope. x [rows, inC], w [inC, outC], out [rows, outC].
   */
  denseF32(x: Float32Array, rows: number, inC: number, w: Float32Array, outC: number, scale: Float32Array, shift: Float32Array, act: Activation, slope: number, out: Float32Array): void;

  /** Sign bits of x [rows, channels] (x ≥ 0 → 1) into out (`bits(rows, channels)`). */
  packSigns(x: Float32Array, rows: number, channels: number, out: Uint32Array): void;

  /**
   * Binary × binary dense layer with a float epilogue: dot = inC − 2·popcount(x_r XOR w_o),
   * out[r, o] = act(scale[o]·dot + shift[o]). x: bits [rows, inC], w: bits [outC, inC].
   */
  binaryDenseF32(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, scale: Float32Array, shift: Float32Array, act: Activation, slope: number, out: Float32Array): void;

  /**
   * Binary × binary dense layer whose output is binarized again (BatchNorm + sign folded into an
   * integer threshold): bit[r, o] = direction[o]·dot ≥ threshold[o], direction ∈ {+1, −1}.
   * out: bits [rows, outC].
   */
  binaryDenseSign(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, direction: Int32Array, threshold: Int32Array, out: Uint32Array): void;

  /**
   * Binary × binary dense layer reduced over rows: max[o] and min[o] of the integer dot over all
   * rows (a per-channel monotone affine map and a max over points commute with this).
   */
  binaryDenseMinMax(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, max: Int32Array, min: Int32Array): void;

  /** out[c] = max over rows of x[r, c]; x [rows, channels]. */
  maxRows(x: Float32Array, rows: number, channels: number, out: Float32Array): void;

  /**
   * The k nearest neighbours of every row of x [points, channels] (the point itself included),
   * nearest first, ranked by 2·xᵢ·xⱼ − ‖xⱼ‖² in float32 as the training kernel does (`knnDirect` in
   * src/backend/simd/assembly/kernels.ts), ties to the lower index: out [points, k].
   */
  knn(x: Float32Array, points: number, channels: number, k: number, out: Int32Array): void;
}
