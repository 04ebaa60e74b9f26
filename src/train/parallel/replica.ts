import { applyPolicy, type PolicyReport } from '../../compress/index.ts';
import { resolvePolicy } from '../../compress/resolve.ts';
import { createModel } from '../../models/registry.ts';
import type { Model } from '../../models/model.ts';
import { Rng } from '../../util/rng.ts';
import type { ReplicaSpec } from './messages.ts';

export interface BuiltModel {
  model: Model;
  /** What the compression policy gave each layer, and the pruning schedule to drive (if any). */
  compression: PolicyReport;
}

/**
 * Builds the model a spec describes, with its compression policy applied. The main thread and
 * every worker call this, so replicas start identical. (Dropout streams are reseeded per step
 * and replica: see train/stochastic.ts; masks and learned quantizer state travel with the
 * parameters each step.)
 */
export function buildCompressedModel(spec: ReplicaSpec, options: { totalSteps?: number } = {}): BuiltModel {
  const rng = new Rng(spec.seed);
  const model = createModel(spec.model, { ...spec.modelOptions, rng });
  const compression = applyPolicy(model, resolvePolicy(spec.compress ?? 'fp'), { rng: rng.fork('compress'), totalSteps: options.totalSteps });
  return { model, compression };
}

export function buildReplicaModel(spec: ReplicaSpec): Model {
  return buildCompressedModel(spec).model;
}
