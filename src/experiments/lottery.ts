/**
 * Lottery-ticket retraining (Frankle & Carbin 2019), dispatched by the sweep runner for methods
 * with `procedure: 'lottery-rewind' | 'lottery-reinit'`. One-shot, layer-wise:
 *
 *  1. Dense: the run's config with `compress: 'fp'` is trained into `<sweep>/lottery-dense-<hash>/`
 *     (shared by the rewind and reinit runs of the same task, initializer and seed; resumable).
 *  2. Ticket: every layer that the method's policy prunes gets the magnitude mask of its trained
 *     dense weights at the method's `sparsity` (the compression module's `maskFromScores`).
 *  3. Sparse start: `lottery-rewind` takes the dense run's initial weights (the model rebuilt from
 *     the same seed and initializer: Frankle & Carbin's rewinding to initialization);
 *     `lottery-reinit` a fresh draw of the same initializer (another seed), the control of the
 *     original paper. Masks are applied, pruned weights are zero.
 *  4. Sparse training: that state is written as the run's epoch-0 checkpoint and the run is trained
 *     with its own config (the method's policy: a one-shot pruning rule at the same sparsity, so the
 *     model has masks; the policy's own pruning cannot change the ticket, since masks only grow and
 *     the ticket already has that sparsity) by resuming from it — so an interrupted sparse phase
 *     resumes like any run.
 *
 * `lottery.json` in the run folder records the dense run, the start and the mask sparsities.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../backend/select.ts';
import { maskFromScores } from '../compress/prune/masks.ts';
import { captureModelState, restoreModelState, saveCheckpoint } from '../train/checkpoint.ts';
import { buildReplicaModel } from '../train/parallel/replica.ts';
import { loadRunModel } from '../train/run-model.ts';
import { runTraining, type RunOptions, type RunResult } from '../train/run.ts';
import type { RunConfig } from '../train/run-config.ts';
import { TrainingError } from '../util/errors.ts';
import { configHash, type PlannedRun } from './study.ts';

/** Seed offset of the random re-initialization (any fixed value other than 0). */
export const REINIT_SEED_OFFSET = 1_000_003;

export async function runLotteryTicket(run: PlannedRun, options: RunOptions): Promise<RunResult> {
  const denseConfig: RunConfig = { ...run.config, compress: 'fp', name: `${run.config.name}-dense` };
  const denseHash = configHash(denseConfig, { procedure: 'train', sparsity: 0 });
  const denseDir = join(dirname(options.outDir), `lottery-dense-${denseHash.slice(0, 12)}`);
  if (!existsSync(join(denseDir, 'result.json'))) {
    options.log(`lottery ticket ${run.name}: training the dense network into ${denseDir}`);
    await runTraining(denseConfig, { ...options, outDir: denseDir, resume: existsSync(join(denseDir, 'checkpoints', 'last.safetensors')) });
  }
  const startCheckpoint = join(options.outDir, 'checkpoints', 'last.safetensors');
  if (!options.resume || !existsSync(startCheckpoint)) {
    await writeTicket(run, denseDir, options.outDir);
    options.log(`lottery ticket ${run.name}: sparse network written as the epoch-0 checkpoint; training it`);
  }
  return runTraining(run.config, { ...options, resume: true });
}

async function writeTicket(run: PlannedRun, denseDir: string, outDir: string): Promise<void> {
  await useBackend(run.config.backend);
  const dense = await loadRunModel(denseDir, 'last');
  const spec = dense.card.spec;
  const sparse = buildReplicaModel({ ...spec, compress: run.config.compress, replica: 0 });
  const rewind = run.method.procedure === 'lottery-rewind';
  const start = buildReplicaModel({ ...spec, seed: rewind ? spec.seed : spec.seed + REINIT_SEED_OFFSET, replica: 0 });
  try {
    restoreModelState(sparse, captureModelState(start), rewind ? 'initial weights' : 're-initialized weights', { strict: false });
    const trained = new Map(dense.model.weightLayers());
    const layers: Record<string, { weights: number; sparsity: number }> = {};
    for (const [name, layer] of sparse.weightLayers()) {
      if (!layer.mask) continue;
      const denseLayer = trained.get(name);
      if (!denseLayer) throw new TrainingError(`lottery ticket: layer ${name} of the sparse model is not in the dense model`);
      const values = denseLayer.weight.variable.dataSync();
      const mask = maskFromScores(Float64Array.from(values, Math.abs), Math.round(run.method.sparsity * values.length));
      tf.tidy(() => layer.setMask(tf.tensor(mask, layer.weight.shape)));
      layers[name] = { weights: values.length, sparsity: mask.reduce((zeros, m) => zeros + (m === 0 ? 1 : 0), 0) / values.length };
    }
    if (Object.keys(layers).length === 0) {
      throw new TrainingError(
        `lottery ticket ${run.name}: the method's compression policy gives no layer a pruning mask; use a policy with a prune rule (e.g. one-shot magnitude at ${run.method.sparsity})`,
      );
    }
    await mkdir(join(outDir, 'checkpoints'), { recursive: true });
    await saveCheckpoint(join(outDir, 'checkpoints', 'last.safetensors'), {
      tensors: captureModelState(sparse),
      epoch: 0,
      step: 0,
      metadata: { batchesDone: 0, epochSums: null, config: run.config.name, lottery: run.method.procedure },
    });
    const denseResult = JSON.parse(await readFile(join(denseDir, 'result.json'), 'utf8')) as RunResult;
    await writeFile(
      join(outDir, 'lottery.json'),
      `${JSON.stringify(
        {
          procedure: run.method.procedure,
          dense_run: denseDir,
          dense_final: denseResult.final,
          start: rewind ? `the dense run's initial weights (seed ${spec.seed})` : `a fresh draw of the same initializer (seed ${spec.seed + REINIT_SEED_OFFSET})`,
          target_sparsity: run.method.sparsity,
          layers,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    dense.model.dispose();
    sparse.dispose();
    start.dispose();
  }
}
