import { fileURLToPath } from 'node:url';
import { JsKernels } from '../deploy/engine/js-kernels.ts';
import { Activation, bitWords64, type EngineKernels } from '../deploy/engine/kernels.ts';
import { createWasmKernels } from '../deploy/engine/wasm-kernels.ts';
import { Rng } from '../util/rng.ts';
import { median } from './median.ts';

/**
 * The engine kernels at binarized-PointNet sizes (one cloud of 1024 points): ms per call, the
 * median of several repeats, each timing enough calls to last about 2 ms. The plain-TypeScript
 * kernels are timed too where they finish in reasonable time.
 *
 *   node --import tsx src/bench/engine-kernels.ts      # one JSON object on stdout
 */
const POINTS = 1024;
const REPEATS = 15;
const REPEAT_MS = 2;

interface Case {
  name: string;
  /** Also time the JS reference (too slow for the big cases). */
  js: boolean;
  /** Allocates the case's buffers on `kernels.arena` and returns the call to time. */
  setup(kernels: EngineKernels, rng: Rng): () => void;
}

function randomF32(kernels: EngineKernels, rng: Rng, length: number, scale = 1): Float32Array {
  const values = kernels.arena.f32(length);
  for (let i = 0; i < length; i++) values[i] = rng.normal() * scale;
  return values;
}

function randomBits(kernels: EngineKernels, rng: Rng, rows: number, channels: number): Uint32Array {
  const bits = kernels.arena.bits(rows, channels);
  const words = bitWords64(channels) * 2;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < words; i++) {
      const valid = Math.min(32, Math.max(0, channels - 32 * i));
      bits[r * words + i] = valid === 32 ? rng.nextUint32() : rng.nextUint32() & (2 ** valid - 1);
    }
  }
  return bits;
}

function denseF32(rows: number, inC: number, outC: number): Case['setup'] {
  return (k, rng) => {
    const x = randomF32(k, rng, rows * inC);
    const w = randomF32(k, rng, inC * outC, 1 / Math.sqrt(inC));
    const scale = randomF32(k, rng, outC);
    const shift = randomF32(k, rng, outC);
    const out = k.arena.f32(rows * outC);
    return () => k.denseF32(x, rows, inC, w, outC, scale, shift, Activation.Relu, 0, out);
  };
}

function packSigns(rows: number, channels: number): Case['setup'] {
  return (k, rng) => {
    const x = randomF32(k, rng, rows * channels);
    const out = k.arena.bits(rows, channels);
    return () => k.packSigns(x, rows, channels, out);
  };
}

function binaryDenseF32(rows: number, inC: number, outC: number): Case['setup'] {
  return (k, rng) => {
    const x = randomBits(k, rng, rows, inC);
    const w = randomBits(k, rng, outC, inC);
    const scale = randomF32(k, rng, outC);
    const shift = randomF32(k, rng, outC);
    const out = k.arena.f32(rows * outC);
    return () => k.binaryDenseF32(x, rows, inC, w, outC, scale, shift, Activation.LeakyRelu, 0.2, out);
  };
}

function binaryDenseSign(rows: number, inC: number, outC: number): Case['setup'] {
  return (k, rng) => {
    const x = randomBits(k, rng, rows, inC);
    const w = randomBits(k, rng, outC, inC);
    const direction = k.arena.i32(outC);
    const threshold = k.arena.i32(outC);
    for (let o = 0; o < outC; o++) {
      direction[o] = rng.uniform() < 0.5 ? 1 : -1;
      threshold[o] = Math.round(rng.normal() * 4);
    }
    const out = k.arena.bits(rows, outC);
    return () => k.binaryDenseSign(x, rows, inC, w, outC, direction, threshold, out);
  };
}

function binaryDenseMinMax(rows: number, inC: number, outC: number): Case['setup'] {
  return (k, rng) => {
    const x = randomBits(k, rng, rows, inC);
    const w = randomBits(k, rng, outC, inC);
    const max = k.arena.i32(outC);
    const min = k.arena.i32(outC);
    return () => k.binaryDenseMinMax(x, rows, inC, w, outC, max, min);
  };
}

