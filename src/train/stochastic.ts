import type { Module } from '../nn/module.ts';
import { Dropout } from '../nn/layers/dropout.ts';
import { Rng } from '../util/rng.ts';

/**
 * Gives every stochastic module (dropout) a random stream derived from (run seed, replica, global
 * step, module path) before each training step. The masks then depend on where training is, not
 * on how it got there: a resumed run, or one split over a different number of threads' history,
 * draws exactly the masks an uninterrupted run draws, with nothing extra in the checkpoint.
 */
export function reseedStochasticModules(model: Module, seed: number, replica: number, step: number): void {
  const base = new Rng(seed).fork(`step ${step} replica ${replica}`);
  for (const [path, module] of model.namedModules()) {
    if (module instanceof Dropout) module.random = base.fork(path);
  }
}
