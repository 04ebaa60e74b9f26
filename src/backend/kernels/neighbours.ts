import * as tf from '@tensorflow/tfjs-core';
import { kernelIO, type KernelIO } from '../kernel-io.ts';
import { simdKernelsFor, type SimdKernels } from '../simd/simd-kernels.ts';

/**
 * Neighbour lookups of graph networks (DGCNN's EdgeConv) as single passes with closed-form
 * backward passes. Points are rows of x viewed as [R, C] (R = B·N); `indices` holds flat row
 * numbers (b·N + j, see knn.ts), and edge e = i·k + m of point i is its m-th neighbour.
 *
 *   GatherNeighbours   y[e]   = x[idx[e]]                       backward: dx[idx[e]] += dy[e]
 *   EdgeFeatures       y[e]   = [x[i], x[idx[e]] − x[i]]         backward: dx[i] += dyₐ − dy_b, dx[idx[e]] += dy_b
 *   EdgeSum            y[e]   = centre[i] + neighbour[idx[e]]    backward: dcentre[i] += dy, dneighbour[idx[e]] += dy
 *
 * tfjs builds the same values from `gather`, `tile`, `concat` and broadcasting `sub`/`add`; their
 * gradients are a transposed `UnsortedSegmentSum`, a `Tile`'s sum and broadcast reductions over
 * [B, N, k, C], several passes and temporaries each (in a plain-tfjs EdgeConv block on wasm, `Tile`,
 * `Concat`, broadcast `Add`/`Sub` and reductions over the edges took most of the 2.5–4 s). Here each
 * direction reads and writes every element once, in SIMD WebAssembly on the wasm backend (plain
 * loops where SIMD is missing).
 */
export const GATHER_NEIGHBOURS_KERNEL = 'BitpointGatherNeighbours';
export const SCATTER_NEIGHBOURS_KERNEL = 'BitpointScatterNeighbours';
export const EDGE_FEATURES_KERNEL = 'BitpointEdgeFeatures';
export const EDGE_FEATURES_GRAD_KERNEL = 'BitpointEdgeFeaturesGrad';
export const EDGE_SUM_KERNEL = 'BitpointEdgeSum';
export const EDGE_SUM_GRAD_KERNEL = 'BitpointEdgeSumGrad';

/** Attributes of the kernels that produce per-point results: the shape of x ([B, N, C]). */
export interface PointShapeAttrs {
  shape: number[];
}

