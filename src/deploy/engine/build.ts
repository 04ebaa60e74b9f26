/**
 * Compiles the engine's AssemblyScript kernels (assembly/engine-kernels.ts) with the same flags as
 * the training kernels and writes the binary, base64-encoded, into engine-kernels-binary.ts, so
 * it loads in Node and in the browser without a file read. Run with `npm run build:kernels`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileAssembly, wasmModuleSource } from '../../backend/simd/build.ts';

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Section ids of a wasm binary, in order (after the 8-byte header; sizes are LEB128). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8;
  while (at < bytes.length) {
    ids.push(bytes[at++]!);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!;
      size += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    at += size;
  }
  return ids;
}

const DATA_SECTION = 11;

/** Compiles the engine kernels; returns the wasm bytes. */
export async function compileEngineKernels(): Promise<Uint8Array> {
  const bytes = await compileAssembly(here('./assembly/engine-kernels.ts'));
  // The arena (wasm-kernels.ts) owns the whole memory above a small reserved prefix; static data
  // would be placed there by the module and silently overwritten.
  if (sectionIds(bytes).includes(DATA_SECTION)) throw new Error('engine kernels must not have static data (a data section)');
  return bytes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await compileEngineKernels();
  const source = wasmModuleSource(bytes, 'ENGINE_KERNELS_WASM_BASE64', 'src/deploy/engine/build.ts from assembly/engine-kernels.ts');
  writeFileSync(here('./engine-kernels-binary.ts'), source);
  console.log(`wrote engine-kernels-binary.ts (${bytes.length} bytes of wasm)`);
}
