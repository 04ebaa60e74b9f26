import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, platform } from 'node:os';
import { join } from 'node:path';
import { useBackend, type BackendInfo } from '../backend/select.ts';
import { batchCount } from '../data/batching.ts';
import { openDataset } from '../data/datasets/open.ts';
import { holdOut } from '../data/datasets/hold-out.ts';
import type { Dataset } from '../data/datasets/dataset.ts';
import { presetPolicy, summarizeModel, type ModelSummary } from '../compress/index.ts';
import { resolvePolicy } from '../compress/resolve.ts';
import { BitpointError, TrainingError } from '../util/errors.ts';
import { FlipRatio } from '../compress/quantizers/flip-ratio.ts';
import { captureModelState, listed, loadCheckpoint, restoreModelState, saveCheckpoint } from './checkpoint.ts';
import { loadTeacher } from './distillation.ts';
import { initializeFromRun } from './init-from.ts';
import { evaluateDataset, primaryMetric, type Evaluation } from './evaluate.ts';
import { createOptimizer } from './optimizers/index.ts';
import { modelCardFor, writeModelCard } from './run-model.ts';
import { DataParallel } from './parallel/data-parallel.ts';
import type { ReplicaSpec } from './parallel/messages.ts';
import { buildCompressedModel } from './parallel/replica.ts';
import { batchStream } from './pipeline.ts';
import { ProgressLine, RunClock } from './progress.ts';
import type { RunConfig } from './run-config.ts';
import { assertResumable, removeStaleTemporaries } from './resume.ts';
import { createSchedule } from './schedules.ts';
import { reseedStochasticModules } from './stochastic.ts';
import { Trainer } from './trainer.ts';

/** One line of metrics.jsonl. */
export interface EpochMetrics {
  epoch: number;
  train_loss: number;
  train_accuracy: number;
  learning_rate: number;
  samples_per_s: number;
  seconds: number;
  /**
   * Binary and ternary models: the mean over the epoch's steps of the fraction of weight codes
   * each step changed (larq's flip ratio). High values mean latent weights oscillate around the
   * thresholds; it falls towards 0 as training settles.
   */
  flip_ratio?: number;
  /** On the held-out part of the training split, when the config has `validation`. */
  validation?: Evaluation;
  test?: Evaluation;
}

/** result.json: what a run produced, with what it was made from. */
export interface RunResult {
  name: string;
  status: 'completed';
  config: RunConfig;
  environment: Record<string, unknown>;
  task: Dataset['task'];
  epochs: number;
  /** On the test split, after the last epoch. */
  final: Evaluation;
  /** After the last epoch, on the held-out part of the training split (config `validation`). */
  final_validation?: Evaluation;
  /** The evaluation the best checkpoint was chosen by: on `validation` when there is one, else on `test`. */
  best: { epoch: number; metric: number; on?: 'validation' | 'test' };
  history: EpochMetrics[];
  /** Size of the trained model as packed for deployment (src/compress/summary.ts). */
  compression: {
    policy: string;
    packed_bytes: number;
    float32_bytes: number;
    compression_ratio: number;
    /** Fraction of zero weights over all weight layers (pruned, or ternary zeros). */
    sparsity: number;
    /** Bits per weight averaged over the weight layers (by weight count). */
    mean_weight_bits: number;
  };
  duration_s: number;
}

export interface RunOptions {
  outDir: string;
  resume?: boolean;
  log: (line: string) => void;
  /** Aborting saves a checkpoint after the current step and stops with an `InterruptedError`. */
  signal?: AbortSignal;
  /** Where the generated data sets live (default `datasets/synthetic`). */
  syntheticRoot?: string;
}

export class InterruptedError extends BitpointError {}

const CHECKPOINT_LAST = 'last.safetensors';
const CHECKPOINT_BEST = 'best.safetensors';

