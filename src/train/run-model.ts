import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../data/datasets/dataset.ts';
import type { PartTable } from '../data/datasets/part-table.ts';
import type { Model } from '../models/model.ts';
import { FormatError } from '../util/errors.ts';
import { loadCheckpoint, restoreModelState } from './checkpoint.ts';
import type { ReplicaSpec } from './parallel/messages.ts';
import { buildReplicaModel } from './parallel/replica.ts';
import { parseRunConfig, type RunConfig } from './run-config.ts';

/**
 * model.json in a run folder: everything needed to rebuild the trained network without the data
 * set (registry name and options, compression policy, seed) and to name its outputs.
 */
export interface ModelCard {
  spec: Omit<ReplicaSpec, 'replica'>;
  task: Dataset['task'];
  /** Class names (classification, images). */
  classNames?: string[];
  /** Categories and their parts (part segmentation). */
  partTable?: PartTable;
  /** Points per cloud the model was trained with, and whether normals are input channels. */
  points: number;
  normals: boolean;
}

export function modelCardFor(spec: Omit<ReplicaSpec, 'replica'>, dataset: Dataset, config: RunConfig): ModelCard {
  const card: ModelCard = { spec, task: dataset.task, points: config.points, normals: config.normals };
  if (dataset.task === 'segmentation') card.partTable = dataset.partTable;
  else card.classNames = [...dataset.classNames];
  return card;
}

export async function writeModelCard(runDir: string, card: ModelCard): Promise<void> {
  await writeFile(join(runDir, 'model.json'), `${JSON.stringify(card, null, 2)}\n`);
}

export interface LoadedRun {
  model: Model;
  card: ModelCard;
  config: RunConfig;
  checkpoint: string;
}

/**
 * The checkpoint file of a run folder: `best`, or `last` for a run that never evaluated (or asked
 * for). A FormatError naming the wanted file if there is none.
 */
export function runCheckpointPath(runDir: string, which: 'best' | 'last' = 'best'): string {
  const wanted = join(runDir, 'checkpoints', `${which}.safetensors`);
  if (existsSync(wanted)) return wanted;
  const last = join(runDir, 'checkpoints', 'last.safetensors');
  if (which === 'best' && existsSync(last)) return last;
  throw new FormatError(wanted, 'missing: the run has no checkpoint yet (is it a run folder written by `bitpoint train`?)');
}

/** Rebuilds a run's model and loads its best (default) or last checkpoint. */
export async function loadRunModel(runDir: string, which: 'best' | 'last' = 'best'): Promise<LoadedRun> {
  const cardFile = join(runDir, 'model.json');
  const configFile = join(runDir, 'config.json');
  for (const file of [cardFile, configFile]) {
    if (!existsSync(file)) throw new FormatError(file, 'missing: is this a run folder written by `bitpoint train`?');
  }
  const card = JSON.parse(await readFile(cardFile, 'utf8')) as ModelCard;
  const config = parseRunConfig(JSON.parse(await readFile(configFile, 'utf8')));
  const checkpoint = runCheckpointPath(runDir, which);
  const model = buildReplicaModel({ ...card.spec, replica: 0 });
  restoreModelState(model, (await loadCheckpoint(checkpoint)).tensors, checkpoint);
  model.eval();
  return { model, card, config, checkpoint };
}
