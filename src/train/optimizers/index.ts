/**
 * Optimizers by config:
 *
 *   const optimizer = createOptimizer({ name: 'adam', weightDecay: 1e-4 });
 *   optimizer.step(model.trainableParameters(), grads, schedule(step, stepsPerEpoch));
 *   checkpoint.optimizer = optimizer.getState();
 */
import { Adam } from './adam.ts';
import { parseOptimizerConfig, type OptimizerConfig } from './config.ts';
import type { Optimizer } from './optimizer.ts';
import { Sgd } from './sgd.ts';

export type { Optimizer, OptimizerState, ParameterOptimizerState, SlotValues } from './optimizer.ts';
export type {
  OptimizerConfig,
  AdamConfig,
  AdamWConfig,
  SgdConfig,
  ResolvedOptimizerConfig,
  ResolvedAdamConfig,
  ResolvedSgdConfig,
} from './config.ts';
export { parseOptimizerConfig, OPTIMIZER_NAMES } from './config.ts';
export { Adam } from './adam.ts';
export { Sgd } from './sgd.ts';

/**
 * Builds the optimizer. The config is validated at run time too (it usually comes from a JSON
 * file): a bad value throws ConfigError with its key path under `path`.
 */
export function createOptimizer(config: OptimizerConfig, path = 'optimizer'): Optimizer {
  const resolved = parseOptimizerConfig(config, path);
  switch (resolved.name) {
    case 'adam':
      return new Adam(resolved);
    case 'sgd':
      return new Sgd(resolved);
  }
}
