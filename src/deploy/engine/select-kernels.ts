/**
 * The engine's kernels: WebAssembly (SIMD, popcount) where it loads, else the JS reference.
 * `BITPOINT_ENGINE_KERNELS=js` forces the reference (for comparisons).
 */
import { JsKernels } from './js-kernels.ts';
import type { EngineKernels } from './kernels.ts';

export type KernelChoice = 'auto' | 'wasm' | 'js';

export async function createEngineKernels(choice: KernelChoice = 'auto'): Promise<EngineKernels> {
  if (choice === 'js') return new JsKernels();
  try {
    const { createWasmKernels } = await import('./wasm-kernels.ts');
    return await createWasmKernels();
  } catch (error) {
    if (choice === 'wasm') throw error;
    return new JsKernels();
  }
}
