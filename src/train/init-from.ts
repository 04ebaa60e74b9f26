/**
 * Warm start: a new run begins from another run's weights (fine-tuning a quantized model from a
 * trained full-precision one, as LSQ does, or quantizing a pruned model). Parameters are matched
 * by path. Every parameter of the architecture (weights, biases, BatchNorm) must come from the
 * source with the same shape; parameters the compression policy adds (quantizer steps and scales,
 * LSR, masks) are loaded when the source has them and otherwise keep their initialization, except
 * that weight quantizers with data-dependent state (LSQ's step, TTQ's scales), which the policy
 * initialized from the random weights, initialize again from the loaded ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CompressQuantizer } from '../compress/quantizers/base.ts';
import type { Model } from '../models/model.ts';
import { FormatError } from '../util/errors.ts';
import { listed, loadCheckpoint, restoreModelState, type RestoreReport } from './checkpoint.ts';
import type { InitFromConfig } from './run-config.ts';
import { runCheckpointPath } from './run-model.ts';

export interface InitFromReport extends RestoreReport {
  checkpoint: string;
}

/** `architecture`: the parameter paths of the model without compression, all required. */
export async function initializeFromRun(model: Model, init: InitFromConfig, architecture: readonly string[]): Promise<InitFromReport> {
  const checkpoint = runCheckpointPath(init.run, init.checkpoint);
  const tensors = (await loadCheckpoint(checkpoint)).tensors;
  const absent = architecture.filter((path) => !tensors.has(path));
  if (absent.length > 0) {
    throw new FormatError(checkpoint, `lacks ${listed(absent)} of the model being trained: initFrom needs a run of the same model`);
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