function channelsOf(info: tf.TensorInfo): number {
  return info.shape[info.shape.length - 1]!;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Edges per point (k) and the number of points, from indices [..., k]. */
function edgeLayout(indices: tf.TensorInfo): { k: number; points: number } {
  const k = indices.shape[indices.shape.length - 1]!;
  return { k, points: k === 0 ? 0 : sizeOf(indices.shape) / k };
}

function checkRows(ids: Int32Array, rows: number, kernel: string): void {
  for (let e = 0; e < ids.length; e++) {
    const r = ids[e]!;
    if (!(r >= 0 && r < rows)) throw new Error(`${kernel}: neighbour index ${r} at edge ${e} is outside [0, ${rows})`);
  }
}

function gatherNeighbours(io: KernelIO, simd: SimdKernels | null, x: tf.TensorInfo, indices: tf.TensorInfo): tf.TensorInfo {
  const channels = channelsOf(x);
  const out = io.alloc([...indices.shape, channels], 'float32');
  const xs = io.view(x) as Float32Array;
  const ids = io.view(indices) as Int32Array;
  const ys = io.view(out) as Float32Array;
  checkRows(ids, xs.length / Math.max(channels, 1), GATHER_NEIGHBOURS_KERNEL);
  if (simd) {
    simd.gatherRows(simd.offsetOf(x.dataId), simd.offsetOf(indices.dataId), simd.offsetOf(out.dataId), ids.length, channels);
    return out;
  }
  for (let e = 0; e < ids.length; e++) {
    const from = ids[e]! * channels;
    const to = e * channels;
    for (let c = 0; c < channels; c++) ys[to + c] = xs[from + c]!;
  }
  return out;
}

function scatterNeighbours(io: KernelIO, simd: SimdKernels | null, dy: tf.TensorInfo, indices: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  const channels = channelsOf(dy);
  const out = io.alloc(shape, 'float32');
  const dys = io.view(dy) as Float32Array;
  const ids = io.view(indices) as Int32Array;
  const dx = io.view(out) as Float32Array;
  checkRows(ids, dx.length / Math.max(channels, 1), SCATTER_NEIGHBOURS_KERNEL);
  if (simd) {
    simd.scatterAddRows(simd.offsetOf(dy.dataId), simd.offsetOf(indices.dataId), simd.offsetOf(out.dataId), ids.length, channels, dx.length / Math.max(channels, 1));
    return out;
  }
  dx.fill(0);
  for (let e = 0; e < ids.length; e++) {
    const to = ids[e]! * channels;
    const from = e * channels;
    for (let c = 0; c < channels; c++) dx[to + c]! += dys[from + c]!;
  }
  return out;
}

function edgeFeatures(io: KernelIO, simd: SimdKernels | null, x: tf.TensorInfo, indices: tf.TensorInfo): tf.TensorInfo {
  const channels = channelsOf(x);
  const { k, points } = edgeLayout(indices);
  const out = io.alloc([...indices.shape, 2 * channels], 'float32');
  const xs = io.view(x) as Float32Array;
  const ids = io.view(indices) as Int32Array;
  const ys = io.view(out) as Float32Array;
  checkRows(ids, xs.length / Math.max(channels, 1), EDGE_FEATURES_KERNEL);
  if (simd) {
    simd.edgeFeatures(simd.offsetOf(x.dataId), simd.offsetOf(indices.dataId), simd.offsetOf(out.dataId), points, k, channels);
    return out;
  }
  for (let i = 0; i < points; i++) {
    const centre = i * channels;
    for (let m = 0; m < k; m++) {
      const e = i * k + m;
      const neighbour = ids[e]! * channels;
      const to = e * 2 * channels;
      for (let c = 0; c < channels; c++) {
        const xi = xs[centre + c]!;
        ys[to + c] = xi;
        ys[to + channels + c] = xs[neighbour + c]! - xi;
      }
    }
  }
  return out;
}

function edgeFeaturesGrad(io: KernelIO, simd: SimdKernels | null, dy: tf.TensorInfo, indices: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  const channels = channelsOf(dy) / 2;
  const { k, points } = edgeLayout(indices);
  const out = io.alloc(shape, 'float32');
  const dys = io.view(dy) as Float32Array;
  const ids = io.view(indices) as Int32Array;
  const dx = io.view(out) as Float32Array;
  checkRows(ids, dx.length / Math.max(channels, 1), EDGE_FEATURES_GRAD_KERNEL);
  if (simd) {
    simd.edgeFeaturesGrad(simd.offsetOf(dy.dataId), simd.offsetOf(indices.dataId), simd.offsetOf(out.dataId), points, k, channels, dx.length / Math.max(channels, 1));
    return out;
  }
  dx.fill(0);
  for (let i = 0; i < points; i++) {
    const centre = i * channels;
    for (let m = 0; m < k; m++) {
      const e = i * k + m;
      const neighbour = ids[e]! * channels;
      const from = e * 2 * channels;
      for (let c = 0; c < channels; c++) {
        const difference = dys[from + channels + c]!;
        dx[centre + c]! += dys[from + c]! - difference;
        dx[neighbour + c]! += difference;
      }
    }
  }
  return out;
}

function edgeSum(io: KernelIO, simd: SimdKernels | null, centre: tf.TensorInfo, neighbour: tf.TensorInfo, indices: tf.TensorInfo): tf.TensorInfo {
  const channels = channelsOf(centre);
  const { k, points } = edgeLayout(indices);
  const out = io.alloc([...indices.shape, channels], 'float32');
  const cs = io.view(centre) as Float32Array;
  const ns = io.view(neighbour) as Float32Array;
  const ids = io.view(indices) as Int32Array;
  const ys = io.view(out) as Float32Array;
  checkRows(ids, ns.length / Math.max(channels, 1), EDGE_SUM_KERNEL);
  if (simd) {
    const at = (t: tf.TensorInfo) => simd.offsetOf(t.dataId);
    simd.edgeSum(at(centre), at(neighbour), at(indices), at(out), points, k, channels);
    return out;
  }
  for (let i = 0; i < points; i++) {
    const from = i * channels;
    for (let m = 0; m < k; m++) {
      const e = i * k + m;
      const other = ids[e]! * channels;
      const to = e * channels;
      for (let c = 0; c < channels; c++) ys[to + c] = cs[from + c]! + ns[other + c]!;
    }
  }
  return out;
}

function edgeSumGrad(io: KernelIO, simd: SimdKernels | null, dy: tf.TensorInfo, indices: tf.TensorInfo, shape: number[]): tf.TensorInfo[] {
  const channels = channelsOf(dy);
  const { k, points } = edgeLayout(indices);
  const centreOut = io.alloc(shape, 'float32');
  const neighbourOut = io.alloc(shape, 'float32');
  const dys = io.view(dy) as Float32Array;
  const ids = io.view(indices) as Int32Array;
  const dc = io.view(centreOut) as Float32Array;
  const dn = io.view(neighbourOut) as Float32Array;
  checkRows(ids, dn.length / Math.max(channels, 1), EDGE_SUM_GRAD_KERNEL);
  if (simd) {
    const at = (t: tf.TensorInfo) => simd.offsetOf(t.dataId);
    simd.edgeSumGrad(at(dy), at(indices), at(centreOut), at(neighbourOut), points, k, channels, dn.length / Math.max(channels, 1));
    return [centreOut, neighbourOut];
  }
  dn.fill(0);
  for (let i = 0; i < points; i++) {
    const to = i * channels;
    for (let c = 0; c < channels; c++) dc[to + c] = 0;
    for (let m = 0; m < k; m++) {
      const e = i * k + m;
      const other = ids[e]! * channels;
      const from = e * channels;
      for (let c = 0; c < channels; c++) {
        const g = dys[from + c]!;
        dc[to + c]! += g;
        dn[other + c]! += g;
      }
    }
  }
  return [centreOut, neighbourOut];
}

function registerKernels(backendName: string): void {
  type Run = (io: KernelIO, simd: SimdKernels | null, inputs: Record<string, tf.TensorInfo>, attrs: PointShapeAttrs) => tf.TensorInfo | tf.TensorInfo[];
  const register = (kernelName: string, run: Run) =>
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) =>
        run(
          kernelIO(backendName, backend),
          backendName === 'wasm' ? simdKernelsFor(backend) : null,
          inputs as Record<string, tf.TensorInfo>,
          attrs as unknown as PointShapeAttrs,
        ),
    });
  register(GATHER_NEIGHBOURS_KERNEL, (io, simd, { x, indices }) => gatherNeighbours(io, simd, x!, indices!));
  register(SCATTER_NEIGHBOURS_KERNEL, (io, simd, { dy, indices }, { shape }) => scatterNeighbours(io, simd, dy!, indices!, shape));
  register(EDGE_FEATURES_KERNEL, (io, simd, { x, indices }) => edgeFeatures(io, simd, x!, indices!));
  register(EDGE_FEATURES_GRAD_KERNEL, (io, simd, { dy, indices }, { shape }) => edgeFeaturesGrad(io, simd, dy!, indices!, shape));
  register(EDGE_SUM_KERNEL, (io, simd, { centre, neighbour, indices }) => edgeSum(io, simd, centre!, neighbour!, indices!));
  register(EDGE_SUM_GRAD_KERNEL, (io, simd, { dy, indices }, { shape }) => edgeSumGrad(io, simd, dy!, indices!, shape));
}

