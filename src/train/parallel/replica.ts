import { createModel } from '../../models/registry.ts';
import type { Model } from '../../models/model.ts';
import { Rng } from '../../util/rng.ts';
import type { ReplicaSpec } from './messages.ts';

/**
 * Builds the model a spec describes. The main thread and every worker call this, so replicas
 * start identical. (Dropout streams are reseeded per step and replica: see train/stochastic.ts.)
 */
export function buildReplicaModel(spec: ReplicaSpec): Model {
  const rng = new Rng(spec.seed);
  const model = createModel(spec.model, { ...spec.modelOptions, rng });
  return model;
}
