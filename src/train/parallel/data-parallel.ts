import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import { BatchNorm } from '../../nn/layers/batch-norm.ts';
import type { Parameter } from '../../nn/parameter.ts';
import type { Batch, GradientResult, Trainer } from '../trainer.ts';
import { reseedStochasticModules } from '../stochastic.ts';
import { inReplicaGroup } from '../../nn/ops/replica-group.ts';
import { fromTensorData, toTensorData, type FromWorker, type ReplicaSpec, type ToWorker } from './messages.ts';
import { createGatherBuffer, resetGatherBuffer, SharedGather, REPLICA_FAILED } from './shared-gather.ts';

/**
 * Synchronous data parallelism over worker threads, for backends that use one core (wasm under
 * Node). Each step the batch is split into shards; the main thread computes the first shard while
 * each worker, holding an identical replica with the current parameters, computes another. Every
 * computation that mixes samples sees the whole batch: BatchNorm exchanges its per-channel sums
 * with the other replicas mid-forward and mid-backward (synchronized BatchNorm, through shared
 * memory), dropout masks are the whole batch's masks cut into shards, and quantizers that
 * initialize from data do so on the whole first batch. Each shard differentiates its share of the
 * batch's mean loss, so the shard gradients add up to the whole batch's, and the main thread alone
 * applies the update. The result equals single-process training up to float summation order,
 * whatever the number of workers (docs/reproducibility.md).
 */
export class DataParallel {
  /** Set once every quantizer that initializes from data has done so. */
  private dataInitialized = false;

  private constructor(
    private readonly workers: Worker[],
    private readonly parameters: Parameter[],
    private readonly seed: number,
    private readonly gather: SharedArrayBuffer,
  ) {}

