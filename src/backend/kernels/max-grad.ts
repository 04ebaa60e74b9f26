import * as tf from '@tensorflow/tfjs-core';
import { JS_KERNEL_BACKENDS, kernelIO } from '../kernel-io.ts';
import { simdKernelsFor } from '../simd/simd-kernels.ts';
import { normalizeAxes, reduceLayout } from './reduce-layout.ts';

/**
 * The gradient of a max over points. tfjs builds it as `dy · (x == broadcast(max))`, a broadcast
 * Equal over the whole activation (6 s a step on wasm for PointNet). This kernel writes the same
 * values in one pass: dy flows to every element equal to its max (ties all receive it, exactly as
 * tfjs does, so results match the reference bit for bit).
 */
export const MAX_GRAD_KERNEL = 'BitpointMaxGrad';

interface MaxGradAttrs {
  axes: number[];
  /** Split dy equally among tied maxima (TensorFlow's rule) instead of giving each all of it. */
  shareTies?: boolean;
}

function registerMaxGradKernel(backendName: string): void {
  tf.registerKernel({
    kernelName: MAX_GRAD_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, y, dy } = inputs as { x: tf.TensorInfo; y: tf.TensorInfo; dy: tf.TensorInfo };
      const { axes, shareTies = false } = attrs as unknown as MaxGradAttrs;
      const layout = reduceLayout(x.shape, axes)!;
      const io = kernelIO(backendName, backend);
      const out = io.alloc(x.shape, 'float32');
      const simd = backendName === 'wasm' ? simdKernelsFor(backend) : null;
      if (simd) {
        const at = (t: tf.TensorInfo) => simd.offsetOf(t.dataId);
        if (!shareTies) {
          simd.maxGradMiddle(at(x), at(y), at(dy), at(out), layout.outer, layout.reduced, layout.inner);
          return out;
        }
        const counts = simd.malloc(layout.inner * 4);
        try {
          simd.maxGradMiddleShared(at(x), at(y), at(dy), at(out), layout.outer, layout.reduced, layout.inner, counts);
        } finally {
          simd.free(counts);
        }
        return out;
      }
      const xs = io.view(x) as Float32Array;
      const ys = io.view(y) as Float32Array;
      const dys = io.view(dy) as Float32Array;
      const dx = io.view(out) as Float32Array;
      const { outer, reduced, inner } = layout;
      const counts = new Float32Array(inner);
      for (let o = 0; o < outer; o++) {
        const row = o * inner;
        counts.fill(shareTies ? 0 : 1);
        if (shareTies) {
          for (let r = 0; r < reduced; r++) for (let i = 0; i < inner; i++) if (xs[(o * reduced + r) * inner + i] === ys[row + i]) counts[i]!++;
        }
        for (let r = 0; r < reduced; r++) {
          const offset = (o * reduced + r) * inner;
          for (let i = 0; i < inner; i++) dx[offset + i] = xs[offset + i] === ys[row + i] ? dys[row + i]! / counts[i]! : 0;
        }
      }
      return out;
    },
  });
}

/**
 * Replaces the registered gradient of `Max` (gradients are global in tfjs) with one that uses the
 * kernel where the active backend has it, and the original formula everywhere else.
 */
export function installMaxGradient(backendName: string): string[] {
  if (!(JS_KERNEL_BACKENDS as readonly string[]).includes(backendName)) return [];
  if (!tf.getKernel(MAX_GRAD_KERNEL, backendName)) registerMaxGradKernel(backendName);
  const original = tf.getGradient('Max');
  if (!original || (original as { bitpoint?: boolean }).bitpoint) return ['MaxGrad'];
  const replacement: tf.GradConfig & { bitpoint: true } = {
    ...original,
    bitpoint: true,
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as [tf.Tensor, tf.Tensor];
      const axes = normalizeAxes((attrs as { reductionIndices: number | number[] }).reductionIndices, x.rank);
      const layout = reduceLayout(x.shape, axes);
      if (!layout || x.dtype !== 'float32' || !tf.getKernel(MAX_GRAD_KERNEL, tf.getBackend())) {
        return original.gradFunc(dy, saved, attrs);
      }
      return { x: () => tf.engine().runKernel(MAX_GRAD_KERNEL, { x, y, dy: dy as tf.Tensor }, { axes } as unknown as tf.NamedAttrMap) as tf.Tensor };
    },
  };
  tf.unregisterGradient('Max');
  tf.registerGradient(replacement);
  return ['MaxGrad'];
}
