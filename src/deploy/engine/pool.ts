/**
 * Runs a packed model on a batch with every core in Node: the batch is split between the main
 * thread and worker threads, each with its own engine (and WebAssembly memory) on the same model.
 * Node only; the browser viewer runs one engine on the main thread.
 *
 *   const pool = await EnginePool.start(bytes, { workers: 1 });
 *   const logits = await pool.run(clouds);            // one Float32Array per cloud
 *   await pool.close();
 */
import { Worker } from 'node:worker_threads';
import { readPackedModel } from '../format.ts';
import { Engine, type EngineInput } from './engine.ts';
import { createEngineKernels, type KernelChoice } from './select-kernels.ts';

export interface PoolOptions {
  /** Worker threads besides the main thread (default: one per extra core, here 1). */
  workers?: number;
  kernels?: KernelChoice;
  file?: string;
}

interface WorkerReply {
  id: number;
  logits?: Float32Array[];
  kernels?: string;
  error?: string;
}

export class EnginePool {
  private nextId = 0;
  /** The kernels each worker runs on (reported by its first reply). */
  readonly workerKernels: string[] = [];
  private readonly pending = new Map<number, { resolve: (logits: Float32Array[]) => void; reject: (error: Error) => void }>();

  private constructor(
    readonly engine: Engine,
    private readonly workers: Worker[],
  ) {
    for (const worker of workers) {
      worker.on('message', (reply: WorkerReply) => {
        const waiting = this.pending.get(reply.id);
        if (!waiting) return;
        this.pending.delete(reply.id);
        if (reply.kernels) this.workerKernels[workers.indexOf(worker)] = reply.kernels;
        if (reply.error) waiting.reject(new Error(reply.error));
        else waiting.resolve(reply.logits!);
      });
      worker.on('error', (error) => {
        for (const waiting of this.pending.values()) waiting.reject(error);
        this.pending.clear();
      });
    }
  }

  static async start(bytes: Uint8Array, options: PoolOptions = {}): Promise<EnginePool> {
    const file = options.file ?? 'model.bitpoint';
    const kernels = options.kernels ?? 'auto';
    const engine = new Engine(readPackedModel(bytes, file), { file, kernels: await createEngineKernels(kernels) });
    const count = options.workers ?? 1;
    const entry = new URL('./engine-worker.ts', import.meta.url).href;
    const bootstrap = new URL('../../train/parallel/bootstrap.mjs', import.meta.url);
    const workers = Array.from({ length: count }, () => new Worker(bootstrap, { workerData: { entry, bytes, file, kernels } }));
    const pool = new EnginePool(engine, workers);
    // a first empty request answers once each worker has loaded the model
    await Promise.all(workers.map((worker) => pool.request(worker, [])));
    return pool;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  private request(worker: Worker, inputs: EngineInput[]): Promise<Float32Array[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, inputs });
    });
  }

  /** Logits of every input, in order; the batch is split evenly across the threads. */
  async run(inputs: EngineInput[]): Promise<Float32Array[]> {
    const share = Math.ceil(inputs.length / this.threads);
    const parts = Array.from({ length: this.threads }, (_, t) => inputs.slice(t * share, (t + 1) * share));
    const remote = this.workers.map((worker, w) => (parts[w + 1]!.length > 0 ? this.request(worker, parts[w + 1]!) : Promise.resolve([])));
    const local = parts[0]!.map((input) => this.engine.run(input));
    return [...local, ...(await Promise.all(remote)).flat()];
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
