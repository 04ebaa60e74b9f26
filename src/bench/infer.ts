import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendRequest } from '../backend/select.ts';
import { applyPolicy } from '../compress/policy.ts';
import { resolvePolicy } from '../compress/resolve.ts';
import { EnginePool } from '../deploy/engine/pool.ts';
import type { KernelChoice } from '../deploy/engine/select-kernels.ts';
import { exportModel } from '../deploy/export.ts';
import { floatParameterBytes } from '../deploy/sizes.ts';
import { createModel } from '../models/registry.ts';
import type { Model } from '../models/model.ts';
import { DataParallel } from '../train/parallel/data-parallel.ts';
import { buildReplicaModel } from '../train/parallel/replica.ts';
import { createOptimizer } from '../train/optimizers/index.ts';
import { Trainer } from '../train/trainer.ts';
import { loadRunModel } from '../train/run-model.ts';
import { Rng } from '../util/rng.ts';
import { machineInfo } from './machine.ts';
import { median } from './median.ts';

export interface InferBenchmarkOptions {
  backend: BackendRequest;
  /** Registry model and policy of the packed model (ignored with `run`). */
  model: string;
  compress: string;
  /** A trained run to export instead of a freshly initialized model. */
  run?: string;
  points: number;
  numClasses: number;
  /** Worker threads besides the main thread, for the engine pool and the tfjs model alike. */
  workers: number;
  kernels: KernelChoice;
  log?: (text: string) => void;
}

export const INFER_BENCHMARK_DEFAULTS = {
  model: 'pointnet-vanilla',
  compress: 'bipointnet',
  points: 1024,
  numClasses: 40,
  workers: 1,
  kernels: 'auto' as KernelChoice,
};

function randomClouds(count: number, points: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: points * 3 }, () => rng.normal() * 0.5));
}

/** A model with the policy applied and its data-dependent state (LSR, LSQ) initialized. */
function freshCompressedModel(name: string, compress: string, numClasses: number, points: number): Model {
  const rng = new Rng(1234);
  const model = createModel(name, { rng, numClasses });
  applyPolicy(model, resolvePolicy(compress), { rng });
  tf.tidy(() => {
    model.train(true);
    model.forward({ inputs: tf.randomNormal([8, points, 3], 0, 0.5, 'float32', 3) });
  });
  model.eval();
  return model;
}

/**
 * `bitpoint bench infer`: the packed model on the bit-packed engine (batch 1 latency, batch 32
 * throughput with the engine pool) against the float tfjs model of the same architecture on the
 * same threads, and the packed and float32 sizes.
 */
export async function runInferBenchmark(options: InferBenchmarkOptions): Promise<Record<string, unknown>> {
  const log = options.log ?? (() => {});
  const machine = machineInfo();
  const backend = await useBackend(options.backend);
  const source = options.run ? (await loadRunModel(options.run)).model : freshCompressedModel(options.model, options.compress, options.numClasses, options.points);
  const modelName = options.run ? 'run' : options.model;
  const bytes = exportModel(source, modelName);
  const float32Bytes = floatParameterBytes(source);
  log(`bench infer: packed ${bytes.length} bytes, float32 ${float32Bytes} bytes`);

  const pool = await EnginePool.start(bytes, { workers: options.workers, kernels: options.kernels });
  const clouds = randomClouds(64, options.points, 5);
  // batch 1: one cloud on one thread, the latency a viewer or a robot sees
  for (let i = 0; i < 5; i++) pool.engine.run(clouds[i]!);
  const singleMs: number[] = [];
  for (let i = 0; i < 40; i++) {
    const start = performance.now();
    pool.engine.run(clouds[i % clouds.length]!);
    singleMs.push(performance.now() - start);
  }
  // batch 32 over every thread
  const batch = clouds.slice(0, 32).map((values) => ({ values }));
  await pool.run(batch);
  const batchMs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    await pool.run(batch);
    batchMs.push(performance.now() - start);
  }
  await pool.close();
  const engineB1 = 1000 / median(singleMs);
  const engineB32 = (32 * 1000) / median(batchMs);
  log(`bench infer: engine (${pool.engine.kernels.name}) ${median(singleMs).toFixed(2)} ms per cloud, ${engineB32.toFixed(1)} clouds/s at batch 32`);

  // the float model on tfjs, same architecture, same threads
  const spec = { model: options.model, modelOptions: { numClasses: options.numClasses }, seed: 1234, backend: backend.name as 'wasm' };
  const floatModel = buildReplicaModel({ ...spec, replica: 0 });
  floatModel.eval();
  const parallel = options.workers > 0 ? await DataParallel.start(spec, options.workers, floatModel.parameters()) : null;
  const trainer = new Trainer(floatModel, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 1e-3 });
  const inputs = tf.tensor3d(Float32Array.from(clouds.slice(0, 32).flatMap((c) => Array.from(c))), [32, options.points, 3]);
  const tfMs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const start = performance.now();
    const logits = parallel ? await parallel.predict(trainer, { inputs }) : trainer.predict({ inputs });
    logits.dataSync();
    logits.dispose();
    if (i >= 1) tfMs.push(performance.now() - start);
  }
  await parallel?.close();
  inputs.dispose();
  const tfB32 = (32 * 1000) / median(tfMs);
  return {
    benchmark: 'infer',
    model: options.run ?? options.model,
    compress: options.run ? 'from run' : options.compress,
    points: options.points,
    threads: options.workers + 1,
    backend: backend.name,
    engine_kernels: [pool.engine.kernels.name, ...pool.workerKernels].join(','),
    engine_ms_b1: Number(median(singleMs).toFixed(3)),
    engine_samples_per_s_b1: Number(engineB1.toFixed(1)),
    engine_samples_per_s_b32: Number(engineB32.toFixed(1)),
    tfjs_samples_per_s_b32: Number(tfB32.toFixed(1)),
    speedup_vs_tfjs: Number((engineB32 / tfB32).toFixed(2)),
    packed_bytes: bytes.length,
    float32_bytes: float32Bytes,
    compression_ratio: Number((float32Bytes / bytes.length).toFixed(2)),
    machine,
  };
}
