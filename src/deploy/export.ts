/**
 * `bitpoint export`: a trained model → the packed file the engine runs.
 *
 *   const bytes = exportModel(model, 'pointnet-vanilla', { run: 'runs/x', policy: 'bipointnet' });
 *   await writeFile('model.bitpoint', bytes);
 */
import type { Model } from '../models/model.ts';
import { writePackedModel } from './format.ts';
import { lowerModel } from './lower-models.ts';

export { ExportError } from './lower-layer.ts';

/** The packed bytes of `model` as it is now (evaluation mode: running BatchNorm statistics). */
export function exportModel(model: Model, modelName: string, source: Record<string, unknown> = {}): Uint8Array {
  const wasTraining = model.training;
  model.eval();
  try {
    const { program, table } = lowerModel(model, modelName);
    const layers = model.weightLayers().map(([name, layer]) => ({
      name,
      shape: layer.weight.shape,
      weights: layer.weightQuantizer.describe(),
      inputs: layer.inputQuantizer.describe(),
      outputScale: layer.outputScale.kind,
      pruned: layer.mask !== null,
    }));
    return writePackedModel(program, table.tensors, { ...source, layers });
  } finally {
    model.train(wasTraining);
  }
}
