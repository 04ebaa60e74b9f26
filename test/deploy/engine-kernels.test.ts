import { beforeAll, describe, expect, it } from 'vitest';
import { JsKernels } from '../../src/deploy/engine/js-kernels.ts';
import { Activation, bitWords64 } from '../../src/deploy/engine/kernels.ts';
import { createWasmKernels, createWasmKernelsSync, knnScratchBytes, type WasmKernels } from '../../src/deploy/engine/wasm-kernels.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * Every WebAssembly engine kernel against the plain TypeScript reference, on seeded random inputs
 * with odd shapes (word tails, vector tails, single rows): exact for bit and integer results, and
 * for binaryDenseF32 (its epilogue is computed in f64 like the reference); float sums within
 * float32 rounding.
 */
const CHANNELS = [1, 3, 31, 32, 33, 63, 64, 65, 127, 130, 1024];
const ROWS = [1, 5, 64];
const OUT_CHANNELS = [1, 7, 64];
const ACTIVATIONS = [Activation.None, Activation.Relu, Activation.LeakyRelu];
const SLOPE = 0.2;

const js = new JsKernels();
let wasm: WasmKernels;

beforeAll(async () => {
  wasm = await createWasmKernels();
  // one reservation for the whole file, so no case grows the memory under its own views
  wasm.arena.reserve(24 << 20);
});

/** Normal floats with exact zeros, negative zeros and (optionally) NaNs mixed in. */
function floats(rng: Rng, length: number, options: { scale?: number; nan?: boolean } = {}): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const u = rng.uniform();
    if (u < 0.05) values[i] = 0;
    else if (u < 0.1) values[i] = -0;
    else if (options.nan && u < 0.13) values[i] = Number.NaN;
    else values[i] = rng.normal() * (options.scale ?? 1);
  }
  return values;
}

/** Sign bits of random floats, rows × channels, packed by the reference (padding bits 0). */
function bits(rng: Rng, rows: number, channels: number): Uint32Array {
  const out = new Uint32Array(rows * bitWords64(channels) * 2);
  js.packSigns(floats(rng, rows * channels), rows, channels, out);
  return out;
}

function ints(rng: Rng, length: number, draw: () => number): Int32Array {
  return Int32Array.from({ length }, draw);
}

/** A copy of `values` in the wasm arena. */
function inArena<T extends Float32Array | Int32Array | Uint32Array>(values: T): T {
  const arena = wasm.arena;
  const copy = (values instanceof Float32Array ? arena.f32(values.length) : values instanceof Int32Array ? arena.i32(values.length) : arena.bits(1, values.length * 32)) as T;
  copy.set(values);
  return copy;
}

/** |actual − expected| ≤ 1e-5·|expected| + 1e-6 everywhere; reports the worst element. */
function expectClose(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - (1e-5 * Math.abs(expected[i]!) + 1e-6);
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) expect(actual[worst], `${label} at ${worst}`).toBe(expected[worst]);
}

function expectEqual(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect(actual[i], `${label} at ${i}`).toBe(expected[i]);
  }
}

