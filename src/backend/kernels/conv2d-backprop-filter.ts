import * as tf from '@tensorflow/tfjs-core';
import { kernelIO } from '../kernel-io.ts';

/**
 * `Conv2DBackpropFilter` (the weight gradient of conv2d), which the wasm backend does not
 * register, so no convolution can train there. Direct loops in NHWC: for the small image
 * baselines (LeNet on 28×28) this is a few million multiply-adds per step.
 */
export function installConv2dBackpropFilter(backendName: string): string[] {
  if (backendName !== 'wasm' || tf.getKernel('Conv2DBackpropFilter', backendName)) return [];
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape as [number, number, number, number],
        strides,
        1,
        pad,
        dimRoundingMode,
      );
      const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
      const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
      const top = info.padInfo.top;
      const left = info.padInfo.left;
      const io = kernelIO(backendName, backend);
      const out = io.alloc(filterShape, 'float32');
      const xs = io.view(x) as Float32Array;
      const dys = io.view(dy) as Float32Array;
      const dw = io.view(out) as Float32Array;
      dw.fill(0);
      for (let b = 0; b < batchSize; b++) {
        for (let oh = 0; oh < outHeight; oh++) {
          for (let ow = 0; ow < outWidth; ow++) {
            const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
            for (let fh = 0; fh < filterHeight; fh++) {
              const ih = oh * strideHeight - top + fh;
              if (ih < 0 || ih >= inHeight) continue;
              for (let fw = 0; fw < filterWidth; fw++) {
                const iw = ow * strideWidth - left + fw;
                if (iw < 0 || iw >= inWidth) continue;
                const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
                const wBase = (fh * filterWidth + fw) * inChannels * outChannels;
                for (let c = 0; c < inChannels; c++) {
                  const xv = xs[xBase + c]!;
                  if (xv === 0) continue;
                  const wRow = wBase + c * outChannels;
                  for (let o = 0; o < outChannels; o++) dw[wRow + o]! += xv * dys[dyBase + o]!;
                }
              }
            }
          }
        }
      }
      return out;
    },
  });
  return ['Conv2DBackpropFilter'];
}
