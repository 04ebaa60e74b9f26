/**
 * The engine kernels as SIMD WebAssembly (assembly/engine-kernels.ts, built into
 * engine-kernels-binary.ts by build.ts). The arena is the module's memory, so a view's byteOffset
 * is the kernel's pointer and nothing is copied. kNN is the training kernel `knnDirect`
 * (src/backend/simd/assembly/kernels.ts), instantiated on the same memory.
 *
 * Runs in Node and in browsers: no Node imports. `createWasmKernels` compiles asynchronously (a
 * browser main thread may not compile more than 4 KB synchronously); `createWasmKernelsSync`
 * suits Node and workers.
 */
import { KERNELS_WASM_BASE64 } from '../../backend/simd/kernels-binary.ts';
import { ENGINE_KERNELS_WASM_BASE64 } from './engine-kernels-binary.ts';
import { bitWords64, knnScratchBytes, type Activation, type EngineArena, type EngineKernels } from './kernels.ts';

export { knnScratchBytes };

const PAGE_BYTES = 65536;
const INITIAL_PAGES = 4;
/** Bytes below the first allocation, never handed out (so no view starts at address 0). */
const ARENA_BASE = 64;
/** Every allocation starts on a 16-byte boundary (v128 and u64 accesses). */
const ALIGN = 16;
/**
 * Extra bytes `reserve` adds for the alignment padding of the allocations that follow (callers
 * count only their arrays' bytes): up to 15 bytes each, so this covers 4096 allocations.
 */
const RESERVE_SLACK = PAGE_BYTES;

type Pointer = number;

/** What assembly/engine-kernels.ts exports (pointers are byte offsets, sizes i32). */
interface EngineExports {
  denseF32(x: Pointer, rows: number, inC: number, w: Pointer, outC: number, scale: Pointer, shift: Pointer, act: number, slope: number, out: Pointer): void;
  packSigns(x: Pointer, rows: number, channels: number, out: Pointer): void;
  binaryDenseF32(x: Pointer, rows: number, inC: number, w: Pointer, outC: number, scale: Pointer, shift: Pointer, act: number, slope: number, out: Pointer): void;
  binaryDenseSign(x: Pointer, rows: number, inC: number, w: Pointer, outC: number, direction: Pointer, threshold: Pointer, out: Pointer): void;
  binaryDenseMinMax(x: Pointer, rows: number, inC: number, w: Pointer, outC: number, max: Pointer, min: Pointer): void;
  maxRows(x: Pointer, rows: number, channels: number, out: Pointer): void;
}

/** The one training kernel the engine uses; returns the number of rows short of k candidates. */
interface KnnExports {
  knnDirect(x: Pointer, out: Pointer, batch: number, points: number, channels: number, k: number, scratch: Pointer): number;
}


function alignUp(offset: number): number {
  return Math.ceil(offset / ALIGN) * ALIGN;
}

/**
 * A bump allocator over a WebAssembly.Memory. Growing the memory replaces `memory.buffer` and
 * detaches every view of the old one, so `reserve` grows up front; kernels reject stale views.
 * `knn` also needs knnScratchBytes(…) free above the allocations: count it in the reservation.
 * Allocations are zero-filled, like the JS arena's fresh typed arrays, so both behave alike.
 */
export class WasmArena implements EngineArena {
  private top = ARENA_BASE;

  constructor(readonly memory: WebAssembly.Memory) {}

  reset(): void {
    this.top = ARENA_BASE;
  }

  reserve(bytes: number): void {
    this.ensure(this.top + bytes + RESERVE_SLACK);
  }

  f32(length: number): Float32Array {
    const at = this.allocate(length * 4); // first: it may replace memory.buffer
    return new Float32Array(this.memory.buffer, at, length).fill(0);
  }

  i32(length: number): Int32Array {
    const at = this.allocate(length * 4);
    return new Int32Array(this.memory.buffer, at, length).fill(0);
  }

