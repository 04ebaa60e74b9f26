/**
 * Small real models for the deploy tests: a registry model under a compression policy, one
 * training-mode pass (which initializes data-dependent quantizer state such as LSR and LSQ's
 * activation steps), random BatchNorm statistics (so folding is tested, not the identity), then
 * exported. Deterministic for a seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyPolicy } from '../../src/compress/policy.ts';
import { resolvePolicy } from '../../src/compress/resolve.ts';
import { exportModel } from '../../src/deploy/export.ts';
import type { Model } from '../../src/models/model.ts';
import { createModel } from '../../src/models/registry.ts';
import { BatchNorm } from '../../src/nn/layers/batch-norm.ts';
import { Rng } from '../../src/util/rng.ts';

export interface TinyModel {
  model: Model;
  bytes: Uint8Array;
}

export function randomizeStatistics(model: Model, rng: Rng): void {
  for (const [, module] of model.namedModules()) {
    if (!(module instanceof BatchNorm)) continue;
    const c = module.channels;
    module.runningMean.assign(tf.tensor1d(Array.from({ length: c }, () => 0.2 * rng.normal())));
    module.runningVar.assign(tf.tensor1d(Array.from({ length: c }, () => 0.5 + rng.uniform())));
    module.gamma.assign(tf.tensor1d(Array.from({ length: c }, () => (rng.uniform() < 0.1 ? -1 : 1) * (0.5 + rng.uniform()))));
    module.beta.assign(tf.tensor1d(Array.from({ length: c }, () => 0.1 * rng.normal())));
  }
}

export function randomInput(model: Model, batch: number, points: number, rng: Rng): tf.Tensor {
  const shape = [batch, ...model.exampleShape(points)];
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

/** `source` is stored in the file as is (e.g. a model card for `bitpoint predict`). */
export function buildTiny(name: string, policy: unknown, seed = 1, options: Record<string, unknown> = {}, source: Record<string, unknown> = {}): TinyModel {
  const rng = new Rng(seed);
  const model = createModel(name, { rng, numClasses: 5, ...options });
  applyPolicy(model, resolvePolicy(policy), { rng });
  tf.tidy(() => {
    model.train(true);
    model.forward({ inputs: randomInput(model, 4, 64, rng), categories: tf.tensor1d([0, 1, 0, 1], 'int32') });
  });
  randomizeStatistics(model, rng);
  model.eval();
  return { model, bytes: exportModel(model, name, { policy: typeof policy === 'string' ? policy : 'custom', ...source }) };
}
