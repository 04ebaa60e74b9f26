import { KERNELS_WASM_BASE64 } from './kernels-binary.ts';

/**
 * bitpoint's SIMD kernels, instantiated inside the tfjs wasm backend's memory so they read and
 * write tensors in place. Pointers are byte offsets into that memory (tfjs's `memoryOffset`);
 * scratch space comes from tfjs's own allocator.
 */
export interface SimdKernels {
  readonly memory: WebAssembly.Memory;
  momentsShifted(x: number, rows: number, channels: number, shift: number, sum: number, sumsq: number): void;
  affine(x: number, y: number, rows: number, channels: number, scale: number, bias: number, relu: number): void;
  backwardSums(dy: number, x: number, mask: number, rows: number, channels: number, sumDy: number, sumDyX: number): void;
  backwardInput(dy: number, x: number, mask: number, dx: number, rows: number, channels: number, a: number, b: number, d: number): void;
  maxMiddle(x: number, out: number, outer: number, reduced: number, inner: number): void;
  maxGradMiddle(x: number, y: number, dy: number, dx: number, outer: number, reduced: number, inner: number): void;
  maxGradMiddleShared(x: number, y: number, dy: number, dx: number, outer: number, reduced: number, inner: number, counts: number): void;
  gatherRows(x: number, indices: number, out: number, count: number, channels: number): void;
  scatterAddRows(dy: number, indices: number, dx: number, count: number, channels: number, rows: number): void;
  edgeSum(centre: number, neighbour: number, indices: number, out: number, points: number, k: number, channels: number): void;
  edgeSumGrad(dy: number, indices: number, dCentre: number, dNeighbour: number, points: number, k: number, channels: number, rows: number): void;
  edgeFeatures(x: number, indices: number, out: number, points: number, k: number, channels: number): void;
  edgeFeaturesGrad(dy: number, indices: number, dx: number, points: number, k: number, channels: number, rows: number): void;
  /** Both return the number of rows with fewer than k non-NaN candidates (their missing entries are −1). */
  knnSelect(gram: number, out: number, batch: number, points: number, k: number, scratch: number): number;
  knnDirect(x: number, out: number, batch: number, points: number, channels: number, k: number, scratch: number): number;
  leakyReluGrad(x: number, dy: number, dx: number, count: number, alpha: number): void;
  malloc(bytes: number): number;
  free(pointer: number): void;
  /** Byte offset of a tensor's data. */
  offsetOf(dataId: object): number;
}

interface WasmBackendInternals {
  wasm: { asm: { memory: WebAssembly.Memory }; _malloc(bytes: number): number; _free(pointer: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<object, SimdKernels | null>();

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The kernels bound to a wasm backend instance, or null where SIMD or the internals are missing. */
export function simdKernelsFor(backend: unknown): SimdKernels | null {
  const key = backend as object;
  if (instances.has(key)) return instances.get(key)!;
  let kernels: SimdKernels | null = null;
  try {
    const internals = backend as WasmBackendInternals;
    const memory = internals.wasm.asm.memory;
    if (compiled === undefined) compiled = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as BufferSource);
    const exports = new WebAssembly.Instance(compiled!, { env: { memory } }).exports as unknown as Omit<SimdKernels, 'memory' | 'malloc' | 'free' | 'offsetOf'>;
    kernels = {
      ...exports,
      memory,
      // `>>> 0`: above 2 GiB emscripten returns the address as a negative int32 (tfjs does the same)
      malloc: (bytes) => internals.wasm._malloc(bytes) >>> 0,
      free: (pointer) => internals.wasm._free(pointer),
      offsetOf: (dataId) => internals.dataIdMap.get(dataId)!.memoryOffset,
    } as SimdKernels;
  } catch {
    // No SIMD support (validation fails) or a tfjs build with different internals: use JS kernels.
    compiled = compiled ?? null;
    kernels = null;
  }
  instances.set(key, kernels);
  return kernels;
}
