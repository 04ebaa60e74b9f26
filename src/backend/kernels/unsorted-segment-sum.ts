import * as tf from '@tensorflow/tfjs-core';
import { kernelIO } from '../kernel-io.ts';

/**
 * `UnsortedSegmentSum`, which the wasm backend does not register; it is the gradient of `gather`
 * (DGCNN's neighbour lookup), so without it nothing that gathers can train on wasm.
 * out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]; ids outside [0, numSegments) are dropped, as in TF.
 */
export function installUnsortedSegmentSum(backendName: string): string[] {
  if (backendName !== 'wasm' || tf.getKernel('UnsortedSegmentSum', backendName)) return [];
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const rows = segmentIds.shape.reduce((p, d) => p * d, 1);
      const inner = x.shape.slice(segmentIds.shape.length).reduce((p, d) => p * d, 1);
      const io = kernelIO(backendName, backend);
      const out = io.alloc([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
      const xs = io.view(x);
      const ids = io.view(segmentIds);
      const result = io.view(out);
      result.fill(0);
      for (let r = 0; r < rows; r++) {
        const s = ids[r]!;
        if (s < 0 || s >= numSegments) continue;
        const from = r * inner;
        const to = s * inner;
        for (let i = 0; i < inner; i++) result[to + i]! += xs[from + i]!;
      }
      return out;
    },
  });
  return ['UnsortedSegmentSum'];
}
