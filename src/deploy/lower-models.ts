/**
 * Lowers a model to a packed program: the same computation as its `forward` in evaluation mode
 * (dropout off, BatchNorm on running statistics), written as program ops by the model's own
 * `lower` method, which calls its blocks' (see program-builder.ts).
 */
import type { Model } from '../models/model.ts';
import { ExportError, type TensorTable } from './lower-layer.ts';
import { ProgramBuilder } from './program-builder.ts';
import type { ProgramHeader } from './program.ts';

export interface LoweredModel {
  program: ProgramHeader;
  table: TensorTable;
}

/** The packed program of a model (its weights as they are now, in evaluation mode). */
export function lowerModel(model: Model, modelName: string): LoweredModel {
  const b = new ProgramBuilder();
  const lowered = model.lower(b);
  if (!lowered) throw new ExportError(`model '${modelName}' (${model.constructor.name}) has no packed lowering`);
  b.fuseSigns();
  const input = lowered.input ?? { kind: 'points', channels: model.inputChannels };
  return {
    program: { model: modelName, task: model.task, numClasses: model.numClasses, input, numCategories: lowered.numCategories ?? 0, program: b.ops, output: lowered.output },
    table: b.table,
  };
}
