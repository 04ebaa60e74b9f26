import * as tf from '@tensorflow/tfjs-core';
import { kernelIO } from '../kernel-io.ts';
import { simdKernelsFor } from '../simd/simd-kernels.ts';
import { normalizeAxes, reduceLayout, type ReduceLayout } from './reduce-layout.ts';

/**
 * Sum, Mean and Max over leading or middle axes (e.g. the batch axis of a weight gradient, or the
 * points axis of PointNet's global max) without wasm's up-front transpose: 10–25× faster here.
 * Reductions over the last axes, and non-float inputs, go to the original kernel.
 */
type Reducer = 'sum' | 'mean' | 'max';

function reduceInto(kind: Reducer, x: Float32Array, out: Float32Array, { outer, reduced, inner }: ReduceLayout): void {
  for (let o = 0; o < outer; o++) {
    const base = o * reduced * inner;
    const row = o * inner;
    if (kind === 'max') {
      for (let i = 0; i < inner; i++) out[row + i] = x[base + i]!;
      for (let r = 1; r < reduced; r++) {
        const offset = base + r * inner;
        for (let i = 0; i < inner; i++) {
          const v = x[offset + i]!;
          // NaN propagates, as in the native kernels
          if (v > out[row + i]! || v !== v) out[row + i] = v;
        }
      }
    } else {
      // Accumulate in float64 rows: sums over 32k rows lose digits in float32.
      const acc = new Float64Array(inner);
      for (let r = 0; r < reduced; r++) {
        const offset = base + r * inner;
        for (let i = 0; i < inner; i++) acc[i]! += x[offset + i]!;
      }
      const scale = kind === 'mean' ? 1 / reduced : 1;
      for (let i = 0; i < inner; i++) out[row + i] = acc[i]! * scale;
    }
  }
}

function overrideReduction(kernelName: string, kind: Reducer, backendName: string): boolean {
  const original = tf.getKernel(kernelName, backendName);
  if (!original) return false;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const x = args.inputs['x'] as tf.TensorInfo;
      const attrs = args.attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims?: boolean };
      const axes = normalizeAxes(attrs.axis ?? attrs.reductionIndices, x.shape.length);
      const layout = reduceLayout(x.shape, axes);
      if (x.dtype !== 'float32' || !layout || layout.inner === 1 || layout.reduced === 0) return original.kernelFunc(args);
      const io = kernelIO(backendName, args.backend);
      const out = io.alloc(attrs.keepDims ? layout.keptShape : layout.outShape, 'float32');
      const simd = kind === 'max' && backendName === 'wasm' ? simdKernelsFor(args.backend) : null;
      if (simd) {
        simd.maxMiddle(simd.offsetOf(x.dataId), simd.offsetOf(out.dataId), layout.outer, layout.reduced, layout.inner);
        return out;
      }
      reduceInto(kind, io.view(x) as Float32Array, io.view(out) as Float32Array, layout);
      return out;
    },
  });
  return true;
}

/** Installs the reduction overrides on wasm; returns the kernel names replaced. */
export function installReductionKernels(backendName: string): string[] {
  if (backendName !== 'wasm') return [];
  const replaced: string[] = [];
  if (overrideReduction('Sum', 'sum', backendName)) replaced.push('Sum');
  if (overrideReduction('Mean', 'mean', backendName)) replaced.push('Mean');
  if (overrideReduction('Max', 'max', backendName)) replaced.push('Max');
  return replaced;
}