const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: PointShapeAttrs) =>
  tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

/** Indices are integers: their gradient is zero (tfjs asks only when they depend on a variable). */
const zeroFor = (indices: tf.Tensor) => () => tf.zeros(indices.shape);

let gradientsRegistered = false;

function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: GATHER_NEIGHBOURS_KERNEL,
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved) => {
      const [x, indices] = saved as [tf.Tensor, tf.Tensor];
      return { x: () => run(SCATTER_NEIGHBOURS_KERNEL, { dy: dy as tf.Tensor, indices }, { shape: x.shape }), indices: zeroFor(indices) };
    },
  });
  tf.registerGradient({
    kernelName: SCATTER_NEIGHBOURS_KERNEL,
    inputsToSave: ['indices'],
    gradFunc: (dy, saved) => {
      const [indices] = saved as [tf.Tensor];
      return { dy: () => run(GATHER_NEIGHBOURS_KERNEL, { x: dy as tf.Tensor, indices }, { shape: [] }), indices: zeroFor(indices) };
    },
  });
  tf.registerGradient({
    kernelName: EDGE_FEATURES_KERNEL,
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved) => {
      const [x, indices] = saved as [tf.Tensor, tf.Tensor];
      return { x: () => run(EDGE_FEATURES_GRAD_KERNEL, { dy: dy as tf.Tensor, indices }, { shape: x.shape }), indices: zeroFor(indices) };
    },
  });
  tf.registerGradient({
    kernelName: EDGE_SUM_KERNEL,
    inputsToSave: ['centre', 'indices'],
    gradFunc: (dy, saved) => {
      const [centre, indices] = saved as [tf.Tensor, tf.Tensor];
      // One kernel computes both gradients; created here so that both closures can return them
      // (see the note in batch-norm.ts on tfjs's per-closure scopes).
      const [dCentre, dNeighbour] = tf.engine().runKernel(EDGE_SUM_GRAD_KERNEL, { dy: dy as tf.Tensor, indices }, {
        shape: centre.shape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { centre: () => dCentre!, neighbour: () => dNeighbour!, indices: zeroFor(indices) };
    },
  });
}

/** Registers the neighbour kernels (wasm) and their gradients; returns the kernel names. */
export function installNeighbourKernels(backendName: string): string[] {
  if (backendName !== 'wasm') return [];
  if (!tf.getKernel(GATHER_NEIGHBOURS_KERNEL, backendName)) registerKernels(backendName);
  registerGradients();
  return [GATHER_NEIGHBOURS_KERNEL, EDGE_FEATURES_KERNEL, EDGE_SUM_KERNEL];
}