  /** Starts `count` workers building replicas of `spec`; `parameters` are the main model's. */
  static async start(spec: Omit<ReplicaSpec, 'replica'>, count: number, parameters: Parameter[]): Promise<DataParallel> {
    const entry = new URL('./gradient-worker.ts', import.meta.url).href;
    const bootstrap = new URL('./bootstrap.mjs', import.meta.url);
    // BatchNorm gathers a row count and three numbers per channel; channels are the widest 1-D parameter.
    const widest = Math.max(1, ...parameters.filter((p) => p.shape.length === 1).map((p) => p.shape[0]!));
    const gather = createGatherBuffer(count + 1, 1 + 3 * widest);
    const workers = Array.from({ length: count }, () => new Worker(bootstrap, { workerData: { entry } }));
    const expected = parameters.map((p) => p.path);
    try {
      await Promise.all(
        workers.map(async (worker, i) => {
          const ready = await request(worker, { type: 'init', spec: { ...spec, replica: i + 1 }, gather, replicas: count + 1 });
          if (ready.type === 'error') throw new Error(`data-parallel worker ${i + 1} failed to start: ${ready.message}`);
          if (ready.type !== 'ready') throw new Error('worker did not start');
          if (ready.parameterPaths.join() !== expected.join()) throw new Error('worker replica has different parameters from the main model');
        }),
      );
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new DataParallel(workers, parameters, spec.seed, gather);
  }

  get replicas(): number {
    return this.workers.length + 1;
  }

  /** Loss and mean gradient of the whole batch, computed across the main thread and the workers. */
  async computeGradients(trainer: Trainer, batch: Batch): Promise<GradientResult> {
    this.initializeFromWholeBatch(trainer, batch);
    const size = batch.inputs.shape[0]!;
    const shards = shardSizes(size, this.replicas);
    const offsets = shards.map((_, i) => shards.slice(0, i).reduce((a, b) => a + b, 0));
    const parties = shards.filter((n) => n > 0).length;
    const slice = (t: tf.Tensor, i: number) => tf.slice(t, offsets[i]!, shards[i]!);
    const current = this.parameters.map((p) => (p.variable.dataSync() as Float32Array).slice());
    const pending = this.workers.map((worker, w) => {
      const i = w + 1;
      if (shards[i] === 0) return Promise.resolve(null);
      const shard = tf.tidy(() => [slice(batch.inputs, i), slice(batch.targets, i), ...(batch.categories ? [slice(batch.categories, i)] : [])]);
      const message: ToWorker = {
        type: 'step',
        step: trainer.step,
        shard: { offset: offsets[i]!, total: size, parties },
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
    reseedStochasticModules(trainer.model, this.seed, trainer.step);
    const group = new SharedGather(this.gather, this.replicas, 0, parties, 0, size);
    let mine: GradientResult;
    try {
      mine = inReplicaGroup(group, () => trainer.computeGradients(own, { lossScale: shards[0]! / size }));
    } catch (error) {
      group.fail();
      const settled = await Promise.allSettled(pending);
      resetGatherBuffer(this.gather);
      // When a worker failed first, the main thread only saw its failure flag: report the worker's error.
      const cause = settled.findIndex((r) => r.status === 'fulfilled' && r.value?.type === 'error' && !r.value.message.includes(REPLICA_FAILED));
      if (cause >= 0) throw new Error(`data-parallel worker ${cause + 1} failed: ${((settled[cause] as PromiseFulfilledResult<{ message: string }>).value).message}`);
      throw error;
    } finally {
      tf.dispose([own.inputs, own.targets, own.categories ?? []]);
    }
    const results = await Promise.all(pending);
    const failure = results.findIndex((result) => result !== null && result.type !== 'gradients');
    if (failure >= 0) {
      resetGatherBuffer(this.gather);
      tf.dispose([...mine.gradients.values()]);
      const reply = results[failure]!;
      // A replica that only saw another's failure reports that; name the one that failed first.
      const first = results.findIndex((r) => r?.type === 'error' && !r.message.includes(REPLICA_FAILED));
      const named = first >= 0 ? first : failure;
      const message = results[named]!.type === 'error' ? (results[named] as { message: string }).message : `unexpected reply ${reply.type}`;
      throw new Error(`data-parallel worker ${named + 1} failed: ${message}`);
    }

    // Shares of the whole batch's loss and gradients, added in replica order on every run.
    let loss = mine.loss;
    let correct = mine.correct;
    let count = mine.count;
    const byPath = new Map(this.parameters.map((p) => [p.path, p]));
    const gradients = mine.gradients;
    for (const result of results) {
      if (!result || result.type !== 'gradients') continue;
      loss += result.loss;
      correct += result.correct;
      count += result.count;
      for (const [path, values] of result.gradients) accumulate(gradients, path, values, byPath.get(path)!.shape);
    }
    return { loss, correct, count, gradients };
  }

  /**
   * Quantizers that initialize from their first training batch (LSQ steps, output scales) must see
   * the whole batch, as in one process: before the first step, the main thread runs the training
   * forward pass on the whole batch, which initializes them; BatchNorm's running statistics that
   * pass also moved are put back, so the real step updates them once.
   */
  private initializeFromWholeBatch(trainer: Trainer, batch: Batch): void {
    if (this.dataInitialized) return;
    const flags = this.parameters.filter((p) => p.path === 'initialized' || p.path.endsWith('.initialized'));
    if (flags.some((p) => p.variable.dataSync()[0] === 0)) {
      const state = trainer.model.namedModules().flatMap(([, m]) => (m instanceof BatchNorm ? [m.runningMean, m.runningVar] : []));
      const saved = state.map((p) => tf.clone(p.variable));
      reseedStochasticModules(trainer.model, this.seed, trainer.step);
      trainer.model.train();
      tf.tidy(() => void trainer.model.forward({ inputs: batch.inputs, categories: batch.categories }));
      state.forEach((p, i) => p.assign(saved[i]!));
      tf.dispose(saved);
    }
    this.dataInitialized = true;
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

function accumulate(into: Map<string, tf.Tensor>, path: string, values: Float32Array, shape: number[]): void {
  const previous = into.get(path);
  const next = tf.tidy(() => {
    const share = tf.tensor(values, shape);
    return previous ? tf.add(previous, share) : share;
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
