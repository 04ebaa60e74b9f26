import * as tf from '@tensorflow/tfjs-core';
import { JS_KERNEL_BACKENDS, kernelIO, type KernelIO } from '../kernel-io.ts';
import { simdKernelsFor, type SimdKernels } from '../simd/simd-kernels.ts';
import { currentReplicaGroup, type ReplicaGroup } from '../../nn/ops/replica-group.ts';

/**
 * Training-mode batch normalization over all axes but the last, optionally fused with the ReLU
 * that follows it, as one forward and one closed-form backward kernel. tfjs's own `batchNorm`
 * gradient tiles rsqrt(var) to the full activation size (about 6 s a step for PointNet on wasm);
 * here each direction is two passes over the data, in SIMD WebAssembly on the wasm backend.
 *
 *   forward:  y = γ·x̂ + β (then max(y, 0) when fused),  x̂ = (x − μ)/√(σ² + ε)   → [y, μ, σ²]
 *   backward: g = dy (masked by y > 0 when fused)
 *             dβ = Σ g,  dγ = Σ g·x̂,  dx = γ/√(σ²+ε) · (g − dβ/M − x̂·dγ/M)
 * dx is computed as a·g + b·x + d with per-channel a, b, d, which is one multiply-add per term.
 *
 * In a data-parallel step (nn/ops/replica-group.ts) the per-channel sums of both directions are
 * combined over every shard of the batch, so μ, σ² and dx are the whole batch's; dγ and dβ stay
 * this shard's share, and the shares add up to the whole batch's over the replicas.
 */
export const BATCH_NORM_TRAIN_KERNEL = 'BitpointBatchNormTrain';
export const BATCH_NORM_GRAD_KERNEL = 'BitpointBatchNormGrad';

interface Attrs {
  epsilon: number;
  relu: boolean;
}

function rowsAndChannels(x: tf.TensorInfo): [number, number] {
  const channels = x.shape[x.shape.length - 1]!;
  return [channels === 0 ? 0 : x.shape.reduce((p, d) => p * d, 1) / channels, channels];
}

/** Per-channel scratch arrays in the wasm heap, freed together. */
class Scratch {
  private readonly pointers: number[] = [];
  constructor(private readonly simd: SimdKernels) {}
  f32(values: ArrayLike<number>): number {
    const p = this.alloc(values.length * 4);
    new Float32Array(this.simd.memory.buffer, p, values.length).set(values);
    return p;
  }
  f64Zeros(length: number): number {
    const p = this.alloc(length * 8);
    new Float64Array(this.simd.memory.buffer, p, length).fill(0);
    return p;
  }
  readF64(pointer: number, length: number): Float64Array {
    return new Float64Array(this.simd.memory.buffer, pointer, length).slice();
  }
  private alloc(bytes: number): number {
    const p = this.simd.malloc(Math.max(bytes, 16));
    this.pointers.push(p);
    return p;
  }
  release(): void {
    for (const p of this.pointers) this.simd.free(p);
  }
}

/** Σ (x − shift) and Σ (x − shift)² per channel. */
function moments(io: KernelIO, simd: SimdKernels | null, x: tf.TensorInfo, shift: Float32Array): [Float64Array, Float64Array] {
  const [rows, channels] = rowsAndChannels(x);
  if (simd) {
    const scratch = new Scratch(simd);
    try {
      const sum = scratch.f64Zeros(channels);
      const squares = scratch.f64Zeros(channels);
      simd.momentsShifted(simd.offsetOf(x.dataId), rows, channels, scratch.f32(shift), sum, squares);
      return [scratch.readF64(sum, channels), scratch.readF64(squares, channels)];
    } finally {
      scratch.release();
    }
  }
  const xs = io.view(x) as Float32Array;
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      const d = xs[o + c]! - shift[c]!;
      sum[c]! += d;
      squares[c]! += d * d;
    }
  }
  return [sum, squares];
}

function affine(io: KernelIO, simd: SimdKernels | null, x: tf.TensorInfo, y: tf.TensorInfo, scale: Float32Array, bias: Float32Array, relu: boolean): void {
  const [rows, channels] = rowsAndChannels(x);
  if (simd) {
    const scratch = new Scratch(simd);
    try {
      simd.affine(simd.offsetOf(x.dataId), simd.offsetOf(y.dataId), rows, channels, scratch.f32(scale), scratch.f32(bias), relu ? 1 : 0);
    } finally {
      scratch.release();
    }
    return;
  }
  const xs = io.view(x) as Float32Array;
  const ys = io.view(y) as Float32Array;
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      const v = xs[o + c]! * scale[c]! + bias[c]!;
      ys[o + c] = relu && v < 0 ? 0 : v;
    }
  }
}

