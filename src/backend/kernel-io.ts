import type * as tf from '@tensorflow/tfjs-core';

/**
 * Plain-JavaScript kernels for the backends whose tensors live in JavaScript-visible memory: the
 * wasm backend (the WebAssembly heap) and the cpu backend (typed arrays). A kernel allocates its
 * outputs first, then takes views: on wasm an allocation can grow the heap and detach older views.
 */
export type TensorInfo = tf.TensorInfo;
export type FloatArray = Float32Array;

export interface KernelIO {
  alloc(shape: number[], dtype: tf.DataType): TensorInfo;
  view(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  free(info: TensorInfo): void;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

interface CpuBackendLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array | Int32Array): TensorInfo;
  data: { get(dataId: object): { values: Float32Array | Int32Array | Uint8Array } };
  disposeData(dataId: object): boolean;
  readSync(dataId: object): unknown;
}

export const JS_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;

function sizeOf(shape: number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

export function kernelIO(backendName: string, backend: unknown): KernelIO {
  if (backendName === 'wasm') {
    const wasm = backend as WasmBackendLike;
    return {
      alloc: (shape, dtype) => wasm.makeOutput(shape, dtype),
      view: (info) => wasm.typedArrayFromHeap(info),
      free: (info) => void wasm.disposeData(info.dataId),
    };
  }
  const cpu = backend as CpuBackendLike;
  return {
    alloc: (shape, dtype) =>
      cpu.makeTensorInfo(shape, dtype, dtype === 'int32' ? new Int32Array(sizeOf(shape)) : new Float32Array(sizeOf(shape))),
    view: (info) => cpu.data.get(info.dataId).values,
    free: (info) => void cpu.disposeData(info.dataId),
  };
}
