import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendRequest } from '../backend/select.ts';
import { createOptimizer } from '../train/optimizers/index.ts';
import { DataParallel } from '../train/parallel/data-parallel.ts';
import { buildReplicaModel } from '../train/parallel/replica.ts';
import { Trainer, type Batch } from '../train/trainer.ts';
import { Rng } from '../util/rng.ts';
import { median } from './median.ts';

export interface TrainBenchmarkOptions {
  backend: BackendRequest;
  model: string;
  /** Clouds per step; by default 8 for DGCNN models (their edge tensors are k× larger), else 32. */
  batchSize?: number;
  points: number;
  numClasses: number;
  /** Measured steps (after warm-up); the median is reported. */
  steps: number;
  warmup: number;
  /** Extra steps run only to check that the tensor count stays flat. */
  leakCheckSteps: number;
  /** Worker threads for data parallelism (0: the main thread alone). */
  workers: number;
  log?: (text: string) => void;
}

export const TRAIN_BENCHMARK_DEFAULTS: Omit<TrainBenchmarkOptions, 'backend' | 'log'> = {
  model: 'pointnet-vanilla',
  points: 1024,
  numClasses: 40,
  steps: 5,
  warmup: 2,
  leakCheckSteps: 0,
  workers: 1,
};

/**
 * The reference training workload (issue 2): a classifier on random clouds with Adam, timing whole
 * optimizer steps (forward, backward, update, reading the loss) and evaluation-mode inference.
 */
export async function runTrainBenchmark(options: TrainBenchmarkOptions): Promise<Record<string, unknown>> {
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? (options.model.startsWith('dgcnn') ? 8 : 32);
  const backend = await useBackend(options.backend);
  const rng = new Rng(1234);
  const spec = { model: options.model, modelOptions: { numClasses: options.numClasses }, seed: 1234, backend: backend.name as 'wasm' };
  const model = buildReplicaModel({ ...spec, replica: 0 });
  const parallel = options.workers > 0 ? await DataParallel.start(spec, options.workers, model.parameters()) : null;
  const trainer = new Trainer(model, {
    optimizer: createOptimizer({ name: 'adam' }),
    learningRate: () => 1e-3,
  });
  const inputs = tf.randomNormal([batchSize, options.points, 3], 0, 1, 'float32', 7);
  const targets = tf.tensor1d(
    Array.from({ length: batchSize }, () => rng.int(options.numClasses)),
    'int32',
  );
  const batch = { inputs, targets };
  const step = async (b: Batch) => {
    if (!parallel) return trainer.trainStep(b);
    const { gradients, ...result } = await parallel.computeGradients(trainer, b);
    trainer.applyGradients(gradients, result.loss);
    return result;
  };

  const stepMs: number[] = [];
  for (let i = 0; i < options.warmup + options.steps; i++) {
    const start = performance.now();
    await step(batch);
    const elapsed = performance.now() - start;
    if (i >= options.warmup) stepMs.push(elapsed);
    log(`train step ${i + 1}: ${elapsed.toFixed(0)} ms${i < options.warmup ? ' (warm-up)' : ''}`);
  }
  const tensorsBefore = tf.memory().numTensors;
  for (let i = 0; i < options.leakCheckSteps; i++) await step(batch);
  const tensorsAfter = tf.memory().numTensors;

  const inferMs: number[] = [];
  for (let i = 0; i < options.warmup + options.steps; i++) {
    const start = performance.now();
    const logits = parallel ? await parallel.predict(trainer, batch) : trainer.predict(batch);
    logits.dataSync();
    logits.dispose();
    if (i >= options.warmup) inferMs.push(performance.now() - start);
  }
  inputs.dispose();
  targets.dispose();
  await parallel?.close();
  const trainStepMs = median(stepMs);
  const inferBatchMs = median(inferMs);
  return {
    benchmark: 'train',
    backend: backend.name,
    kernel_fixes: backend.kernelFixes,
    model: options.model,
    batch_size: batchSize,
    threads: options.workers + 1,
    points: options.points,
    train_step_ms: Math.round(trainStepMs),
    train_samples_per_s: Number(((batchSize * 1000) / trainStepMs).toFixed(2)),
    infer_batch_ms: Math.round(inferBatchMs),
    infer_samples_per_s: Number(((batchSize * 1000) / inferBatchMs).toFixed(2)),
    peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
    tensors_per_step_growth: options.leakCheckSteps > 0 ? (tensorsAfter - tensorsBefore) / options.leakCheckSteps : null,
    leak_check_steps: options.leakCheckSteps,
    steps_measured: options.steps,
  };
}
