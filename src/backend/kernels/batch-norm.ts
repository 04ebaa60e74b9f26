import * as tf from '@tensorflow/tfjs-core';
import { JS_KERNEL_BACKENDS, kernelIO } from '../kernel-io.ts';

/**
 * Training-mode batch normalization over all axes but the last, as one forward kernel and one
 * closed-form backward kernel. tfjs's own `batchNorm` gradient tiles rsqrt(var) to the full
 * activation size (about 6 s a step for PointNet on wasm); here each direction is two passes.
 *
 *   forward:  y = γ·x̂ + β,  x̂ = (x − μ)/√(σ² + ε)        outputs [y, μ, σ²]
 *   backward: dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ/√(σ²+ε) · (dy − dβ/M − x̂·dγ/M)
 * (the parameter-gradient pass runs twice when both γ and β need it: it is the cheap one)
 */
export const BATCH_NORM_TRAIN_KERNEL = 'BitpointBatchNormTrain';
export const BATCH_NORM_GRAD_INPUT_KERNEL = 'BitpointBatchNormGradInput';
export const BATCH_NORM_GRAD_PARAMS_KERNEL = 'BitpointBatchNormGradParams';

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

/**
 * Two backward kernels, because tfjs computes each input's gradient in its own scope: one for
 * dx (two passes), one for dγ and dβ (one pass), so neither result outlives its scope.
 */
function registerBackward(backendName: string): void {
  const prepare = (inputs: tf.NamedTensorInfoMap, backend: unknown, epsilon: number, extra: (io: ReturnType<typeof kernelIO>, x: tf.TensorInfo) => tf.TensorInfo[]) => {
    const { dy, x, mean, variance } = inputs as Record<'dy' | 'x' | 'mean' | 'variance', tf.TensorInfo>;
    const channels = x.shape[x.shape.length - 1]!;
    const rows = x.shape.reduce((p, d) => p * d, 1) / channels;
    const io = kernelIO(backendName, backend);
    const outputs = extra(io, x);
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
    return { io, outputs, data };
  };

  tf.registerKernel({
    kernelName: BATCH_NORM_GRAD_INPUT_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { epsilon } = attrs as unknown as Attrs;
      const { io, outputs, data } = prepare(inputs, backend, epsilon, (io, x) => [io.alloc(x.shape, 'float32')]);
      const { rows, channels, dy, x, mean, invStd } = data;
      const g = io.view(inputs['gamma'] as tf.TensorInfo) as Float32Array;
      const { sumDy, sumDyXhat } = backwardSums(data);
      const k = new Float32Array(channels);
      const meanDy = new Float32Array(channels);
      const meanDyXhat = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        k[c] = g[c]! * invStd[c]!;
        meanDy[c] = sumDy[c]! / rows;
        meanDyXhat[c] = sumDyXhat[c]! / rows;
      }
      const dx = io.view(outputs[0]!) as Float32Array;
      for (let r = 0; r < rows; r++) {
        const o = r * channels;
        for (let c = 0; c < channels; c++) {
          const xhat = (x[o + c]! - mean[c]!) * invStd[c]!;
          dx[o + c] = k[c]! * (dy[o + c]! - meanDy[c]! - xhat * meanDyXhat[c]!);
        }
      }
      return outputs[0]!;
    },
  });

  tf.registerKernel({
    kernelName: BATCH_NORM_GRAD_PARAMS_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { epsilon } = attrs as unknown as Attrs;
      const { io, outputs, data } = prepare(inputs, backend, epsilon, (io, x) => {
        const channels = x.shape[x.shape.length - 1]!;
        return [io.alloc([channels], 'float32'), io.alloc([channels], 'float32')];
      });
      const { sumDy, sumDyXhat } = backwardSums(data);
      (io.view(outputs[0]!) as Float32Array).set(sumDyXhat);
      (io.view(outputs[1]!) as Float32Array).set(sumDy);
      return outputs;
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
      const inputs = { dy, x, gamma, mean, variance };
      const params = () => tf.engine().runKernel(BATCH_NORM_GRAD_PARAMS_KERNEL, inputs, attrs) as tf.Tensor[];
      return {
        x: () => tf.engine().runKernel(BATCH_NORM_GRAD_INPUT_KERNEL, inputs, attrs) as tf.Tensor,
        gamma: () => {
          const [dGamma, dBeta] = params();
          dBeta!.dispose();
          return dGamma!;
        },
        beta: () => {
          const [dGamma, dBeta] = params();
          dGamma!.dispose();
          return dBeta!;
        },
      };
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
  return [BATCH_NORM_TRAIN_KERNEL, BATCH_NORM_GRAD_INPUT_KERNEL, BATCH_NORM_GRAD_PARAMS_KERNEL];
}
