import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend, type BackendInfo, type BackendRequest } from '../backend/select.ts';
import { batchCount } from '../data/batching.ts';
import type { Dataset } from '../data/datasets/dataset.ts';
import { openDataset } from '../data/datasets/open.ts';
import { createOptimizer } from '../train/optimizers/index.ts';
import { DataParallel } from '../train/parallel/data-parallel.ts';
import { buildCompressedModel } from '../train/parallel/replica.ts';
import { batchStream, type OwnedBatch } from '../train/pipeline.ts';
import { ProgressLine } from '../train/progress.ts';
import { parseRunConfig, type RunConfig } from '../train/run-config.ts';
import { replicaSpec } from '../train/run.ts';
import { createSchedule } from '../train/schedules.ts';
import { reseedStochasticModules } from '../train/stochastic.ts';
import { Trainer } from '../train/trainer.ts';
import { MODELNET40_SIZES, openGeneratedSet } from './generated-set.ts';
import { machineInfo } from './machine.ts';

export interface EpochBenchmarkOptions {
  backend: BackendRequest;
  model: string;
  compress: string;
  /** A data set folder (or name) as `--dataset` takes it; absent: a generated set of `generated` sizes. */
  dataset?: string;
  generated: { root: string; train: number; test: number };
  points: number;
  batchSize: number;
  workers: number;
  /** Stop each pass after this many batches (a quick check); figures are then per measured steps. */
  maxSteps?: number;
  log?: (text: string) => void;
}

export const EPOCH_BENCHMARK_DEFAULTS = {
  model: 'pointnet-vanilla',
  compress: 'fp',
  points: 1024,
  batchSize: 32,
  workers: 1,
  generated: { root: 'datasets/synthetic/modelnet40-size', ...MODELNET40_SIZES },
};

/** One pass over a split: wall time, and the part of it spent waiting for the next batch. */
export interface PassTiming {
  seconds: number;
  /** Time the loop waited for a batch: reading, parsing, sampling, augmenting, stacking. */
  loading_seconds: number;
  loading_share: number;
  batches: number;
  samples: number;
  samples_per_s: number;
}

export interface EpochTiming {
  /** Train and test passes together, and the loading within them. */
  seconds: number;
  loading_seconds: number;
  loading_share: number;
  train: PassTiming;
  /** The test split in evaluation mode, as every epoch of `bitpoint train` ends. */
  test: PassTiming;
  /** The full epoch's train time, scaled from the measured batches when `--max-steps` cut it short. */
  seconds_per_epoch: number;
  rss_mib: number;
}

/**
 * `bitpoint bench epoch` (issue 29): a training epoch end to end, data loading included, through
 * the same data set readers, pipeline (sampling, normalization, augmentation), trainer and data
 * parallelism as `bitpoint train`, followed by the test split's evaluation. Twice:
 *
 *  - cold: the sample cache starts empty (a fresh temporary directory), so every shape is read
 *    from its file, parsed and sampled, and written to the cache, as in a run's first epoch on a
 *    new data set (the OS may still hold the files in its page cache);
 *  - warm: the next epoch of the same run, served from the cache, as every later epoch is.
 *
 * Loading is the time the loop waits for its next batch; the pipeline prepares one batch ahead,
 * but parsing is JavaScript on the main thread, so it mostly adds to the step.
 */
