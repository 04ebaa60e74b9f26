import * as tf from '@tensorflow/tfjs-core';
import { JS_KERNEL_BACKENDS, kernelIO } from '../kernel-io.ts';

/**
 * Training-mode batch normalization over all axes but the last, as one forward kernel and one
 * closed-form backward kernel. tfjs's own `batchNorm` gradient tiles rsqrt(var) to the full
 * activation size (about 6 s a step for PointNet on wasm); here each direction is two passes.
 *
 *   forward:  y = γ·x̂ + β,  x̂ = (x − μ)/√(σ² + ε)        outputs [y, μ, σ²]
 *   backward: dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/√(σ²+ε) · (dy − dβ/M − x̂·dγ/M)
 */
export const BATCH_NORM_TRAIN_KERNEL = 'BitpointBatchNormTrain';
export const BATCH_NORM_GRAD_KERNEL = 'BitpointBatchNormGrad';

interface Attrs {
  epsilon: number;
}

function registerForward(backendName: string): void {
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAIN_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
      const { epsilon } = attrs as unknown as Attrs;
      const channels = x.shape[x.shape.length - 1]!;
      const rows = x.shape.reduce((p, d) => p * d, 1) / channels;
      const io = kernelIO(backendName, backend);
      const yInfo = io.alloc(x.shape, 'float32');
      const meanInfo = io.alloc([channels], 'float32');
      const varInfo = io.alloc([channels], 'float32');
      const xs = io.view(x) as Float32Array;
      const g = io.view(gamma) as Float32Array;
      const bt = io.view(beta) as Float32Array;
      const y = io.view(yInfo) as Float32Array;
      // One pass for both moments, accumulated in float64 around a per-channel shift (the first
      // row) so that E[x²] − E[x]² does not cancel catastrophically when |μ| ≫ σ.
      const shiftBy = xs.slice(0, channels);
      const sum = new Float64Array(channels);
      const squares = new Float64Array(channels);
      for (let r = 0; r < rows; r++) {
        const o = r * channels;
        for (let c = 0; c < channels; c++) {
          const d = xs[o + c]! - shiftBy[c]!;
          sum[c]! += d;
          squares[c]! += d * d;
        }
      }
      const mean = new Float64Array(channels);
      for (let c = 0; c < channels; c++) mean[c] = shiftBy[c]! + sum[c]! / rows;
      const scale = new Float32Array(channels);
      const shift = new Float32Array(channels);
      const meanOut = io.view(meanInfo) as Float32Array;
      const varOut = io.view(varInfo) as Float32Array;
      for (let c = 0; c < channels; c++) {
        const shiftedMean = sum[c]! / rows;
        const variance = Math.max(squares[c]! / rows - shiftedMean * shiftedMean, 0);
        meanOut[c] = mean[c]!;
        varOut[c] = variance;
        scale[c] = g[c]! / Math.sqrt(variance + epsilon);
        shift[c] = bt[c]! - mean[c]! * scale[c]!;
      }
      for (let r = 0; r < rows; r++) {
        const o = r * channels;
        for (let c = 0; c < channels; c++) y[o + c] = xs[o + c]! * scale[c]! + shift[c]!;
      }
      return [yInfo, meanInfo, varInfo];
    },
  });
}

interface BackwardInputs {
  dy: Float32Array;
  x: Float32Array;
  mean: Float32Array;
  invStd: Float32Array;
  rows: number;
  channels: number;
}

/** Σ dy and Σ dy·x̂ per channel: the parameter gradients, and what the input gradient needs. */
function backwardSums({ dy, x, mean, invStd, rows, channels }: BackwardInputs): { sumDy: Float64Array; sumDyXhat: Float64Array } {
  const sumDy = new Float64Array(channels);
  const sumDyXhat = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      const d = dy[o + c]!;
      sumDy[c]! += d;
      sumDyXhat[c]! += d * (x[o + c]! - mean[c]!) * invStd[c]!;
    }
  }
  return { sumDy, sumDyXhat };
}

/** One backward kernel: the per-channel sums (one pass), then dx (a second pass). */
function registerBackward(backendName: string): void {
  tf.registerKernel({
    kernelName: BATCH_NORM_GRAD_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
      const { epsilon } = attrs as unknown as Attrs;
      const channels = x.shape[x.shape.length - 1]!;
      const rows = x.shape.reduce((p, d) => p * d, 1) / channels;
      const io = kernelIO(backendName, backend);
      const dxInfo = io.alloc(x.shape, 'float32');
      const dGammaInfo = io.alloc([channels], 'float32');
      const dBetaInfo = io.alloc([channels], 'float32');
      const v = io.view(variance) as Float32Array;
      const invStd = new Float32Array(channels);
      for (let c = 0; c < channels; c++) invStd[c] = 1 / Math.sqrt(v[c]! + epsilon);
      const data: BackwardInputs = {
        dy: io.view(dy) as Float32Array,
        x: io.view(x) as Float32Array,
        mean: io.view(mean) as Float32Array,
        invStd,
        rows,
        channels,
      };
      const { sumDy, sumDyXhat } = backwardSums(data);
      (io.view(dGammaInfo) as Float32Array).set(sumDyXhat);
      (io.view(dBetaInfo) as Float32Array).set(sumDy);
      const g = io.view(gamma) as Float32Array;
      const k = new Float32Array(channels);
      const meanDy = new Float32Array(channels);
      const meanDyXhat = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        k[c] = g[c]! * invStd[c]!;
        meanDy[c] = sumDy[c]! / rows;
        meanDyXhat[c] = sumDyXhat[c]! / rows;
      }
      const dx = io.view(dxInfo) as Float32Array;
      const { dy: dys, x: xs, mean: mu } = data;
      for (let r = 0; r < rows; r++) {
        const o = r * channels;
        for (let c = 0; c < channels; c++) {
          const xhat = (xs[o + c]! - mu[c]!) * invStd[c]!;
          dx[o + c] = k[c]! * (dys[o + c]! - meanDy[c]! - xhat * meanDyXhat[c]!);
        }
      }
      return [dxInfo, dGammaInfo, dBetaInfo];
    },
  });
}

let gradientRegistered = false;

function registerGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN_KERNEL,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [x, gamma, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      // Computed here, not inside the per-input closures: tfjs runs each closure in its own scope,
      // so a result shared between closures would be disposed by the first. Created here, the
      // three tensors live in the gradient computation's scope, which frees whatever is unused.
      const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, { dy, x, gamma, mean, variance }, attrs) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dGamma!, beta: () => dBeta! };
    },
  });
}

export function installBatchNormKernels(backendName: string): string[] {
  if (!(JS_KERNEL_BACKENDS as readonly string[]).includes(backendName)) return [];
  if (!tf.getKernel(BATCH_NORM_TRAIN_KERNEL, backendName)) {
    registerForward(backendName);
    registerBackward(backendName);
  }
  registerGradient();
  return [BATCH_NORM_TRAIN_KERNEL, BATCH_NORM_GRAD_KERNEL];
}
