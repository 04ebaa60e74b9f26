import * as tf from '@tensorflow/tfjs-core';
import { kernelIO } from '../kernel-io.ts';

/**
 * `SplitV` as block copies. wasm's kernel slices every piece with a generic strided loop; the
 * gradient of a `concat` along channels is such a split (DGCNN concatenates its four EdgeConv
 * outputs, [8, 1024, 512] at batch 8: ~0.1 s of CPU per step). Seen as [outer, axis, inner], piece
 * j is `outer` contiguous runs of sizeⱼ·inner values, each one `TypedArray.set`.
 */
export function installSplit(backendName: string): string[] {
  if (backendName !== 'wasm') return [];
  const original = tf.getKernel('SplitV', backendName);
  if (!original) return [];
  if ((original as { bitpoint?: boolean }).bitpoint) return ['SplitV'];
  tf.unregisterKernel('SplitV', backendName);
  const config: tf.KernelConfig & { bitpoint: true } = {
    ...original,
    bitpoint: true,
    kernelFunc: (args) => {
      const x = args.inputs['x'] as tf.TensorInfo;
      if (x.dtype !== 'float32' && x.dtype !== 'int32') return original.kernelFunc(args);
      const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
      const dim = tf.util.parseAxisParam(axis, x.shape)[0]!;
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, dim);
      const outer = x.shape.slice(0, dim).reduce((p, d) => p * d, 1);
      const inner = x.shape.slice(dim + 1).reduce((p, d) => p * d, 1);
      const io = kernelIO(backendName, args.backend);
      const pieces = sizes.map((size) => io.alloc(x.shape.map((d, i) => (i === dim ? size : d)), x.dtype));
      const source = io.view(x) as Float32Array | Int32Array;
      const rowLength = x.shape[dim]! * inner;
      let start = 0;
      pieces.forEach((piece, j) => {
        const run = sizes[j]! * inner;
        const target = io.view(piece) as Float32Array | Int32Array;
        for (let o = 0; o < outer; o++) {
          const from = o * rowLength + start;
          target.set(source.subarray(from, from + run), o * run);
        }
        start += run;
      });
      return pieces;
    },
  };
  tf.registerKernel(config);
  return ['SplitV'];
}
