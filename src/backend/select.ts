import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradients are registered only by its ESM entry (which Node cannot load: its
// imports have no extensions); the umbrella package's Node bundle registers them all.
import '@tensorflow/tfjs';
import { BackendError } from '../util/errors.ts';
import { installKernelFixes } from './kernel-fixes.ts';

/**
 * Choosing and starting a TensorFlow.js backend.
 *
 *   const info = await useBackend('auto');   // → { name: 'wasm', ... }
 *
 * `auto` prefers the native bindings (`@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`)
 * when they are installed, then WebAssembly, then the plain JavaScript `cpu` backend. The native
 * bindings are never dependencies of bitpoint (their install downloads libtensorflow, which fails
 * offline), so they are imported only if present.
 */
export type BackendRequest = 'auto' | 'wasm' | 'cpu' | 'node' | 'node-gpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'wasm', 'cpu', 'node', 'node-gpu'];

export interface BackendInfo {
  /** What was asked for. */
  requested: BackendRequest;
  /** The tfjs backend name now active: 'wasm', 'cpu' or 'tensorflow'. */
  name: string;
  /** The package that provides it. */
  package: string;
  tfjsVersion: string;
  /** Kernels bitpoint replaced on this backend (see kernel-fixes.ts). */
  kernelFixes: string[];
  /** Native packages that are installed but failed to load, with why (auto fell back past them). */
  fallbacks?: string[];
}

const NATIVE_PACKAGES: Record<'node' | 'node-gpu', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

let active: BackendInfo | null = null;

export function isBackendRequest(value: string): value is BackendRequest {
  return (BACKEND_REQUESTS as readonly string[]).includes(value);
}

export function parseBackendRequest(value: string | undefined): BackendRequest {
  if (value === undefined) return 'auto';
  if (!isBackendRequest(value)) {
    throw new BackendError(`unknown backend '${value}': choose one of ${BACKEND_REQUESTS.join(', ')}`);
  }
  return value;
}

/** Why each native package did not load, when it is installed but broken (missing CUDA, libtensorflow). */
const nativeFailures = new Map<string, string>();

async function tryNative(kind: 'node' | 'node-gpu'): Promise<boolean> {
  const pkg = NATIVE_PACKAGES[kind];
  try {
    // A variable specifier keeps bundlers and the type checker from resolving an optional package.
    await import(/* @vite-ignore */ pkg);
  } catch (error) {
    // Not installed is the usual case; installed but failing to load is worth saying why.
    const code = (error as NodeJS.ErrnoException).code;
    const notInstalled = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(pkg);
    if (!notInstalled) nativeFailures.set(pkg, firstLine(error));
    return false;
  }
  return tf.findBackend('tensorflow') !== null && (await tf.setBackend('tensorflow'));
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

async function tryWasm(): Promise<boolean> {
  // The emscripten module installs process handlers that rethrow every uncaught error with its
  // whole minified source as context; bitpoint reports errors itself, so those handlers go.
  const before = {
    uncaughtException: new Set(process.listeners('uncaughtException')),
    unhandledRejection: new Set(process.listeners('unhandledRejection')),
  };
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    const started = await tf.setBackend('wasm');
    for (const listener of process.listeners('uncaughtException')) {
      if (!before.uncaughtException.has(listener)) process.removeListener('uncaughtException', listener);
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!before.unhandledRejection.has(listener)) process.removeListener('unhandledRejection', listener);
    }
    return started;
  } catch {
    return false;
  }
}

async function tryCpu(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-cpu');
  return tf.setBackend('cpu');
}

/** Starts the requested backend (once per process; asking again for the same one is free). */
export async function useBackend(request: BackendRequest = 'auto'): Promise<BackendInfo> {
  if (active && (active.requested === request || request === 'auto')) return active;
  let name: string | null = null;
  let pkg = '';
  const attempts: Array<[BackendRequest, () => Promise<boolean>, string, string]> = [
    ['node-gpu', () => tryNative('node-gpu'), 'tensorflow', NATIVE_PACKAGES['node-gpu']],
    ['node', () => tryNative('node'), 'tensorflow', NATIVE_PACKAGES.node],
    ['wasm', tryWasm, 'wasm', '@tensorflow/tfjs-backend-wasm'],
    ['cpu', tryCpu, 'cpu', '@tensorflow/tfjs-backend-cpu'],
  ];
  for (const [kind, attempt, backendName, backendPackage] of attempts) {
    if (request !== 'auto' && request !== kind) continue;
    if (await attempt()) {
      name = backendName;
      pkg = backendPackage;
      break;
    }
    if (request === kind) {
      const failure = nativeFailures.get(backendPackage);
      if (failure) throw new BackendError(`backend '${kind}': ${backendPackage} is installed but failed to load: ${failure} (see docs/gpu.md)`);
      const hint = kind === 'node' || kind === 'node-gpu' ? `; install it with: npm install ${backendPackage}` : '';
      throw new BackendError(`backend '${kind}' is not available (${backendPackage} could not be loaded)${hint}`);
    }
  }
  if (!name) throw new BackendError('no tfjs backend could be started');
  await tf.ready();
  const kernelFixes = installKernelFixes(name);
  // with auto, a broken native install falls back to wasm; say so rather than run slowly in silence
  const fallbacks = [...nativeFailures].map(([failed, why]) => `${failed} failed to load (${why})`);
  active = { requested: request, name, package: pkg, tfjsVersion: tf.version_core, kernelFixes, ...(fallbacks.length ? { fallbacks } : {}) };
  return active;
}

export function activeBackend(): BackendInfo | null {
  return active;
}
