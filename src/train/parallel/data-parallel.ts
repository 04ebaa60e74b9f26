import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import type { Parameter } from '../../nn/parameter.ts';
import type { Batch, GradientResult, Trainer } from '../trainer.ts';
import { reseedStochasticModules } from '../stochastic.ts';
import { fromTensorData, toTensorData, type FromWorker, type ReplicaSpec, type ToWorker } from './messages.ts';

/**
 * Synchronous data parallelism over worker threads, for backends that use one core (wasm under
 * Node). Each step the batch is split into shards; the main thread computes the first shard while
 * each worker, holding an identical replica with the current parameters, computes another. The
 * gradients are averaged (weighted by shard size, so the result is the full-batch mean gradient)
 * and the main thread alone applies the update. BatchNorm normalizes per shard ("ghost" batches,
 * as in multi-GPU training without synchronized BN) and running statistics are averaged.
 * Results are deterministic for a given number of workers.
 */
export class DataParallel {
  private constructor(
    private readonly workers: Worker[],
    private readonly parameters: Parameter[],
    private readonly seed: number,
  ) {}

  /** Starts `count` workers building replicas of `spec`; `parameters` are the main model's. */
  static async start(spec: Omit<ReplicaSpec, 'replica'>, count: number, parameters: Parameter[]): Promise<DataParallel> {
    const entry = new URL('./gradient-worker.ts', import.meta.url).href;
    const bootstrap = new URL('./bootstrap.mjs', import.meta.url);
    const workers = Array.from({ length: count }, () => new Worker(bootstrap, { workerData: { entry } }));
    const expected = parameters.map((p) => p.path);
    try {
      await Promise.all(
        workers.map(async (worker, i) => {
          const ready = await request(worker, { type: 'init', spec: { ...spec, replica: i + 1 } });
          if (ready.type !== 'ready') throw new Error('worker did not start');
          if (ready.parameterPaths.join() !== expected.join()) throw new Error('worker replica has different parameters from the main model');
        }),
      );
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new DataParallel(workers, parameters, spec.seed);
  }

  get replicas(): number {
    return this.workers.length + 1;
  }

  /** Loss and mean gradient of the whole batch, computed across the main thread and the workers. */
  async computeGradients(trainer: Trainer, batch: Batch): Promise<GradientResult> {
    const size = batch.inputs.shape[0]!;
    const shards = shardSizes(size, this.replicas);
    const offsets = shards.map((_, i) => shards.slice(0, i).reduce((a, b) => a + b, 0));
    const slice = (t: tf.Tensor, i: number) => tf.slice(t, offsets[i]!, shards[i]!);
    const current = this.parameters.map((p) => (p.variable.dataSync() as Float32Array).slice());
    const pending = this.workers.map((worker, w) => {
      const i = w + 1;
      if (shards[i] === 0) return Promise.resolve(null);
      const shard = tf.tidy(() => [slice(batch.inputs, i), slice(batch.targets, i), ...(batch.categories ? [slice(batch.categories, i)] : [])]);
      const message: ToWorker = {
        type: 'step',
        step: trainer.step,
        parameters: current.map((values) => values.slice()),
        inputs: toTensorData(shard[0]!),
        targets: toTensorData(shard[1]!),
        categories: shard[2] ? toTensorData(shard[2]) : undefined,
      };
      tf.dispose(shard);
      return request(worker, message);
    });
    const own = tf.tidy(() => ({
      inputs: slice(batch.inputs, 0),
      targets: slice(batch.targets, 0),
      categories: batch.categories ? (slice(batch.categories, 0) as tf.Tensor1D) : undefined,
    }));
    reseedStochasticModules(trainer.model, this.seed, 0, trainer.step);
    const mine = trainer.computeGradients(own);
    tf.dispose([own.inputs, own.targets, own.categories ?? []]);
    const results = await Promise.all(pending);

    let loss = (mine.loss * shards[0]!) / size;
    let correct = mine.correct;
    let count = mine.count;
    const byPath = new Map(this.parameters.map((p) => [p.path, p]));
    const gradients = new Map<string, tf.Tensor>();
    const stateSums = new Map<string, tf.Tensor>();
    for (const [path, grad] of mine.gradients) {
      gradients.set(path, tf.tidy(() => tf.mul(grad, shards[0]! / size)));
      grad.dispose();
    }
    for (const p of this.parameters) if (!p.trainable) stateSums.set(p.path, tf.mul(p.variable, shards[0]! / size));
    results.forEach((result, w) => {
      if (!result) return;
      if (result.type === 'error') throw new Error(`data-parallel worker ${w + 1} failed: ${result.message}`);
      if (result.type !== 'gradients') throw new Error(`unexpected reply from worker ${w + 1}`);
      const weight = shards[w + 1]! / size;
      loss += result.loss * weight;
      correct += result.correct;
      count += result.count;
      for (const [path, values] of result.gradients) accumulate(gradients, path, values, byPath.get(path)!.shape, weight);
      for (const [path, values] of result.state) accumulate(stateSums, path, values, byPath.get(path)!.shape, weight);
    });
    for (const [path, value] of stateSums) {
      byPath.get(path)!.assign(value);
      value.dispose();
    }
    return { loss, correct, count, gradients };
  }

  /** Evaluation-mode logits of the whole batch, shards computed in parallel, in batch order. */
  async predict(trainer: Trainer, batch: Pick<Batch, 'inputs' | 'categories'>): Promise<tf.Tensor> {
    const size = batch.inputs.shape[0]!;
    const shards = shardSizes(size, this.replicas);
    const offsets = shards.map((_, i) => shards.slice(0, i).reduce((a, b) => a + b, 0));
    const current = this.parameters.map((p) => (p.variable.dataSync() as Float32Array).slice());
    const pending = this.workers.map((worker, w) => {
      const i = w + 1;
      if (shards[i] === 0) return Promise.resolve(null);
      const shard = tf.tidy(() => [tf.slice(batch.inputs, offsets[i]!, shards[i]!), ...(batch.categories ? [tf.slice(batch.categories, offsets[i]!, shards[i]!)] : [])]);
      const message: ToWorker = {
        type: 'predict',
        parameters: current.map((values) => values.slice()),
        inputs: toTensorData(shard[0]!),
        categories: shard[1] ? toTensorData(shard[1]) : undefined,
      };
      tf.dispose(shard);
      return request(worker, message);
    });
    const own = tf.tidy(() => ({
      inputs: tf.slice(batch.inputs, 0, shards[0]!),
      categories: batch.categories ? (tf.slice(batch.categories, 0, shards[0]!) as tf.Tensor1D) : undefined,
    }));
    const parts = [trainer.predict(own)];
    tf.dispose([own.inputs, own.categories ?? []]);
    const results = await Promise.all(pending);
    results.forEach((result, w) => {
      if (!result) return;
      if (result.type === 'error') throw new Error(`data-parallel worker ${w + 1} failed: ${result.message}`);
      if (result.type !== 'logits') throw new Error(`unexpected reply from worker ${w + 1}`);
      parts.push(fromTensorData(result.logits));
    });
    const logits = tf.concat(parts, 0);
    tf.dispose(parts);
    return logits;
  }

  async close(): Promise<void> {
    for (const worker of this.workers) worker.postMessage({ type: 'close' } satisfies ToWorker);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function accumulate(into: Map<string, tf.Tensor>, path: string, values: Float32Array, shape: number[], weight: number): void {
  const previous = into.get(path);
  const next = tf.tidy(() => {
    const scaled = tf.mul(tf.tensor(values, shape), weight);
    return previous ? tf.add(previous, scaled) : scaled;
  });
  previous?.dispose();
  into.set(path, next);
}

/** Splits `size` samples into `parts` shards as evenly as possible, larger shards first. */
export function shardSizes(size: number, parts: number): number[] {
  const base = Math.floor(size / parts);
  const extra = size % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

function request(worker: Worker, message: ToWorker): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: FromWorker) => {
      cleanup();
      resolve(reply);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`data-parallel worker exited with code ${code}`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(message);
  });
}
