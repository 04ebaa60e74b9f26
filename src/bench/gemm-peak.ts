import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import type { BackendRequest } from '../backend/select.ts';
import { median } from './median.ts';

/**
 * The ceiling a training step is measured against: the single-precision matrix product speed
 * this backend reaches on this machine (on wasm: XNNPACK's GEMM, the fast path every product of
 * bitpoint's kernel fixes takes). Shapes are those of a PointNet step at a quarter of its rows,
 * plus a square one. Each shape is timed for at least `minMs`; its figure is the median over the
 * repeats (sustained, not one lucky call), and the peak is the best shape.
 *
 * With more than one thread the probe runs at once in the main thread and `threads - 1` worker
 * threads (each with its own backend, as data-parallel training does) and the per-thread figures
 * of a shape are summed: the machine's limit at that core count, shared caches and memory
 * bandwidth included.
 *
 * The right-hand matrix is the same tensor in every repeat, so XNNPACK packs it once; in a
 * training step a weight gradient's operand is new every time and is packed per call. The probe
 * is therefore an upper bound.
 */
export interface GemmShape {
  name: string;
  /** C[m, n] = A[m, k] · B[k, n]. */
  m: number;
  k: number;
  n: number;
}

export const GEMM_SHAPES: readonly GemmShape[] = [
  { name: 'square 1024', m: 1024, k: 1024, n: 1024 },
  // the widest shared-MLP layer (128 → 1024) on 8 clouds of 1024 points
  { name: 'points 8192x128x1024', m: 8192, k: 128, n: 1024 },
  // a narrow one (64 → 64): little work per loaded byte
  { name: 'points 8192x64x64', m: 8192, k: 64, n: 64 },
  // that layer's weight gradient as BatchMatMul computes it, (dYᵀ · X)ᵀ: the long axis inside
  { name: 'weight gradient 1024x8192x128', m: 1024, k: 8192, n: 128 },
];

export interface GemmShapeResult {
  shape: string;
  m: number;
  k: number;
  n: number;
  /** Summed over threads. */
  gflops: number;
  /** Each thread's own figure. */
  gflops_per_thread: number[];
}

export interface GemmPeak {
  backend: string;
  threads: number;
  /** The best shape's sustained GFLOP/s (all threads together). */
  peak_gflops: number;
  peak_shape: string;
  shapes: GemmShapeResult[];
  /** No kernel of bitpoint's own multiplies dense float matrices; XNNPACK's is the only GEMM. */
  kernel: string;
}

export interface ThreadProbe {
  shape: string;
  gflops: number;
}

/** Times each shape on the active backend in this thread; sustained GFLOP/s per shape. */
export function probeGemmHere(shapes: readonly GemmShape[], minMs: number): ThreadProbe[] {
  return shapes.map((shape) => {
    const a = tf.randomNormal([shape.m, shape.k], 0, 1, 'float32', 1);
    const b = tf.randomNormal([shape.k, shape.n], 0, 1, 'float32', 2);
    // wasm and cpu kernels run synchronously inside matMul, so the call's duration is the work;
    // reading the product back would add a copy the training step does not make.
    const once = () => tf.matMul(a, b).dispose();
    once();
    const times: number[] = [];
    const started = performance.now();
    while (times.length < 3 || performance.now() - started < minMs) {
      const start = performance.now();
      once();
      times.push(performance.now() - start);
    }
    a.dispose();
    b.dispose();
    return { shape: shape.name, gflops: (2 * shape.m * shape.k * shape.n) / (median(times) * 1e6) };
  });
}

export interface GemmPeakOptions {
  backend: BackendRequest;
  threads: number;
  /** Minimum time per shape and thread. */
  minMs: number;
  shapes?: readonly GemmShape[];
}

/** Runs the probe on every thread at once (see the module comment). The backend must be active. */
export async function measureGemmPeak(options: GemmPeakOptions): Promise<GemmPeak> {
  const shapes = options.shapes ?? GEMM_SHAPES;
  const entry = new URL('./gemm-worker.ts', import.meta.url).href;
  const bootstrap = new URL('../train/parallel/bootstrap.mjs', import.meta.url);
  const workers = Array.from({ length: options.threads - 1 }, () => new Worker(bootstrap, { workerData: { entry } }));
  try {
    const ready = workers.map((worker) => nextMessage(worker));
    workers.forEach((worker) => worker.postMessage({ type: 'init', backend: options.backend }));
    await Promise.all(ready);
    // One shape at a time on every thread, so the threads overlap on the same product.
    const summed = shapes.map((shape): GemmShapeResult => ({ shape: shape.name, m: shape.m, k: shape.k, n: shape.n, gflops: 0, gflops_per_thread: [] }));
    for (const [i, shape] of shapes.entries()) {
      const replies = workers.map((worker) => nextMessage(worker));
      workers.forEach((worker) => worker.postMessage({ type: 'probe', shapes: [shape], minMs: options.minMs }));
      const here = probeGemmHere([shape], options.minMs)[0]!.gflops;
      const there = ((await Promise.all(replies)) as Array<{ probes: ThreadProbe[] }>).map((reply) => reply.probes[0]!.gflops);
      const each = [here, ...there];
      summed[i]!.gflops = round(each.reduce((sum, g) => sum + g, 0));
      summed[i]!.gflops_per_thread = each.map(round);
    }
    const best = summed.reduce((a, b) => (b.gflops > a.gflops ? b : a));
    return { backend: tf.getBackend(), threads: options.threads, peak_gflops: best.gflops, peak_shape: best.shape, shapes: summed, kernel: tf.getBackend() === 'wasm' ? 'xnnpack' : tf.getBackend() };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string; message?: string }) => {
      worker.off('error', reject);
      if (message.type === 'error') reject(new Error(`GEMM probe worker: ${message.message}`));
      else resolve(message);
    };
    worker.once('message', onMessage);
    worker.once('error', reject);
  });
}

function round(value: number): number {
  return Number(value.toFixed(2));
}