/** The model options a data set implies (classes, parts, categories, input channels). */
export function modelOptionsFor(dataset: Dataset, config: RunConfig): ReplicaSpec['modelOptions'] {
  const common = { ...config.modelOptions, inputChannels: config.normals ? 6 : 3 };
  if (dataset.task === 'segmentation') {
    return { ...common, numClasses: dataset.partTable.partCount, numCategories: dataset.partTable.categories.length };
  }
  return { ...common, numClasses: dataset.classNames.length };
}

export function replicaSpec(config: RunConfig, dataset: Dataset, backend: BackendInfo): Omit<ReplicaSpec, 'replica'> {
  return {
    model: config.model,
    modelOptions: modelOptionsFor(dataset, config),
    // A policy file is read once here, so the run folder keeps the policy itself, not a path.
    compress: typeof config.compress === 'string' && !presetPolicy(config.compress) ? resolvePolicy(config.compress) : config.compress,
    seed: config.seed,
    backend: backend.name === 'tensorflow' ? (backend.requested === 'node-gpu' ? 'node-gpu' : 'node') : (backend.name as 'wasm' | 'cpu'),
    labelSmoothing: config.labelSmoothing,
    ...(config.distill ? { distill: config.distill } : {}),
  };
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, file);
}

/** The worker threads a run (or an evaluation) uses: the config's count, or one per extra core on single-threaded backends. */
export function workerCount(config: Pick<RunConfig, 'workers'>, backend: BackendInfo): number {
  if (config.workers !== 'auto') return config.workers;
  // Native backends use every core themselves; wasm and cpu run one thread under Node.
  return backend.name === 'wasm' || backend.name === 'cpu' ? Math.max(0, availableParallelism() - 1) : 0;
}

/**
 * Trains one run into `outDir`: config.json, environment.json, metrics.jsonl (one line per epoch),
 * checkpoints/last and best, and result.json at the end. With `resume`, continues from the last
 * checkpoint exactly where it stopped (same batches, dropout masks and updates as an
 * uninterrupted run).
 */
