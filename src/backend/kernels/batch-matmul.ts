import * as tf from '@tensorflow/tfjs-core';
import { kernelIO, type KernelIO } from '../kernel-io.ts';

/**
 * wasm's `BatchMatMul` reaches XNNPACK only for one untransposed product; with `transposeA/B`
 * (every gradient of a matMul) or a batch of products it runs a scalar loop 14–22× slower.
 * This wrapper transposes operands explicitly (a blocked copy, memory-bound and cheap next to
 * the product) and splits batches into single products, so every call takes the fast path.
 *
 * One product is turned around: Aᵀ·B where B is wider than A (the weight gradient Xᵀ·dY of a
 * layer that widens, e.g. PointNet's 128 → 1024) is computed as (Bᵀ·A)ᵀ. XNNPACK packs its
 * right-hand operand on every call with a new tensor, and Xᵀ·dY with the wide dY there ran about
 * half as fast as the same product with the narrow X there (measured on the 32768-row products
 * of a PointNet step). The same sums come out; only the order the product visits them may differ.
 */
const BLOCK = 32;

function product(dims: number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

/** Swaps the last two axes of `x` into a new tensor. */
function transposeLastTwo(io: KernelIO, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2]!;
  const cols = x.shape[rank - 1]!;
  const batch = product(x.shape.slice(0, -2));
  const out = io.alloc([...x.shape.slice(0, -2), cols, rows], 'float32');
  const src = io.view(x) as Float32Array;
  const dst = io.view(out) as Float32Array;
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = Math.min(r0 + BLOCK, rows);
      for (let c0 = 0; c0 < cols; c0 += BLOCK) {
        const c1 = Math.min(c0 + BLOCK, cols);
        for (let r = r0; r < r1; r++) {
          const srcRow = base + r * cols;
          for (let c = c0; c < c1; c++) dst[base + c * rows + r] = src[srcRow + c]!;
        }
      }
    }
  }
  return out;
}

/** A copy of batch entry `index` of a [batch, rows, cols] tensor, as [1, rows, cols]. */
function batchEntry(io: KernelIO, x: tf.TensorInfo, index: number): tf.TensorInfo {
  const rows = x.shape[x.shape.length - 2]!;
  const cols = x.shape[x.shape.length - 1]!;
  const out = io.alloc([1, rows, cols], 'float32');
  const size = rows * cols;
  (io.view(out) as Float32Array).set((io.view(x) as Float32Array).subarray(index * size, (index + 1) * size));
  return out;
}

export function installBatchMatMul(backendName: string): string[] {
  if (backendName !== 'wasm') return [];
  const original = tf.getKernel('BatchMatMul', backendName);
  if (!original || (original as { bitpoint?: boolean }).bitpoint) return original ? ['BatchMatMul'] : [];
  tf.unregisterKernel('BatchMatMul', backendName);
  const config: tf.KernelConfig & { bitpoint: true } = {
    ...original,
    bitpoint: true,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      const batchA = product(a.shape.slice(0, -2));
      const batchB = product(b.shape.slice(0, -2));
      const batch = Math.max(batchA, batchB);
      const simpleBatch = batchA === batchB || batchA === 1 || batchB === 1;
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || !simpleBatch) return original.kernelFunc(args);
      if (!transposeA && !transposeB && batch === 1) return original.kernelFunc(args);

      const io = kernelIO(backendName, args.backend);
      const plain = { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap;
      const call = (x: tf.TensorInfo, y: tf.TensorInfo) =>
        original.kernelFunc({ ...args, inputs: { a: x, b: y }, attrs: plain }) as tf.TensorInfo;
      const outerDims = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));

      const widthA = a.shape[a.shape.length - 1]!;
      const widthB = b.shape[b.shape.length - 1]!;
      if (batch === 1 && transposeA && !transposeB && widthB > widthA) {
        const bT = transposeLastTwo(io, b);
        const turned = call(bT, a);
        io.free(bT);
        const result = transposeLastTwo(io, turned);
        io.free(turned);
        return { ...result, shape: [...outerDims, widthA, widthB] };
      }

      const temporaries: tf.TensorInfo[] = [];
      const keep = (t: tf.TensorInfo) => (temporaries.push(t), t);
      const left = transposeA ? keep(transposeLastTwo(io, a)) : a;
      const right = transposeB ? keep(transposeLastTwo(io, b)) : b;

      const rows = left.shape[left.shape.length - 2]!;
      const cols = right.shape[right.shape.length - 1]!;
      let result: tf.TensorInfo;
      if (batch === 1) {
        result = call(left, right);
        result = { ...result, shape: [...outerDims, rows, cols] };
      } else {
        result = io.alloc([...outerDims, rows, cols], 'float32');
        const sharedLeft = batchA === 1 ? keep(batchEntry(io, left, 0)) : null;
        const sharedRight = batchB === 1 ? keep(batchEntry(io, right, 0)) : null;
        for (let i = 0; i < batch; i++) {
          const x = sharedLeft ?? batchEntry(io, left, i);
          const y = sharedRight ?? batchEntry(io, right, i);
          const part = call(x, y);
          (io.view(result) as Float32Array).set(io.view(part) as Float32Array, i * rows * cols);
          io.free(part);
          if (!sharedLeft) io.free(x);
          if (!sharedRight) io.free(y);
        }
      }
      for (const t of temporaries) io.free(t);
      return result;
    },
  };
  tf.registerKernel(config);
  return ['BatchMatMul'];
}