/** Σ g and Σ g·x per channel, g = dy masked by (mask > 0) when a mask is given. */
function backwardSums(io: KernelIO, simd: SimdKernels | null, dy: tf.TensorInfo, x: tf.TensorInfo, mask: tf.TensorInfo | null): [Float64Array, Float64Array] {
  const [rows, channels] = rowsAndChannels(x);
  if (simd) {
    const scratch = new Scratch(simd);
    try {
      const sumG = scratch.f64Zeros(channels);
      const sumGx = scratch.f64Zeros(channels);
      simd.backwardSums(simd.offsetOf(dy.dataId), simd.offsetOf(x.dataId), mask ? simd.offsetOf(mask.dataId) : 0, rows, channels, sumG, sumGx);
      return [scratch.readF64(sumG, channels), scratch.readF64(sumGx, channels)];
    } finally {
      scratch.release();
    }
  }
  const dys = io.view(dy) as Float32Array;
  const xs = io.view(x) as Float32Array;
  const ms = mask ? (io.view(mask) as Float32Array) : null;
  const sumG = new Float64Array(channels);
  const sumGx = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      const g = ms && !(ms[o + c]! > 0) ? 0 : dys[o + c]!;
      sumG[c]! += g;
      sumGx[c]! += g * xs[o + c]!;
    }
  }
  return [sumG, sumGx];
}

function backwardInput(
  io: KernelIO,
  simd: SimdKernels | null,
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  mask: tf.TensorInfo | null,
  dx: tf.TensorInfo,
  a: Float32Array,
  b: Float32Array,
  d: Float32Array,
): void {
  const [rows, channels] = rowsAndChannels(x);
  if (simd) {
    const scratch = new Scratch(simd);
    try {
      simd.backwardInput(
        simd.offsetOf(dy.dataId),
        simd.offsetOf(x.dataId),
        mask ? simd.offsetOf(mask.dataId) : 0,
        simd.offsetOf(dx.dataId),
        rows,
        channels,
        scratch.f32(a),
        scratch.f32(b),
        scratch.f32(d),
      );
    } finally {
      scratch.release();
    }
    return;
  }
  const dys = io.view(dy) as Float32Array;
  const xs = io.view(x) as Float32Array;
  const ms = mask ? (io.view(mask) as Float32Array) : null;
  const out = io.view(dx) as Float32Array;
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    for (let c = 0; c < channels; c++) {
      const g = ms && !(ms[o + c]! > 0) ? 0 : dys[o + c]!;
      out[o + c] = a[c]! * g + b[c]! * xs[o + c]! + d[c]!;
    }
  }
}

/**
 * Sums per channel over every shard of the batch, as `moments` gives them for one shard, moved to
 * a common shift: the first row of the first shard, which is the first row of the whole batch, so
 * the statistics come out exactly as one process computes them (a channel that is constant over
 * the batch keeps a variance of exactly 0 and its mean exactly its value).
 */
function wholeBatchMoments(group: ReplicaGroup, rows: number, shift: Float32Array, sum: Float64Array, squares: Float64Array): { rows: number; shift: Float32Array; sum: Float64Array; squares: Float64Array } {
  const channels = shift.length;
  const own = new Float64Array(1 + 3 * channels);
  own[0] = rows;
  own.set(shift, 1);
  own.set(sum, 1 + channels);
  own.set(squares, 1 + 2 * channels);
  const shards = group.gather(own);
  const common = Float32Array.from(shards[0]!.subarray(1, 1 + channels));
  const total = { rows: 0, shift: common, sum: new Float64Array(channels), squares: new Float64Array(channels) };
  for (const shard of shards) {
    const n = shard[0]!;
    total.rows += n;
    for (let c = 0; c < channels; c++) {
      // Σ(x − s₀) = Σ(x − s) + n·(s − s₀);  Σ(x − s₀)² = Σ(x − s)² + 2(s − s₀)·Σ(x − s) + n·(s − s₀)²
      const moved = shard[1 + c]! - common[c]!;
      const shardSum = shard[1 + channels + c]!;
      total.sum[c]! += shardSum + n * moved;
      total.squares[c]! += shard[1 + 2 * channels + c]! + 2 * moved * shardSum + n * moved * moved;
    }
  }
  return total;
}

/** Σ g and Σ g·x per channel over every shard of the batch, and its row count. */
function wholeBatchSums(group: ReplicaGroup, rows: number, sumG: Float64Array, sumGx: Float64Array): { rows: number; sumG: Float64Array; sumGx: Float64Array } {
  const channels = sumG.length;
  const own = new Float64Array(1 + 2 * channels);
  own[0] = rows;
  own.set(sumG, 1);
  own.set(sumGx, 1 + channels);
  const total = { rows: 0, sumG: new Float64Array(channels), sumGx: new Float64Array(channels) };
  for (const shard of group.gather(own)) {
    total.rows += shard[0]!;
    for (let c = 0; c < channels; c++) {
      total.sumG[c]! += shard[1 + c]!;
      total.sumGx[c]! += shard[1 + channels + c]!;
    }
  }
  return total;
}