  bits(rows: number, channels: number): Uint32Array {
    const length = rows * bitWords64(channels) * 2;
    const at = this.allocate(length * 4);
    return new Uint32Array(this.memory.buffer, at, length).fill(0);
  }

  /** Bytes currently allocated (including the reserved prefix): where scratch space may start. */
  get used(): number {
    return this.top;
  }

  /** Bytes that fit above the allocations without growing the memory. */
  get free(): number {
    return this.memory.buffer.byteLength - this.top;
  }

  /**
   * The byte offset of `view` after checking it lies in this arena's current memory and holds at
   * least `length` elements; `what` names it in the error ("denseF32: x").
   */
  offsetOf(view: Float32Array | Int32Array | Uint32Array, length: number, what: string): Pointer {
    if (view.buffer !== this.memory.buffer) {
      throw new Error(`WasmKernels.${what} is not a view of the arena's current memory (an array allocated elsewhere, or a view taken before the memory grew: reserve() before allocating)`);
    }
    if (view.length < length) throw new Error(`WasmKernels.${what} has ${view.length} elements, needs ${length}`);
    return view.byteOffset;
  }

  private allocate(bytes: number): Pointer {
    if (!(bytes >= 0) || !Number.isInteger(bytes)) throw new RangeError(`WasmArena: cannot allocate ${bytes} bytes`);
    const at = this.top;
    this.ensure(at + bytes);
    this.top = alignUp(at + bytes);
    return at;
  }

  private ensure(end: number): void {
    const size = this.memory.buffer.byteLength;
    if (end > size) this.memory.grow(Math.ceil((end - size) / PAGE_BYTES));
  }
}

export class WasmKernels implements EngineKernels {
  readonly name = 'wasm' as const;
  readonly arena: WasmArena;

  constructor(
    private readonly engine: EngineExports,
    private readonly training: KnnExports,
    memory: WebAssembly.Memory,
  ) {
    this.arena = new WasmArena(memory);
  }

  denseF32(x: Float32Array, rows: number, inC: number, w: Float32Array, outC: number, scale: Float32Array, shift: Float32Array, act: Activation, slope: number, out: Float32Array): void {
    const a = this.arena;
    this.engine.denseF32(
      a.offsetOf(x, rows * inC, 'denseF32: x'), rows, inC,
      a.offsetOf(w, inC * outC, 'denseF32: w'), outC,
      a.offsetOf(scale, outC, 'denseF32: scale'), a.offsetOf(shift, outC, 'denseF32: shift'), act, slope,
      a.offsetOf(out, rows * outC, 'denseF32: out'),
    );
  }

  packSigns(x: Float32Array, rows: number, channels: number, out: Uint32Array): void {
    const a = this.arena;
    this.engine.packSigns(a.offsetOf(x, rows * channels, 'packSigns: x'), rows, channels, a.offsetOf(out, bitLength(rows, channels), 'packSigns: out'));
  }

  binaryDenseF32(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, scale: Float32Array, shift: Float32Array, act: Activation, slope: number, out: Float32Array): void {
    const a = this.arena;
    this.engine.binaryDenseF32(
      a.offsetOf(x, bitLength(rows, inC), 'binaryDenseF32: x'), rows, inC,
      a.offsetOf(w, bitLength(outC, inC), 'binaryDenseF32: w'), outC,
      a.offsetOf(scale, outC, 'binaryDenseF32: scale'), a.offsetOf(shift, outC, 'binaryDenseF32: shift'), act, slope,
      a.offsetOf(out, rows * outC, 'binaryDenseF32: out'),
    );
  }

  binaryDenseSign(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, direction: Int32Array, threshold: Int32Array, out: Uint32Array): void {
    const a = this.arena;
    this.engine.binaryDenseSign(
      a.offsetOf(x, bitLength(rows, inC), 'binaryDenseSign: x'), rows, inC,
      a.offsetOf(w, bitLength(outC, inC), 'binaryDenseSign: w'), outC,
      a.offsetOf(direction, outC, 'binaryDenseSign: direction'), a.offsetOf(threshold, outC, 'binaryDenseSign: threshold'),
      a.offsetOf(out, bitLength(rows, outC), 'binaryDenseSign: out'),
    );
  }

