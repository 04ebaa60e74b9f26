import type { Module } from '../nn/module.ts';
import { Dropout } from '../nn/layers/dropout.ts';
import { Rng } from '../util/rng.ts';

/**
 * Gives every stochastic module (dropout) a random stream derived from (run seed, global step,
 * module path) before each training step. The masks then depend on where training is, not on how
 * it got there: a resumed run draws exactly the masks an uninterrupted run draws, with nothing
 * extra in the checkpoint. Data-parallel replicas all take the same stream and keep their shard's
 * rows of the whole batch's masks (nn/layers/dropout.ts), so the worker count does not change them.
 */
export function reseedStochasticModules(model: Module, seed: number, step: number): void {
  // "replica 0" is kept from when each replica had its own stream, so earlier runs keep their masks.
  const base = new Rng(seed).fork(`step ${step} replica 0`);
  for (const [path, module] of model.namedModules()) {
    if (module instanceof Dropout) module.random = base.fork(path);
  }
}