function registerKernels(backendName: string): void {
  tf.registerKernel({
    kernelName: BATCH_NORM_TRAIN_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
      const { epsilon, relu } = attrs as unknown as Attrs;
      const [rows, channels] = rowsAndChannels(x);
      const io = kernelIO(backendName, backend);
      const simd = backendName === 'wasm' ? simdKernelsFor(backend) : null;
      const y = io.alloc(x.shape, 'float32');
      const meanInfo = io.alloc([channels], 'float32');
      const varInfo = io.alloc([channels], 'float32');
      // Moments around the first row: E[x²] − E[x]² would cancel badly when |μ| ≫ σ.
      const shift = (io.view(x) as Float32Array).slice(0, channels);
      const [shardSum, shardSquares] = moments(io, simd, x, shift);
      const group = currentReplicaGroup();
      const whole = group ? wholeBatchMoments(group, rows, shift, shardSum, shardSquares) : { rows, shift, sum: shardSum, squares: shardSquares };
      const { sum, squares } = whole;
      const g = io.view(gamma) as Float32Array;
      const bt = io.view(beta) as Float32Array;
      const meanOut = io.view(meanInfo) as Float32Array;
      const varOut = io.view(varInfo) as Float32Array;
      const scale = new Float32Array(channels);
      const bias = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        const shiftedMean = sum[c]! / whole.rows;
        const variance = Math.max(squares[c]! / whole.rows - shiftedMean * shiftedMean, 0);
        const mean = whole.shift[c]! + shiftedMean;
        meanOut[c] = mean;
        varOut[c] = variance;
        scale[c] = g[c]! / Math.sqrt(variance + epsilon);
        bias[c] = bt[c]! - mean * scale[c]!;
      }
      affine(io, simd, x, y, scale, bias, relu);
      return [y, meanInfo, varInfo];
    },
  });

  tf.registerKernel({
    kernelName: BATCH_NORM_GRAD_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
      const mask = (inputs['y'] as tf.TensorInfo | undefined) ?? null;
      const { epsilon } = attrs as unknown as Attrs;
      const [rows, channels] = rowsAndChannels(x);
      const io = kernelIO(backendName, backend);
      const simd = backendName === 'wasm' ? simdKernelsFor(backend) : null;
      const dxInfo = io.alloc(x.shape, 'float32');
      const dGammaInfo = io.alloc([channels], 'float32');
      const dBetaInfo = io.alloc([channels], 'float32');
      const [shardSumG, shardSumGx] = backwardSums(io, simd, dy, x, mask);
      const group = currentReplicaGroup();
      const whole = group ? wholeBatchSums(group, rows, shardSumG, shardSumGx) : { rows, sumG: shardSumG, sumGx: shardSumGx };
      const { sumG, sumGx } = whole;
      const g = io.view(gamma) as Float32Array;
      const mu = io.view(mean) as Float32Array;
      const v = io.view(variance) as Float32Array;
      const dGamma = io.view(dGammaInfo) as Float32Array;
      const dBeta = io.view(dBetaInfo) as Float32Array;
      const a = new Float32Array(channels);
      const b = new Float32Array(channels);
      const d = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        const invStd = 1 / Math.sqrt(v[c]! + epsilon);
        // Σ g·x̂ = (Σ g·x − μ·Σ g)/σ
        const sumGxhat = (sumGx[c]! - mu[c]! * sumG[c]!) * invStd;
        dBeta[c] = shardSumG[c]!;
        dGamma[c] = group ? (shardSumGx[c]! - mu[c]! * shardSumG[c]!) * invStd : sumGxhat;
        const k = g[c]! * invStd;
        const meanG = sumG[c]! / whole.rows;
        const meanGxhat = sumGxhat / whole.rows;
        // dx = k·(g − meanG − x̂·meanGxhat), x̂ = (x − μ)·invStd
        a[c] = k;
        b[c] = -k * invStd * meanGxhat;
        d[c] = -k * meanG + k * invStd * meanGxhat * mu[c]!;
      }
      backwardInput(io, simd, dy, x, mask, dxInfo, a, b, d);
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
    outputsToSave: [true, true, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [x, gamma, y, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const inputs: tf.NamedTensorMap = { dy, x, gamma, mean, variance };
      if ((attrs as unknown as Attrs).relu) inputs['y'] = y;
      // Computed here, not inside the per-input closures: tfjs runs each closure in its own scope,
      // so a result shared between closures would be disposed by the first. Created here, the
      // three tensors live in the gradient computation's scope, which frees whatever is unused.
      const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, inputs, attrs) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dGamma!, beta: () => dBeta! };
    },
  });
}

export function installBatchNormKernels(backendName: string): string[] {
  if (!(JS_KERNEL_BACKENDS as readonly string[]).includes(backendName)) return [];
  if (!tf.getKernel(BATCH_NORM_TRAIN_KERNEL, backendName)) registerKernels(backendName);
  registerGradient();
  return [BATCH_NORM_TRAIN_KERNEL, BATCH_NORM_GRAD_KERNEL];
}