describe('WasmKernels match JsKernels', () => {
  it('denseF32', () => {
    const rng = new Rng(1);
    const cases: Array<[number, number, number]> = [];
    for (const inC of CHANNELS) for (const rows of ROWS) for (const outC of OUT_CHANNELS) cases.push([rows, inC, outC]);
    cases.push([5, 65, 1024], [64, 3, 13], [9, 130, 30]);
    cases.forEach(([rows, inC, outC], n) => {
      wasm.arena.reset();
      const x = floats(rng, rows * inC);
      const w = floats(rng, inC * outC, { scale: 1 / Math.sqrt(inC) });
      const scale = floats(rng, outC);
      const shift = floats(rng, outC);
      const act = ACTIVATIONS[n % 3]!;
      const expected = new Float32Array(rows * outC);
      js.denseF32(x, rows, inC, w, outC, scale, shift, act, SLOPE, expected);
      const out = wasm.arena.f32(rows * outC);
      wasm.denseF32(inArena(x), rows, inC, inArena(w), outC, inArena(scale), inArena(shift), act, SLOPE, out);
      expectClose(out, expected, `denseF32 rows ${rows} inC ${inC} outC ${outC} act ${act}`);
    });
  });

  it('packSigns (NaN → 0, ±0 → 1)', () => {
    const rng = new Rng(2);
    for (const channels of CHANNELS) {
      for (const rows of ROWS) {
        wasm.arena.reset();
        const x = floats(rng, rows * channels, { nan: true });
        const expected = new Uint32Array(rows * bitWords64(channels) * 2);
        js.packSigns(x, rows, channels, expected);
        const out = wasm.arena.bits(rows, channels);
        out.fill(0xffffffff); // every word, padding included, must be written
        wasm.packSigns(inArena(x), rows, channels, out);
        expectEqual(out, expected, `packSigns rows ${rows} channels ${channels}`);
      }
    }
  });

  it('binaryDenseF32 (bit-exact)', () => {
    const rng = new Rng(3);
    const cases: Array<[number, number, number]> = [];
    for (const inC of CHANNELS) for (const rows of ROWS) for (const outC of OUT_CHANNELS) cases.push([rows, inC, outC]);
    cases.push([1, 1024, 512], [1, 512, 256], [3, 256, 1024]);
    cases.forEach(([rows, inC, outC], n) => {
      wasm.arena.reset();
      const x = bits(rng, rows, inC);
      const w = bits(rng, outC, inC);
      const scale = floats(rng, outC);
      const shift = floats(rng, outC);
      const act = ACTIVATIONS[n % 3]!;
      const expected = new Float32Array(rows * outC);
      js.binaryDenseF32(x, rows, inC, w, outC, scale, shift, act, SLOPE, expected);
      const out = wasm.arena.f32(rows * outC);
      wasm.binaryDenseF32(inArena(x), rows, inC, inArena(w), outC, inArena(scale), inArena(shift), act, SLOPE, out);
      expectEqual(out, expected, `binaryDenseF32 rows ${rows} inC ${inC} outC ${outC} act ${act}`);
    });
  });

  it('binaryDenseSign', () => {
    const rng = new Rng(4);
    const cases: Array<[number, number, number]> = [];
    for (const inC of CHANNELS) for (const rows of ROWS) for (const outC of [...OUT_CHANNELS, 65, 130]) cases.push([rows, inC, outC]);
    cases.push([1, 1024, 512], [1, 512, 256], [64, 64, 1024]);
    cases.forEach(([rows, inC, outC], n) => {
      wasm.arena.reset();
      const x = bits(rng, rows, inC);
      const w = bits(rng, outC, inC);
      // ±1 as the engine folds BatchNorm; every third case any small integer (0 included)
      const direction = ints(rng, outC, () => (n % 3 === 2 ? rng.int(7) - 3 : rng.uniform() < 0.5 ? 1 : -1));
      // thresholds of both parities around the dot products' range, boundary values included
      const threshold = ints(rng, outC, () => Math.round(rng.normal() * Math.sqrt(inC)));
      const expected = new Uint32Array(rows * bitWords64(outC) * 2);
      js.binaryDenseSign(x, rows, inC, w, outC, direction, threshold, expected);
      const out = wasm.arena.bits(rows, outC);
      out.fill(0xffffffff);
      wasm.binaryDenseSign(inArena(x), rows, inC, inArena(w), outC, inArena(direction), inArena(threshold), out);
      expectEqual(out, expected, `binaryDenseSign rows ${rows} inC ${inC} outC ${outC}`);
    });
  });

  it('binaryDenseMinMax', () => {
    const rng = new Rng(5);
    const cases: Array<[number, number, number]> = [];
    for (const inC of [...CHANNELS, 192, 200, 256]) for (const rows of ROWS) for (const outC of [...OUT_CHANNELS, 6]) cases.push([rows, inC, outC]);
    cases.push([1024, 128, 1024], [0, 64, 5]);
    for (const [rows, inC, outC] of cases) {
      wasm.arena.reset();
      const x = bits(rng, rows, inC);
      const w = bits(rng, outC, inC);
      // an all-different and an identical row reach the extreme counts (0 and inC)
      if (rows >= 2 && outC >= 1) {
        const words = bitWords64(inC) * 2;
        for (let i = 0; i < words; i++) {
          x[i] = w[i]!;
          const padding = i * 32 + 32 > inC ? (i * 32 >= inC ? 0 : 2 ** (inC - i * 32) - 1) : 0xffffffff;
          x[words + i] = (~w[i]! & padding) >>> 0;
        }
      }
      const expectedMax = new Int32Array(outC);
      const expectedMin = new Int32Array(outC);
      js.binaryDenseMinMax(x, rows, inC, w, outC, expectedMax, expectedMin);
      const max = wasm.arena.i32(outC);
      const min = wasm.arena.i32(outC);
      wasm.binaryDenseMinMax(inArena(x), rows, inC, inArena(w), outC, max, min);
      expectEqual(max, expectedMax, `binaryDenseMinMax max rows ${rows} inC ${inC} outC ${outC}`);
      expectEqual(min, expectedMin, `binaryDenseMinMax min rows ${rows} inC ${inC} outC ${outC}`);
    }
  });

  it('maxRows (NaN never wins)', () => {
    const rng = new Rng(6);
    for (const channels of CHANNELS) {
      for (const rows of [...ROWS, 0]) {
        wasm.arena.reset();
        const x = floats(rng, rows * channels, { nan: true });
        const expected = new Float32Array(channels);
        js.maxRows(x, rows, channels, expected);
        const out = wasm.arena.f32(channels);
        wasm.maxRows(inArena(x), rows, channels, out);
        expectEqual(out, expected, `maxRows rows ${rows} channels ${channels}`);
      }
    }
  });

  it('knn (duplicate points tie to the lower index)', () => {
    const rng = new Rng(7);
    for (const [points, channels, k] of [[1, 3, 1], [5, 3, 5], [64, 3, 20], [130, 1, 7], [67, 31, 16], [33, 64, 4]] as const) {
      wasm.arena.reset();
      const x = floats(rng, points * channels);
      // a few exact duplicates
      for (let d = 0; d + 1 < points && d < 6; d += 2) x.copyWithin((d + 1) * channels, d * channels, (d + 1) * channels);
      const expected = new Int32Array(points * k);
      js.knn(x, points, channels, k, expected);
      const out = wasm.arena.i32(points * k);
      wasm.knn(inArena(x), points, channels, k, out);
      expectEqual(out, expected, `knn points ${points} channels ${channels} k ${k}`);
    }
  });
});