  binaryDenseMinMax(x: Uint32Array, rows: number, inC: number, w: Uint32Array, outC: number, max: Int32Array, min: Int32Array): void {
    const a = this.arena;
    this.engine.binaryDenseMinMax(
      a.offsetOf(x, bitLength(rows, inC), 'binaryDenseMinMax: x'), rows, inC,
      a.offsetOf(w, bitLength(outC, inC), 'binaryDenseMinMax: w'), outC,
      a.offsetOf(max, outC, 'binaryDenseMinMax: max'), a.offsetOf(min, outC, 'binaryDenseMinMax: min'),
    );
  }

  maxRows(x: Float32Array, rows: number, channels: number, out: Float32Array): void {
    const a = this.arena;
    this.engine.maxRows(a.offsetOf(x, rows * channels, 'maxRows: x'), rows, channels, a.offsetOf(out, channels, 'maxRows: out'));
  }

  /**
   * Uses `knnScratchBytes(points, channels, k)` bytes above the arena's allocations as scratch;
   * they must already fit (see `reserve`), since growing here would detach the caller's views.
   */
  knn(x: Float32Array, points: number, channels: number, k: number, out: Int32Array): void {
    const a = this.arena;
    if (k > points) throw new RangeError(`WasmKernels.knn: k = ${k} exceeds the ${points} points`);
    const xp = a.offsetOf(x, points * channels, 'knn: x');
    const op = a.offsetOf(out, points * k, 'knn: out');
    if (k <= 0) return;
    const scratch = knnScratchBytes(points, channels, k);
    if (scratch > a.free) {
      throw new Error(`WasmKernels.knn needs ${scratch} bytes of scratch above the arena's allocations but only ${a.free} fit; include knnScratchBytes(${points}, ${channels}, ${k}) in arena.reserve()`);
    }
    // batch 1: the flat indices b·points + j it writes are plain point indices
    this.training.knnDirect(xp, op, 1, points, channels, k, a.used);
  }
}

function bitLength(rows: number, channels: number): number {
  return rows * bitWords64(channels) * 2;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

interface CompiledModules {
  engine: WebAssembly.Module;
  training: WebAssembly.Module;
}

let compiled: Promise<CompiledModules> | null = null;
let compiledSync: CompiledModules | null = null;

function instantiate(modules: CompiledModules): WasmKernels {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const imports = { env: { memory } };
  const engine = new WebAssembly.Instance(modules.engine, imports).exports as unknown as EngineExports;
  const training = new WebAssembly.Instance(modules.training, imports).exports as unknown as KnnExports;
  return new WasmKernels(engine, training, memory);
}

/** WebAssembly kernels with a fresh memory; rejects where WebAssembly SIMD is unavailable. */
export async function createWasmKernels(): Promise<WasmKernels> {
  compiled ??= Promise.all([
    WebAssembly.compile(decodeBase64(ENGINE_KERNELS_WASM_BASE64) as BufferSource),
    WebAssembly.compile(decodeBase64(KERNELS_WASM_BASE64) as BufferSource),
  ]).then(([engine, training]) => ({ engine, training }));
  try {
    return instantiate(await compiled);
  } catch (error) {
    compiled = null;
    throw error;
  }
}

/** The same, compiled synchronously: for Node and workers (browsers' main thread refuses > 4 KB). */
export function createWasmKernelsSync(): WasmKernels {
  compiledSync ??= {
    engine: new WebAssembly.Module(decodeBase64(ENGINE_KERNELS_WASM_BASE64) as BufferSource),
    training: new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as BufferSource),
  };
  return instantiate(compiledSync);
}
