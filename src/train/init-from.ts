/**
 * Warm start: a new run begins from another run's weights (fine-tuning a quantized model from a
 * trained full-precision one, as LSQ does, or quantizing a pruned model). Parameters are matched
 * by path. Every parameter of the architecture (weights, biases, BatchNorm) must come from the
 * source with the same shape; parameters the compression policy adds (quantizer steps and scales,
 * LSR, masks) are loaded when the source has them and otherwise keep their initialization, except
 * that weight quantizers with data-dependent state (LSQ's step, TTQ's scales), which the policy
 * initialized from the random weights, initialize again from the loaded ones.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CompressQuantizer } from '../compress/quantizers/base.ts';
import type { Model } from '../models/model.ts';
import { FormatError } from '../util/errors.ts';
import { loadCheckpoint, restoreModelState, type RestoreReport } from './checkpoint.ts';
import type { InitFromConfig } from './run-config.ts';

export interface InitFromReport extends RestoreReport {
  checkpoint: string;
}

/** The checkpoint file of `init`: `best` falls back to `last` for runs that never evaluated. */
export function initCheckpointPath(init: InitFromConfig): string {
  const wanted = join(init.run, 'checkpoints', `${init.checkpoint}.safetensors`);
  if (existsSync(wanted)) return wanted;
  const last = join(init.run, 'checkpoints', 'last.safetensors');
  if (init.checkpoint === 'best' && existsSync(last)) return last;
  throw new FormatError(wanted, 'missing: initFrom must name a run folder written by `bitpoint train`');
}

/** `architecture`: the parameter paths of the model without compression, all required. */
export async function initializeFromRun(model: Model, init: InitFromConfig, architecture: readonly string[]): Promise<InitFromReport> {
  const checkpoint = initCheckpointPath(init);
  const tensors = (await loadCheckpoint(checkpoint)).tensors;
  const absent = architecture.filter((path) => !tensors.has(path));
  if (absent.length > 0) {
    const shown = absent.slice(0, 4).join(', ') + (absent.length > 4 ? ` and ${absent.length - 4} more` : '');
    throw new FormatError(checkpoint, `lacks ${shown} of the model being trained: initFrom needs a run of the same model`);
  }
  const report = restoreModelState(model, tensors, checkpoint, { strict: false });
  const missing = new Set(report.missing);
  for (const [name, layer] of model.weightLayers()) {
    const quantizer = layer.weightQuantizer;
    if (quantizer instanceof CompressQuantizer && missing.has(`${name}.weightQuantizer.initialized`)) {
      tf.tidy(() => quantizer.initialize(layer.maskedWeight()));
    }
  }
  return { ...report, checkpoint };
}
