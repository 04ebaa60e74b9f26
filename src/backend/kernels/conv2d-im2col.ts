import * as tf from '@tensorflow/tfjs-core';
import { kernelIO, type KernelIO } from '../kernel-io.ts';

/**
 * The two gradients of a 2-D convolution on wasm as one matrix product each, on XNNPACK's fast
 * path, around an im2col copy ("patches": one row per output position, kh·kw·Cin columns):
 *
 *   filter gradient  dW [kh·kw·Cin, Cout] = patches(x)ᵀ · dy          (Conv2DBackpropFilter)
 *   input gradient   dx = col2im(dy · Wᵀ)  (patch gradients added back into the image)   (Conv2DBackpropInput)
 *
 * wasm has no `Conv2DBackpropFilter` (bitpoint's plain loops in conv2d-backprop-filter.ts ran the
 * MNIST CNN's second layer at ~0.2 GFLOP/s) and its `Conv2DBackpropInput` is a scalar loop; the
 * LeNet-style CNN at batch 64 spent 90 % of a step in the two. NHWC with dilation 1 only; anything
 * else goes to the kernel registered before.
 */
interface ConvShape {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  top: number;
  left: number;
}

function convShape(info: tf.backend_util.Conv2DInfo): ConvShape {
  return { ...info, top: info.padInfo.top, left: info.padInfo.left };
}

/** Walks every (output position, filter tap) pair that lands inside the image. */
function forEachTap(s: ConvShape, visit: (patchOffset: number, imageOffset: number) => void): void {
  const patchWidth = s.filterHeight * s.filterWidth * s.inChannels;
  let position = 0;
  for (let b = 0; b < s.batchSize; b++) {
    for (let oh = 0; oh < s.outHeight; oh++) {
      for (let ow = 0; ow < s.outWidth; ow++, position++) {
        for (let fh = 0; fh < s.filterHeight; fh++) {
          const ih = oh * s.strideHeight - s.top + fh;
          if (ih < 0 || ih >= s.inHeight) continue;
          for (let fw = 0; fw < s.filterWidth; fw++) {
            const iw = ow * s.strideWidth - s.left + fw;
            if (iw < 0 || iw >= s.inWidth) continue;
            visit(position * patchWidth + (fh * s.filterWidth + fw) * s.inChannels, ((b * s.inHeight + ih) * s.inWidth + iw) * s.inChannels);
          }
        }
      }
    }
  }
}

/** patches [positions, kh·kw·Cin] of x; taps outside the image are zero. */
function im2col(io: KernelIO, x: tf.TensorInfo, s: ConvShape): tf.TensorInfo {
  const positions = s.batchSize * s.outHeight * s.outWidth;
  const patches = io.alloc([positions, s.filterHeight * s.filterWidth * s.inChannels], 'float32');
  const xs = io.view(x) as Float32Array;
  const ps = io.view(patches) as Float32Array;
  ps.fill(0);
  const channels = s.inChannels;
  forEachTap(s, (p, i) => {
    for (let c = 0; c < channels; c++) ps[p + c] = xs[i + c]!;
  });
  return patches;
}

/** dx [B, H, W, Cin] = Σ of patch gradients over the taps that read each pixel. */
function col2im(io: KernelIO, patchGrads: tf.TensorInfo, s: ConvShape): tf.TensorInfo {
  const dx = io.alloc([s.batchSize, s.inHeight, s.inWidth, s.inChannels], 'float32');
  const gs = io.view(patchGrads) as Float32Array;
  const out = io.view(dx) as Float32Array;
  out.fill(0);
  const channels = s.inChannels;
  forEachTap(s, (p, i) => {
    for (let c = 0; c < channels; c++) out[i + c]! += gs[p + c]!;
  });
  return dx;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function matMul(args: KernelArgs, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
  const kernel = tf.getKernel('BatchMatMul', 'wasm')!;
  const as3d = (t: tf.TensorInfo) => ({ ...t, shape: [1, ...t.shape] });
  const attrs = { transposeA, transposeB } as unknown as tf.NamedAttrMap;
  return kernel.kernelFunc({ ...args, inputs: { a: as3d(a), b: as3d(b) }, attrs }) as tf.TensorInfo;
}

function registerOverride(kernelName: string, backendName: string, run: (args: KernelArgs, fallback: tf.KernelFunc) => tf.TensorInfo | null): boolean {
  const previous = tf.getKernel(kernelName, backendName);
  if ((previous as { bitpointIm2col?: boolean } | undefined)?.bitpointIm2col) return true;
  if (previous) tf.unregisterKernel(kernelName, backendName);
  const fallback: tf.KernelFunc =
    previous?.kernelFunc ??
    (() => {
      throw new Error(`${kernelName} on ${backendName} supports NHWC with dilation 1 only`);
    });
  const config: tf.KernelConfig & { bitpointIm2col: true } = {
    kernelName,
    backendName,
    ...(previous?.setupFunc ? { setupFunc: previous.setupFunc } : {}),
    bitpointIm2col: true,
    kernelFunc: (args) => run(args, fallback) ?? fallback(args),
  };
  tf.registerKernel(config);
  return true;
}

export function installConv2dIm2col(backendName: string): string[] {
  if (backendName !== 'wasm' || !tf.getKernel('BatchMatMul', backendName)) return [];
  registerOverride('Conv2DBackpropFilter', backendName, (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (dataFormat === 'NCHW' || x.dtype !== 'float32') return null;
    const s = convShape(
      tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape as [number, number, number, number], strides, 1, pad, dimRoundingMode),
    );
    const io = kernelIO(backendName, args.backend);
    const patches = im2col(io, x, s);
    const dyFlat = { ...dy, shape: [s.batchSize * s.outHeight * s.outWidth, s.outChannels] };
    const product = matMul(args, patches, dyFlat, true, false);
    io.free(patches);
    return { ...product, shape: [...filterShape] };
  });
  registerOverride('Conv2DBackpropInput', backendName, (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (dataFormat === 'NCHW' || dy.dtype !== 'float32') return null;
    const s = convShape(
      tf.backend_util.computeConv2DInfo(inputShape as [number, number, number, number], filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode),
    );
    const io = kernelIO(backendName, args.backend);
    const dyFlat = { ...dy, shape: [s.batchSize * s.outHeight * s.outWidth, s.outChannels] };
    const filterFlat = { ...filter, shape: [s.filterHeight * s.filterWidth * s.inChannels, s.outChannels] };
    const patchGrads = matMul(args, dyFlat, filterFlat, false, true);
    const dx = col2im(io, patchGrads, s);
    io.free(patchGrads);
    return dx;
  });
  return ['Conv2DBackpropFilter', 'Conv2DBackpropInput'];
}
