import type { FlagDef } from './command.ts';

/**
 * Flags several commands share, with their values read from the registries (backends, models,
 * presets, data sets) so a name is never typed twice. Loaded lazily: the model registry starts
 * TensorFlow.js, which `bitpoint inspect` must not pay for (it does not import this file).
 */
/** `--backend`, for the commands that start TensorFlow.js. */
export const BACKEND_FLAG: FlagDef = {
  type: 'string',
  arg: 'NAME',
  description: 'TensorFlow.js backend (auto: tfjs-node-gpu, tfjs-node, wasm, cpu, the first that loads)',
  default: 'auto',
  values: async () => (await import('../backend/select.ts')).BACKEND_REQUESTS,
};

/** `--checkpoint`, for the commands that load a trained run. */
export function checkpointFlag(defaultValue: 'best' | 'last'): FlagDef {
  return { type: 'string', arg: 'WHICH', description: "which checkpoint of the run: 'best' (best evaluation) or 'last'", default: defaultValue, values: ['best', 'last'] };
}

/** Registries as value lists, read lazily (the model registry loads TensorFlow.js). */
export const MODEL_NAMES = async (): Promise<readonly string[]> => (await import('../models/registry.ts')).modelNames();
export const PRESET_NAMES = async (): Promise<readonly string[]> => (await import('../compress/presets.ts')).PRESET_NAMES;
export const DATASET_NAMES = async (): Promise<readonly string[]> => (await import('../data/datasets/open.ts')).DATASET_NAMES;

