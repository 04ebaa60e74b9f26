import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../util/errors.ts';

/**
 * Gradient clipping. Both forms report the global L2 norm of the gradients *before* clipping,
 * which is worth logging: it is the first thing to rise before a binarized network diverges.
 *
 *   ‖g‖ = √(Σ over all tensors Σ g²)
 *   by global norm:  g ← g · maxNorm / max(‖g‖, maxNorm)   (directions kept, as in TF and PyTorch)
 *   by value:        g ← clip(g, −limit, limit)            (per element)
 *
 *   const { gradients, globalNorm } = clipByGlobalNorm(grads, 5);
 *
 * The returned gradients are new tensors, owned by the caller like the inputs (which are left
 * as they are). A non-finite norm leaves the gradients unscaled — scaling by NaN or by 0 would
 * hide the problem — and the caller decides (the trainer stops with a TrainingError).
 */
export interface ClippedGradients {
  gradients: Map<string, tf.Tensor>;
  /** Global L2 norm before clipping. */
  globalNorm: number;
}

export type GradientClipConfig = { mode: 'global_norm'; maxNorm: number } | { mode: 'value'; limit: number };

/** The L2 norm of all gradients taken together (0 for none). */
export function globalNorm(gradients: Map<string, tf.Tensor>): number {
  if (gradients.size === 0) return 0;
  return tf.tidy(() => {
    const squares = [...gradients.values()].map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(tf.addN(squares)).dataSync()[0]!;
  });
}

export function clipByGlobalNorm(gradients: Map<string, tf.Tensor>, maxNorm: number): ClippedGradients {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new RangeError(`maxNorm must be a positive number, got ${maxNorm}`);
  const norm = globalNorm(gradients);
  const scale = Number.isFinite(norm) ? maxNorm / Math.max(norm, maxNorm) : 1;
  return { gradients: mapGradients(gradients, (g) => (scale === 1 ? tf.clone(g) : tf.mul(g, scale))), globalNorm: norm };
}

export function clipByValue(gradients: Map<string, tf.Tensor>, limit: number): ClippedGradients {
  if (!(limit > 0) || !Number.isFinite(limit)) throw new RangeError(`clip limit must be a positive number, got ${limit}`);
  const norm = globalNorm(gradients);
  return { gradients: mapGradients(gradients, (g) => tf.clipByValue(g, -limit, limit)), globalNorm: norm };
}

export function clipGradients(gradients: Map<string, tf.Tensor>, config: GradientClipConfig): ClippedGradients {
  return config.mode === 'global_norm' ? clipByGlobalNorm(gradients, config.maxNorm) : clipByValue(gradients, config.limit);
}

/** Validates `{ mode: 'global_norm', maxNorm }` or `{ mode: 'value', limit }`, naming the key path. */
export function parseClipConfig(raw: unknown, path = 'clip'): GradientClipConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(path, `expected { mode: 'global_norm', maxNorm } or { mode: 'value', limit }, got ${JSON.stringify(raw)}`);
  }
  const fields = raw as Record<string, unknown>;
  const mode = fields['mode'];
  if (mode !== 'global_norm' && mode !== 'value') throw new ConfigError(`${path}.mode`, `must be 'global_norm' or 'value', got ${JSON.stringify(mode)}`);
  const key = mode === 'global_norm' ? 'maxNorm' : 'limit';
  for (const other of Object.keys(fields)) {
    if (other !== 'mode' && other !== key) throw new ConfigError(`${path}.${other}`, `unknown key for mode ${mode} (it takes ${key})`);
  }
  const value = fields[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${path}.${key}`, `must be a positive number, got ${JSON.stringify(value)}`);
  }
  return mode === 'global_norm' ? { mode, maxNorm: value } : { mode, limit: value };
}

function mapGradients(gradients: Map<string, tf.Tensor>, transform: (g: tf.Tensor) => tf.Tensor): Map<string, tf.Tensor> {
  const result = new Map<string, tf.Tensor>();
  for (const [path, g] of gradients) result.set(path, transform(g));
  return result;
}