function maxRows(rows: number, channels: number): Case['setup'] {
  return (k, rng) => {
    const x = randomF32(k, rng, rows * channels);
    const out = k.arena.f32(channels);
    return () => k.maxRows(x, rows, channels, out);
  };
}

function knn(points: number, channels: number, neighbours: number): Case['setup'] {
  return (k, rng) => {
    const x = randomF32(k, rng, points * channels);
    const out = k.arena.i32(points * neighbours);
    return () => k.knn(x, points, channels, neighbours, out);
  };
}

/** One cloud through a binarized PointNet: float input layer, binary layers, pooled head. */
function chain(): Case['setup'] {
  return (k, rng) => {
    const calls = [
      denseF32(POINTS, 3, 64),
      packSigns(POINTS, 64),
      binaryDenseSign(POINTS, 64, 64),
      binaryDenseSign(POINTS, 64, 128),
      binaryDenseMinMax(POINTS, 128, 1024),
      packSigns(1, 1024),
      binaryDenseSign(1, 1024, 512),
      binaryDenseSign(1, 512, 256),
      binaryDenseF32(1, 256, 40),
    ].map((setup) => setup(k, rng));
    return () => {
      for (const call of calls) call();
    };
  };
}

const CASES: Case[] = [
  { name: 'denseF32 1024x3->64', js: true, setup: denseF32(POINTS, 3, 64) },
  { name: 'packSigns 1024x64', js: true, setup: packSigns(POINTS, 64) },
  { name: 'binaryDenseSign 1024x64->64', js: true, setup: binaryDenseSign(POINTS, 64, 64) },
  { name: 'binaryDenseSign 1024x64->128', js: true, setup: binaryDenseSign(POINTS, 64, 128) },
  { name: 'binaryDenseMinMax 1024x128->1024', js: false, setup: binaryDenseMinMax(POINTS, 128, 1024) },
  { name: 'binaryDenseF32 1x1024->512', js: true, setup: binaryDenseF32(1, 1024, 512) },
  { name: 'binaryDenseF32 1x512->256', js: true, setup: binaryDenseF32(1, 512, 256) },
  { name: 'binaryDenseSign 1x1024->512', js: true, setup: binaryDenseSign(1, 1024, 512) },
  { name: 'binaryDenseSign 1x512->256', js: true, setup: binaryDenseSign(1, 512, 256) },
  { name: 'denseF32 1024x64->128', js: false, setup: denseF32(POINTS, 64, 128) },
  { name: 'maxRows 1024x1024', js: false, setup: maxRows(POINTS, 1024) },
  { name: 'knn 1024x3 k20', js: false, setup: knn(POINTS, 3, 20) },
  { name: 'chain (one cloud)', js: false, setup: chain() },
];

/** Median ms per call of `call`. */
function time(call: () => void): number {
  // warm-up, which also lets the wasm tier up from the baseline compiler
  let calls = 0;
  const warmStart = performance.now();
  while (calls < 3 || performance.now() - warmStart < 50) {
    call();
    calls++;
  }
  const perRepeat = Math.max(1, Math.ceil((REPEAT_MS * calls) / (performance.now() - warmStart)));
  const samples: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    for (let i = 0; i < perRepeat; i++) call();
    samples.push((performance.now() - start) / perRepeat);
  }
  return median(samples);
}

export async function runEngineKernelsBenchmark(): Promise<Record<string, unknown>> {
  const wasm = await createWasmKernels();
  const js = new JsKernels();
  const cases: Record<string, { wasm_ms: number; js_ms: number | null }> = {};
  for (const c of CASES) {
    wasm.arena.reset();
    wasm.arena.reserve(32 << 20);
    const wasmMs = time(c.setup(wasm, new Rng(1)));
    const jsMs = c.js ? time(c.setup(js, new Rng(1))) : null;
    const round = (ms: number) => Math.round(ms * 1e4) / 1e4;
    cases[c.name] = { wasm_ms: round(wasmMs), js_ms: jsMs === null ? null : round(jsMs) };
  }
  return { benchmark: 'engine-kernels', points: POINTS, repeats: REPEATS, threads: 1, cases };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await runEngineKernelsBenchmark())}\n`);
}