export async function runTraining(config: RunConfig, options: RunOptions): Promise<RunResult> {
  let started = performance.now();
  const { log } = options;
  // Checked before anything is read or written: a refused resume leaves the folder as it was.
  if (options.resume) {
    assertResumable(options.outDir, config);
    const finished = readFinishedResult(options.outDir);
    if (finished) {
      log(`${options.outDir} finished all ${finished.epochs} epochs already; nothing to resume`);
      return finished;
    }
  }
  const backend = await useBackend(config.backend);
  for (const fallback of backend.fallbacks ?? []) log(`backend: ${fallback}; using ${backend.name}`);
  const datasetOptions = { points: Math.max(config.points, 1024), syntheticRoot: options.syntheticRoot, logger: log };
  const trainSplit = await openDataset(config.dataset, { ...datasetOptions, split: 'train' });
  const { train, validation } = config.validation ? holdOut(trainSplit, config.validation) : { train: trainSplit, validation: null };
  if (validation) log(`validation: ${validation.size} of the ${trainSplit.size} training samples held out (${config.validation})`);
  const test = await openDataset(config.dataset, { ...datasetOptions, split: 'test' });
  if (train.size < config.batchSize) throw new TrainingError(`the training split of '${config.dataset}' has ${train.size} samples, fewer than one batch of ${config.batchSize}`);

  const checkpointDir = join(options.outDir, 'checkpoints');
  const lastCheckpoint = join(checkpointDir, CHECKPOINT_LAST);
  if (!options.resume && existsSync(lastCheckpoint)) {
    throw new TrainingError(`${options.outDir} already holds a run; pass --resume to continue it or choose another --out`);
  }
  await mkdir(checkpointDir, { recursive: true });
  for (const file of removeStaleTemporaries(options.outDir, checkpointDir)) log(`removed ${file}, left behind by an interrupted session`);

  const spec = replicaSpec(config, train, backend);
  const stepsPerEpoch = batchCount(train.size, config.batchSize, true);
  const { model, compression } = buildCompressedModel({ ...spec, replica: 0 }, { totalSteps: config.epochs * stepsPerEpoch });
  for (const warning of compression.warnings) log(`compress: ${warning}`);
  const schedule = createSchedule(config.schedule);
  const optimizer = createOptimizer(config.optimizer);
  const teacher = config.distill ? await loadTeacher(config.distill, train) : null;
  if (config.distill) log(`distill: teacher ${config.distill.run} (${config.distill.checkpoint}), weight ${config.distill.weight}, temperature ${config.distill.temperature}`);
  const trainer = new Trainer(model, {
    optimizer,
    distill: config.distill && teacher ? { teacher, weight: config.distill.weight, temperature: config.distill.temperature } : undefined,
    learningRate: (step) => schedule(step, stepsPerEpoch),
    labelSmoothing: config.labelSmoothing,
    clipNorm: config.clip?.mode === 'global_norm' ? config.clip.maxNorm : undefined,
    afterUpdate: compression.pruningSchedule ? (step) => void compression.pruningSchedule!.afterUpdate(step) : undefined,
  });
  const environment = {
    backend: backend.name,
    backend_package: backend.package,
    kernel_fixes: backend.kernelFixes,
    ...(backend.fallbacks ? { backend_fallbacks: backend.fallbacks } : {}),
    tfjs: backend.tfjsVersion,
    node: process.version,
    platform: platform(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    /** Worker threads this session used (what `workers: "auto"` resolved to): BatchNorm normalizes per shard, so the numbers depend on it. */
    workers: workerCount(config, backend),
  };

  /** Running sums of the epoch in progress, kept in mid-epoch checkpoints so its metrics come out whole. */
  type EpochSums = { lossSum: number; correct: number; count: number; samples: number; seconds: number; flipSum?: number; flipSteps?: number };
  let resumedSums: EpochSums | null = null;
  let startEpoch = 0;
  let skipBatches = 0;
  const selectOn = validation ? 'validation' : 'test';
  let best: RunResult['best'] = { epoch: -1, metric: -Infinity, on: selectOn };
  let history: EpochMetrics[] = [];
  const metricsFile = join(options.outDir, 'metrics.jsonl');
  const resuming = options.resume === true && existsSync(lastCheckpoint);
  if (resuming) {
    // Loaded and checked against the model before anything in the folder changes.
    const checkpoint = await loadCheckpoint(lastCheckpoint);
    restoreModelState(model, checkpoint.tensors, lastCheckpoint);
    if (checkpoint.optimizer) optimizer.setState(checkpoint.optimizer);
    trainer.step = checkpoint.step ?? 0;
    startEpoch = checkpoint.epoch ?? 0;
    const meta = checkpoint.metadata ?? {};
    skipBatches = Number(meta['batchesDone'] ?? 0);
    best = (meta['best'] as typeof best) ?? best;
    resumedSums = (meta['epochSums'] as EpochSums | null | undefined) ?? null;
    // Earlier sessions' time counts towards duration_s.
    started -= Number(meta['durationSeconds'] ?? 0) * 1000;
    // Epochs finished after this checkpoint was written are redone, so their lines go.
    history = (await readHistory(metricsFile)).filter((m) => m.epoch < startEpoch);
    await writeFile(metricsFile, history.map((m) => JSON.stringify(m)).join('\n') + (history.length ? '\n' : ''));
    const where = startEpoch >= config.epochs ? 'after its last epoch' : `at epoch ${startEpoch + 1}, batch ${skipBatches + 1}`;
    log(`resuming ${options.outDir} ${where} (step ${trainer.step})`);
  } else {
    await writeFile(metricsFile, '');
    if (config.initFrom) {
      const plain = buildCompressedModel({ ...spec, compress: 'fp', replica: 0 }).model;
      const architecture = plain.namedParameters().map(([path]) => path);
      plain.dispose();
      const init = await initializeFromRun(model, config.initFrom, architecture);
      const kept = init.missing.length ? `; ${init.missing.length} keep their initialization (${listed(init.missing)})` : '';
      log(`init: ${init.restored.length} tensors from ${init.checkpoint}${kept}`);
    }
  }

  await writeJsonAtomic(join(options.outDir, 'config.json'), config);
  await writeModelCard(options.outDir, modelCardFor(spec, train, config));
  await writeJsonAtomic(join(options.outDir, 'environment.json'), environment);

  const flips = new FlipRatio(model);
  const trackFlips = flips.trackedLayers().length > 0;
  // The next step's flips are counted against the codes the checkpoint holds, as they would have
  // been against the same codes without the interruption.
  if (trackFlips && resuming && trainer.step > 0) flips.update();
  const workers = workerCount(config, backend);
  const parallel = workers > 0 ? await DataParallel.start(spec, workers, model.parameters()) : null;
  const saveState = async (file: string, epoch: number, batchesDone: number, sums: EpochSums | null) => {
    await saveCheckpoint(file, {
      tensors: captureModelState(model),
      optimizer: optimizer.getState(),
      epoch,
      step: trainer.step,
      metadata: { batchesDone, best, epochSums: sums, config: config.name, durationSeconds: (performance.now() - started) / 1000 },
    });
  };
  const predict = (batch: Parameters<Trainer['predict']>[0]) => (parallel ? parallel.predict(trainer, batch) : trainer.predict(batch));
  const evaluate = async (dataset: Dataset = test, label = 'test') => {
    const progress = new ProgressLine(`  evaluating ${label}`, batchCount(dataset.size, config.batchSize, false), log);
    let batches = 0;
    const evaluation = await evaluateDataset(predict, dataset, { batchSize: config.batchSize, config, onBatch: () => progress.update(++batches, '') });
    progress.clear();
    return evaluation;
  };
  log(
    `train ${config.name}: ${config.model} on ${config.dataset} (${train.size} training${validation ? `, ${validation.size} validation` : ''}, ${test.size} test samples), ` +
      `${config.epochs} epochs of ${stepsPerEpoch} steps, backend ${backend.name}, ${workers} worker threads, into ${options.outDir}`,
  );
  const clock = new RunClock(startEpoch, config.epochs);

  try {
    for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
      const progress = new ProgressLine(`epoch ${epoch + 1}/${config.epochs}`, stepsPerEpoch, log);
      let { lossSum, correct, count, samples, seconds: earlierSeconds, flipSum = 0, flipSteps = 0 } = resumedSums ?? { lossSum: 0, correct: 0, count: 0, samples: 0, seconds: 0 };
      resumedSums = null;
      // Time already spent on this epoch before an interruption counts towards its samples/s.
      const epochStart = performance.now() - earlierSeconds * 1000;
      let batchIndex = 0;
      for await (const batch of batchStream(train, { batchSize: config.batchSize, seed: config.seed, epoch, training: true, config })) {
        try {
          if (batchIndex < skipBatches) continue;
          let result;
          if (parallel) {
            const { gradients, ...rest } = await parallel.computeGradients(trainer, batch);
            trainer.applyGradients(gradients, rest.loss);
            result = rest;
          } else {
            reseedStochasticModules(model, config.seed, 0, trainer.step);
            result = trainer.trainStep(batch);
          }
          if (trackFlips) {
            const ratio = flips.update().total;
            if (ratio !== null) (flipSum += ratio, flipSteps++);
          }
          lossSum += result.loss * batch.ids.length;
          correct += result.correct;
          count += result.count;
          samples += batch.ids.length;
          const seconds = (performance.now() - epochStart) / 1000;
          progress.update(batchIndex + 1, `loss ${(lossSum / samples).toFixed(4)} acc ${(correct / count).toFixed(3)} ${(samples / seconds).toFixed(1)} samples/s`);
          if (options.signal?.aborted) {
            await saveState(lastCheckpoint, epoch, batchIndex + 1, { lossSum, correct, count, samples, seconds, flipSum, flipSteps });
            progress.finish('interrupted');
            throw new InterruptedError(`interrupted: checkpoint saved at epoch ${epoch + 1}, batch ${batchIndex + 1}; continue with --resume`);
          }
        } finally {
          batch.dispose();
          batchIndex++;
        }
      }
      skipBatches = 0;
      const trainSeconds = (performance.now() - epochStart) / 1000;
      progress.finish(`loss ${(lossSum / Math.max(samples, 1)).toFixed(4)} acc ${(correct / Math.max(count, 1)).toFixed(3)} (${clock.epochDone(epoch)})`);
      const line: EpochMetrics = {
        epoch,
        train_loss: lossSum / Math.max(samples, 1),
        train_accuracy: correct / Math.max(count, 1),
        learning_rate: schedule(trainer.step, stepsPerEpoch),
        samples_per_s: samples / trainSeconds,
        seconds: trainSeconds,
        ...(flipSteps > 0 ? { flip_ratio: flipSum / flipSteps } : {}),
      };
      const last = epoch === config.epochs - 1;
      if (last || (epoch + 1) % config.evalEvery === 0) {
        if (validation) {
          line.validation = await evaluate(validation, 'validation');
          log(`  validation ${describeMetric(line.validation)}`);
        }
        line.test = await evaluate();
        log(`  test ${describeMetric(line.test)}`);
        const metric = primaryMetric(line.validation ?? line.test);
        if (metric > best.metric) {
          best = { epoch, metric, on: selectOn };
          await saveState(join(checkpointDir, CHECKPOINT_BEST), epoch + 1, 0, null);
        }
      }
      history.push(line);
      await writeFile(metricsFile, history.map((m) => JSON.stringify(m)).join('\n') + '\n');
      await saveState(lastCheckpoint, epoch + 1, 0, null);
    }
  } finally {
    await parallel?.close();
    flips.dispose();
    teacher?.dispose();
  }

  const lastLine = history[history.length - 1];
  const final = lastLine?.test ?? (await evaluate());
  const finalValidation = validation ? (lastLine?.validation ?? (await evaluate(validation))) : undefined;
  const summary = summarizeModel(model, { report: compression, points: config.points, model: config.model, policy: compression.policy });
  const result: RunResult = {
    name: config.name,
    status: 'completed',
    config,
    environment,
    task: train.task,
    epochs: config.epochs,
    final,
    final_validation: finalValidation,
    best,
    history,
    compression: {
      policy: compression.policy,
      packed_bytes: summary.packed_bytes,
      float32_bytes: summary.float32_bytes,
      compression_ratio: summary.compression_ratio,
      ...weightStatistics(summary),
    },
    duration_s: (performance.now() - started) / 1000,
  };
  await writeJsonAtomic(join(options.outDir, 'result.json'), result);
  model.dispose();
  return result;
}

/** result.json of a run that completed, or null. */
function readFinishedResult(outDir: string): RunResult | null {
  const file = join(outDir, 'result.json');
  if (!existsSync(file)) return null;
  try {
    const result = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
    return result.status === 'completed' ? result : null;
  } catch {
    return null;
  }
}

function describeMetric(evaluation: Evaluation): string {
  const metric = primaryMetric(evaluation);
  // the same form as the result line on stdout: a percentage with two decimals
  return `${evaluation.task === 'segmentation' ? 'instance mIoU' : 'accuracy'} ${(metric * 100).toFixed(2)} %`;
}

async function readHistory(file: string): Promise<EpochMetrics[]> {
  if (!existsSync(file)) return [];
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EpochMetrics);
}

function weightStatistics(summary: ModelSummary): { sparsity: number; mean_weight_bits: number } {
  let weights = 0;
  let zeros = 0;
  let bits = 0;
  for (const layer of summary.layers) {
    weights += layer.weight_count;
    zeros += layer.weight_count * layer.measured_sparsity;
    bits += layer.weight_count * layer.weight_bits;
  }
  return { sparsity: weights ? zeros / weights : 0, mean_weight_bits: weights ? bits / weights : 32 };
}