export async function runEpochBenchmark(options: EpochBenchmarkOptions): Promise<Record<string, unknown>> {
  const log = options.log ?? (() => {});
  const machine = machineInfo();
  const backend = await useBackend(options.backend);
  const cacheDir = await mkdtemp(join(tmpdir(), 'bitpoint-bench-cache-'));
  try {
    const datasetOptions = { points: Math.max(options.points, 1024), cacheDir, logger: log };
    const { train, test } = options.dataset
      ? { train: await openDataset(options.dataset, { ...datasetOptions, split: 'train' }), test: await openDataset(options.dataset, { ...datasetOptions, split: 'test' }) }
      : await openGeneratedSet({ ...options.generated, ...datasetOptions });
    const config = parseRunConfig({
      model: options.model,
      dataset: options.dataset ?? train.root,
      points: options.points,
      batchSize: options.batchSize,
      compress: options.compress,
      workers: options.workers,
      epochs: 2,
    });
    const result = await timeEpochs(config, train, test, backend, options, log);
    return {
      benchmark: 'epoch',
      dataset: options.dataset ?? `generated (${train.root})`,
      train_samples: train.size,
      test_samples: test.size,
      model: options.model,
      compress: options.compress,
      backend: backend.name,
      kernel_fixes: backend.kernelFixes,
      threads: options.workers + 1,
      batch_size: options.batchSize,
      points: options.points,
      steps_per_epoch: batchCount(train.size, options.batchSize, true),
      max_steps: options.maxSteps ?? null,
      ...result,
      peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
      machine,
    };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

async function timeEpochs(
  config: RunConfig,
  train: Dataset,
  test: Dataset,
  backend: BackendInfo,
  options: EpochBenchmarkOptions,
  log: (text: string) => void,
): Promise<{ cold: EpochTiming; warm: EpochTiming }> {
  const spec = replicaSpec(config, train, backend);
  const stepsPerEpoch = batchCount(train.size, config.batchSize, true);
  const { model, compression } = buildCompressedModel({ ...spec, replica: 0 }, { totalSteps: config.epochs * stepsPerEpoch });
  for (const warning of compression.warnings) log(`compress: ${warning}`);
  const schedule = createSchedule(config.schedule);
  const trainer = new Trainer(model, {
    optimizer: createOptimizer(config.optimizer),
    learningRate: (step) => schedule(step, stepsPerEpoch),
    labelSmoothing: config.labelSmoothing,
    afterUpdate: compression.pruningSchedule ? (step) => void compression.pruningSchedule!.afterUpdate(step) : undefined,
  });
  const parallel = options.workers > 0 ? await DataParallel.start(spec, options.workers, model.parameters()) : null;
  const limit = options.maxSteps ?? Number.POSITIVE_INFINITY;

  const trainBatch = async (batch: OwnedBatch) => {
    if (parallel) {
      const { gradients, ...rest } = await parallel.computeGradients(trainer, batch);
      trainer.applyGradients(gradients, rest.loss);
    } else {
      reseedStochasticModules(model, config.seed, 0, trainer.step);
      trainer.trainStep(batch);
    }
  };
  const testBatch = async (batch: OwnedBatch) => {
    const logits = parallel ? await parallel.predict(trainer, batch) : trainer.predict(batch);
    logits.dataSync();
    logits.dispose();
  };
  const epoch = async (index: number, label: string): Promise<EpochTiming> => {
    const trainPass = await timedPass(batchStream(train, { batchSize: config.batchSize, seed: config.seed, epoch: index, training: true, config }), trainBatch, limit, new ProgressLine(`${label} train`, Math.min(stepsPerEpoch, limit), log));
    const testBatches = Math.min(batchCount(test.size, config.batchSize), limit);
    const testPass = await timedPass(batchStream(test, { batchSize: config.batchSize, seed: 0, epoch: 0, training: false, config }), testBatch, limit, new ProgressLine(`${label} test`, testBatches, log));
    const seconds = trainPass.seconds + testPass.seconds;
    const loading = trainPass.loading_seconds + testPass.loading_seconds;
    return {
      seconds: round(seconds),
      loading_seconds: round(loading),
      loading_share: Number((loading / Math.max(seconds, 1e-9)).toFixed(4)),
      train: trainPass,
      test: testPass,
      seconds_per_epoch: round((trainPass.seconds * stepsPerEpoch) / Math.max(trainPass.batches, 1)),
      rss_mib: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
  };
  try {
    const cold = await epoch(0, 'cold');
    const warm = await epoch(1, 'warm');
    return { cold, warm };
  } finally {
    await parallel?.close();
    model.dispose();
  }
}

async function timedPass(
  stream: AsyncGenerator<OwnedBatch>,
  run: (batch: OwnedBatch) => Promise<void>,
  limit: number,
  progress: ProgressLine,
): Promise<PassTiming> {
  let loadingMs = 0;
  let batches = 0;
  let samples = 0;
  const started = performance.now();
  try {
    while (batches < limit) {
      const asked = performance.now();
      const next = await stream.next();
      loadingMs += performance.now() - asked;
      if (next.done) break;
      try {
        await run(next.value);
      } finally {
        samples += next.value.ids.length;
        next.value.dispose();
      }
      batches++;
      progress.update(batches, `${(samples / ((performance.now() - started) / 1000)).toFixed(1)} samples/s`);
    }
  } finally {
    await stream.return(undefined);
  }
  const seconds = (performance.now() - started) / 1000;
  progress.finish(`${seconds.toFixed(1)} s, loading ${(loadingMs / 1000).toFixed(1)} s`);
  return {
    seconds: round(seconds),
    loading_seconds: round(loadingMs / 1000),
    loading_share: Number((loadingMs / 1000 / Math.max(seconds, 1e-9)).toFixed(4)),
    batches,
    samples,
    samples_per_s: round(samples / Math.max(seconds, 1e-9)),
  };
}

/** Seconds to the millisecond (a warm pass may wait only a few for its batches). */
function round(value: number): number {
  return Number(value.toFixed(3));
}
