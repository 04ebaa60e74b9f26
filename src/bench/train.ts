import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendRequest } from '../backend/select.ts';
import { createOptimizer } from '../train/optimizers/index.ts';
import { DataParallel } from '../train/parallel/data-parallel.ts';
import { buildCompressedModel } from '../train/parallel/replica.ts';
import { reseedStochasticModules } from '../train/stochastic.ts';
import { Trainer, type Batch } from '../train/trainer.ts';
import { Rng } from '../util/rng.ts';
import { forwardMacsPerExample, inferenceFlops, trainingStepFlops } from './flops.ts';
import { measureGemmPeak } from './gemm-peak.ts';
import { machineInfo } from './machine.ts';
import { median } from './median.ts';
import { checkTorchScript, runTorchSideBySide } from './torch-side.ts';

export interface TrainBenchmarkOptions {
  backend: BackendRequest;
  model: string;
  /** Compression policy trained, as `bitpoint train --compress` takes it (preset name or file). */
  compress: string;
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
  /** Time per shape and thread of the GEMM peak probe (gemm-peak.ts); 0 skips the probe. */
  gemmMs: number;
  /** A PyTorch script to run the same workload with afterwards (torch-side.ts). */
  torch?: string;
  log?: (text: string) => void;
}

export const TRAIN_BENCHMARK_DEFAULTS: Omit<TrainBenchmarkOptions, 'backend' | 'log'> = {
  model: 'pointnet-vanilla',
  compress: 'fp',
  points: 1024,
  numClasses: 40,
  steps: 5,
  warmup: 2,
  leakCheckSteps: 0,
  workers: 1,
  gemmMs: 1000,
};

/**
 * The reference training workload (issue 2): a classifier on random clouds with Adam, timing whole
 * optimizer steps (forward, backward, update, reading the loss) and evaluation-mode inference.
 * The model is built as `bitpoint train` builds it, compression policy included. Then, in the
 * same process (issue 29): the step's effective GFLOP/s against the GEMM peak this backend
 * reaches on the same threads, and optionally the PyTorch side-by-side on the same sizes.
 */
export async function runTrainBenchmark(options: TrainBenchmarkOptions): Promise<Record<string, unknown>> {
  const log = options.log ?? (() => {});
  if (options.torch) checkTorchScript(options.torch, options.model);
  const machine = machineInfo();
  const batchSize = options.batchSize ?? (options.model.startsWith('dgcnn') ? 8 : 32);
  const backend = await useBackend(options.backend);
  const rng = new Rng(1234);
  const spec = { model: options.model, modelOptions: { numClasses: options.numClasses }, compress: options.compress, seed: 1234, backend: backend.name as 'wasm' };
  const totalSteps = options.warmup + options.steps + options.leakCheckSteps;
  const { model, compression } = buildCompressedModel({ ...spec, replica: 0 }, { totalSteps });
  for (const warning of compression.warnings) log(`compress: ${warning}`);
  const parallel = options.workers > 0 ? await DataParallel.start(spec, options.workers, model.parameters()) : null;
  const trainer = new Trainer(model, {
    optimizer: createOptimizer({ name: 'adam' }),
    learningRate: () => 1e-3,
    afterUpdate: compression.pruningSchedule ? (step) => void compression.pruningSchedule!.afterUpdate(step) : undefined,
  });
  const inputs = tf.randomNormal([batchSize, options.points, 3], 0, 1, 'float32', 7);
  const targets = tf.tensor1d(
    Array.from({ length: batchSize }, () => rng.int(options.numClasses)),
    'int32',
  );
  const batch = { inputs, targets };
  const step = async (b: Batch) => {
    if (!parallel) {
      reseedStochasticModules(model, spec.seed, 0, trainer.step);
      return trainer.trainStep(b);
    }
    const { gradients, ...result } = await parallel.computeGradients(trainer, b);
    trainer.applyGradients(gradients, result.loss);
    return result;
  };

  const stepMs: number[] = [];
  const stepCpuMs: number[] = [];
  for (let i = 0; i < options.warmup + options.steps; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await step(batch);
    const elapsed = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    if (i >= options.warmup) {
      stepMs.push(elapsed);
      stepCpuMs.push((cpu.user + cpu.system) / 1000);
    }
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
  model.dispose();
  const trainStepMs = median(stepMs);
  const inferBatchMs = median(inferMs);
  const threads = options.workers + 1;
  const peakRssMib = Math.round(process.resourceUsage().maxRSS / 1024);

  const macs = forwardMacsPerExample(spec, options.points);
  const stepGflop = trainingStepFlops(macs, batchSize) / 1e9;
  const trainGflops = stepGflop / (trainStepMs / 1000);
  const inferGflops = inferenceFlops(macs, batchSize) / 1e9 / (inferBatchMs / 1000);
  let gemm = null;
  if (options.gemmMs > 0) {
    log(`GEMM peak probe on ${threads} thread(s) …`);
    gemm = await measureGemmPeak({ backend: options.backend, threads, minMs: options.gemmMs });
  }
  const trainSamplesPerS = (batchSize * 1000) / trainStepMs;
  const inferSamplesPerS = (batchSize * 1000) / inferBatchMs;
  const torch = options.torch
    ? await runTorchSideBySide({ script: options.torch, model: options.model, threads, batchSize, points: options.points, steps: options.steps, warmup: options.warmup, log })
    : null;
  return {
    benchmark: 'train',
    backend: backend.name,
    kernel_fixes: backend.kernelFixes,
    model: options.model,
    compress: compression.policy,
    batch_size: batchSize,
    threads,
    points: options.points,
    train_step_ms: Math.round(trainStepMs),
    // CPU time of the whole process (worker threads included): waiting for a busy CPU does not
    // inflate it, so on a shared machine it compares code better than the wall clock does
    train_step_cpu_ms: Math.round(median(stepCpuMs)),
    train_samples_per_s: round(trainSamplesPerS),
    infer_batch_ms: Math.round(inferBatchMs),
    infer_samples_per_s: round(inferSamplesPerS),
    forward_macs_per_example: macs,
    train_step_gflop: round(stepGflop),
    train_gflops: round(trainGflops),
    infer_gflops: round(inferGflops),
    gemm_peak_gflops: gemm?.peak_gflops ?? null,
    train_fraction_of_gemm_peak: gemm ? Number((trainGflops / gemm.peak_gflops).toFixed(3)) : null,
    gemm,
    torch,
    train_speed_vs_torch: torch ? Number((trainSamplesPerS / torch.train_samples_per_s).toFixed(3)) : null,
    infer_speed_vs_torch: torch ? Number((inferSamplesPerS / torch.infer_samples_per_s).toFixed(3)) : null,
    machine,
    peak_rss_mib: peakRssMib,
    tensors_per_step_growth: options.leakCheckSteps > 0 ? (tensorsAfter - tensorsBefore) / options.leakCheckSteps : null,
    leak_check_steps: options.leakCheckSteps,
    steps_measured: options.steps,
  };
}

function round(value: number): number {
  return Number(value.toFixed(2));
}