describe('WasmArena', () => {
  it('aligns, zero-fills and rewinds allocations', () => {
    const arena = createWasmKernelsSync().arena;
    const a = arena.f32(3);
    const b = arena.bits(3, 65);
    const c = arena.i32(1);
    for (const view of [a, b, c]) expect(view.byteOffset % 16).toBe(0);
    expect(b.length).toBe(3 * 2 * 2);
    a.fill(7);
    arena.reset();
    expect(Array.from(arena.f32(3))).toEqual([0, 0, 0]);
  });

  it('keeps views valid across allocations within a reservation', () => {
    const kernels = createWasmKernelsSync();
    const arena = kernels.arena;
    // what an engine would do: reserve the bytes of its arrays (odd sizes, so every allocation
    // is padded to 16 bytes), then allocate them all, far past the initial memory
    const small = [4, ...Array.from({ length: 3000 }, (_, i) => 1 + ((i * 7) % 13)), 4];
    const smallBytes = small.reduce((sum, n) => sum + 4 * n, 0);
    // a large array sized so the reservation ends exactly on a page: no rounding to hide padding
    const end = Math.ceil((arena.used + smallBytes + (8 << 20)) / 65536) * 65536;
    const lengths = [...small.slice(0, -1), (end - arena.used - smallBytes) / 4, 4];
    arena.reserve(lengths.reduce((sum, n) => sum + 4 * n, 0));
    const views = lengths.map((n) => arena.f32(n));
    const x = views[0]!;
    const out = views[views.length - 1]!;
    expect(views.every((view) => view.buffer === arena.memory.buffer)).toBe(true);
    x.set([1, -2, 3, -4]);
    kernels.maxRows(x, 1, 4, out);
    expect(Array.from(out)).toEqual([1, -2, 3, -4]);
  });

  it('rejects views from outside the arena, stale views and short views', () => {
    const kernels = createWasmKernelsSync();
    const arena = kernels.arena;
    const out = arena.f32(4);
    expect(() => kernels.maxRows(new Float32Array(4), 1, 4, out)).toThrow(/maxRows: x is not a view of the arena's current memory/);
    const x = arena.f32(4);
    expect(() => kernels.maxRows(x, 2, 4, out)).toThrow(/maxRows: x has 4 elements, needs 8/);
    // growing past the memory detaches the views taken before
    arena.f32(arena.free / 4 + 1);
    expect(() => kernels.maxRows(x, 1, 4, out)).toThrow(/taken before the memory grew/);
  });

  it('knn refuses to grow the memory for its scratch', () => {
    const kernels = createWasmKernelsSync();
    const arena = kernels.arena;
    const x = arena.f32(64 * 3);
    const out = arena.i32(64 * 4);
    arena.f32(Math.floor(arena.free / 4) - 8);
    expect(() => kernels.knn(x, 64, 3, 4, out)).toThrow(/include knnScratchBytes\(64, 3, 4\) in arena.reserve/);
    expect(knnScratchBytes(64, 3, 4)).toBe((5 * 64 + 8) * 4);
  });
});
