import * as tf from '@tensorflow/tfjs-core';
import { kernelIO, type KernelIO } from '../kernel-io.ts';
import { simdKernelsFor, type SimdKernels } from '../simd/simd-kernels.ts';

/**
 * The k nearest neighbours of every point of x [B, N, C], DGCNN's graph, as one kernel. For row i,
 *
 *   −‖xᵢ − xⱼ‖² = 2·xᵢ·xⱼ − ‖xⱼ‖² − ‖xᵢ‖²,
 *
 * and ‖xᵢ‖² is the same for the whole row, so the k largest scores sᵢⱼ = 2·xᵢ·xⱼ − ‖xⱼ‖² are the
 * k nearest points (the point itself included: it scores highest). The scores come from the Gram
 * matrix G = X·Xᵀ (a batched matMul, XNNPACK's fast path; ‖xⱼ‖² = Gⱼⱼ) or, for few channels,
 * straight from the coordinates four at a time (a 3-wide product is too thin for the matMul's
 * blocking). Selection is one pass over each row with a sorted list of the k best; a candidate
 * costs one comparison against the k-th best (four at a time in SIMD WebAssembly). tfjs's `TopK`
 * on the negated distance matrix needs three elementwise passes over [B, N, N] and then sorts every
 * row: the first EdgeConv's kNN took 4–6× longer that way.
 *
 * Output: int32 [B, N, k], nearest first, as *flat* row indices b·N + j into [B·N, C], so one
 * gather over all clouds looks neighbours up. Ties go to the lower index (as `tf.topk` orders
 * them); NaN scores are never chosen unless a row has fewer than k other candidates.
 */
export const KNN_KERNEL = 'BitpointKnn';

export interface KnnAttrs {
  k: number;
}

/** Up to this many channels the scores are computed from the coordinates, above through G = X·Xᵀ. */
export const DIRECT_MAX_CHANNELS = 8;

/** Selection in plain JS from a Gram matrix [batch, points, points] into flat indices. */
export function selectNearest(gram: Float32Array, out: Int32Array, batch: number, points: number, k: number): void {
  const bestScore = new Float64Array(k);
  const bestIndex = new Int32Array(k);
  const diagonal = new Float64Array(points);
  for (let b = 0; b < batch; b++) {
    const base = b * points * points;
    for (let j = 0; j < points; j++) diagonal[j] = gram[base + j * points + j]!;
    for (let i = 0; i < points; i++) {
      const row = base + i * points;
      let filled = 0;
      let threshold = -Infinity;
      for (let j = 0; j < points; j++) {
        // float32 arithmetic, as in the SIMD kernel
        const score = Math.fround(2 * gram[row + j]! - diagonal[j]!);
        if (filled === k) {
          if (!(score > threshold)) continue;
        } else if (score !== score) {
          continue;
        }
        // Insert after every equal score, so earlier indices win ties.
        let p = filled < k ? filled++ : k - 1;
        while (p > 0 && bestScore[p - 1]! < score) {
          bestScore[p] = bestScore[p - 1]!;
          bestIndex[p] = bestIndex[p - 1]!;
          p--;
        }
        bestScore[p] = score;
        bestIndex[p] = j;
        if (filled === k) threshold = bestScore[k - 1]!;
      }
      // Rows with NaN scores may have fewer than k candidates: fill with the lowest unused indices.
      for (let j = 0; filled < k && j < points; j++) {
        let taken = false;
        for (let q = 0; q < filled; q++) if (bestIndex[q] === j) taken = true;
        if (!taken) bestIndex[filled++] = j;
      }
      const o = (b * points + i) * k;
      const offset = b * points;
      for (let q = 0; q < k; q++) out[o + q] = bestIndex[q]! + offset;
    }
  }
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** G = X·Xᵀ [B, N, N] through the backend's BatchMatMul kernel. */
function gramMatrix(args: KernelArgs, x: tf.TensorInfo, backendName: string): tf.TensorInfo {
  const matMul = tf.getKernel('BatchMatMul', backendName)!;
  const attrs = { transposeA: false, transposeB: true } as unknown as tf.NamedAttrMap;
  return matMul.kernelFunc({ ...args, inputs: { a: x, b: x }, attrs }) as tf.TensorInfo;
}

/** Runs a SIMD selection with scratch space from tfjs's allocator; true if every row was filled. */
function withScratch(simd: SimdKernels, words: number, run: (scratch: number) => number): boolean {
  const scratch = simd.malloc(words * 4);
  try {
    return run(scratch) === 0;
  } finally {
    simd.free(scratch);
  }
}

function knn(args: KernelArgs, io: KernelIO, simd: SimdKernels | null, backendName: string): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { k } = args.attrs as unknown as KnnAttrs;
  if (x.shape.length !== 3 || x.dtype !== 'float32') throw new Error(`${KNN_KERNEL} expects float32 features [B, N, C], got [${x.shape}] ${x.dtype}`);
  const [batch, points, channels] = x.shape as [number, number, number];
  if (!(Number.isInteger(k) && k >= 1 && k <= points)) throw new Error(`${KNN_KERNEL}: k must be in [1, ${points}], got ${k}`);
  const out = io.alloc([batch, points, k], 'int32');
  if (simd && channels <= DIRECT_MAX_CHANNELS) {
    const at = (t: tf.TensorInfo) => simd.offsetOf(t.dataId);
    const complete = withScratch(simd, (channels + 2) * points + 2 * k, (scratch) => simd.knnDirect(at(x), at(out), batch, points, channels, k, scratch));
    if (complete) return out;
  }
  const gram = gramMatrix(args, x, backendName);
  try {
    if (simd) {
      const at = (t: tf.TensorInfo) => simd.offsetOf(t.dataId);
      const complete = withScratch(simd, 2 * points + 2 * k, (scratch) => simd.knnSelect(at(gram), at(out), batch, points, k, scratch));
      if (complete) return out;
    }
    // No SIMD, or rows with NaN features (rare): the JS selection fills every row.
    selectNearest(io.view(gram) as Float32Array, io.view(out) as Int32Array, batch, points, k);
    return out;
  } finally {
    io.free(gram);
  }
}

export function installKnn(backendName: string): string[] {
  if (backendName !== 'wasm' || !tf.getKernel('BatchMatMul', backendName)) return [];
  if (!tf.getKernel(KNN_KERNEL, backendName)) {
    tf.registerKernel({
      kernelName: KNN_KERNEL,
      backendName,
      kernelFunc: (args) => knn(args, kernelIO(backendName, args.backend), simdKernelsFor(args.backend), backendName),
    });
  }
  return [KNN_KERNEL];
}
