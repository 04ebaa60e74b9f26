import { createModel } from '../../models/registry.ts';
import type { Model } from '../../models/model.ts';
import { Dropout } from '../../nn/layers/dropout.ts';
import type { InitializerSpec } from '../../nn/init/index.ts';
import { Rng } from '../../util/rng.ts';
import type { ReplicaSpec } from './messages.ts';

/**
 * Builds the model a spec describes. The main thread and every worker call this, so replicas
 * start identical; each replica then gets its own dropout stream (replica 0 keeps the original).
 */
export function buildReplicaModel(spec: ReplicaSpec): Model {
  const rng = new Rng(spec.seed);
  const model = createModel(spec.model, {
    rng,
    numClasses: spec.numClasses,
    inputChannels: spec.inputChannels,
    init: spec.init as InitializerSpec | undefined,
    dropout: spec.dropout,
  });
  if (spec.replica > 0) {
    const streams = new Rng(spec.seed).fork(`replica-${spec.replica}`);
    for (const [name, module] of model.namedModules()) {
      if (module instanceof Dropout) module.random = streams.fork(name);
    }
  }
  return model;
}
