/**
 * A worker: takes runs from the queue and trains each as a local sweep would, into
 * `<runsDir>/<study>/<run name>/`, and hands the outcome back as the job's return value (only the
 * coordinator writes the results store).
 *
 *   const worker = await startRunWorker({ connection: parseQueueUrl('redis://lab:6379'), runsDir: 'runs',
 *                                         name: 'gpu-box-1', concurrency: 1, timings: DEFAULT_TIMINGS, log: console.error });
 *   await worker.close();          // lets the runs in progress checkpoint and go back to the queue
 *
 * - A run taken back from a dead worker continues from its last checkpoint when this worker sees
 *   that worker's folder (a shared runs folder), else starts afresh; a retry after an error starts
 *   afresh, as `--resume` does for a failed local run.
 * - A job that does not validate is refused at once (no retries): it is recorded failed.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { BitpointError } from '../../util/errors.ts';
import { prepareRunFolder, writeRunIdentity } from '../runner.ts';
import type { PlannedRun } from '../study.ts';
import { ensureSourceFolder, storeRunFolder } from './carry.ts';
import { connectRedis, type QueueConnection } from './connection.ts';
import { validateRunJob, type RunJobData, type RunJobResult } from './job.ts';
import { carryKey, RUN_QUEUE } from './keys.ts';
import { RunThreadError, trainInThread } from './training-thread.ts';
import { workerLockSettings, type QueueTimings } from './timings.ts';

export interface RunWorkerOptions {
  connection: QueueConnection;
  /** Run folders go to `<runsDir>/<study>/<run name>`. */
  runsDir: string;
  /** Shown by the coordinator and recorded with each run (default `<host>-<pid>`). */
  name?: string;
  concurrency?: number;
  timings: Pick<QueueTimings, 'lockSeconds' | 'maxStalls'>;
  log: (line: string) => void;
  syntheticRoot?: string;
}

/** What the worker reports in a job's progress while it trains (read by `queue status`). */
export interface RunProgress {
  worker: string;
  startedAt: string;
  /** The run folder on the worker's machine. */
  runDir: string;
}

export interface RunWorker {
  name: string;
  /** Stops taking runs; runs in progress save a checkpoint and go back to the queue. */
  close(): Promise<void>;
}

export function defaultWorkerName(): string {
  return `${hostname()}-${process.pid}`;
}

export async function startRunWorker(options: RunWorkerOptions): Promise<RunWorker> {
  const name = options.name ?? defaultWorkerName();
  const redis = await connectRedis(options.connection);
  const stopping = new AbortController();
  const processor = async (job: Job<RunJobData, RunJobResult>, token?: string): Promise<RunJobResult> => {
    let data: RunJobData;
    try {
      data = validateRunJob(job.data);
    } catch (error) {
      options.log(`refused job ${job.id}: ${(error as Error).message}`);
      throw new UnrecoverableError(`refused by worker ${name}: ${(error as Error).message}`);
    }
    const run = data.run;
    const log = (line: string) => options.log(`${run.name}: ${line}`);
    try {
      return await trainRun(job, data, { ...options, name, redis, log, signal: stopping.signal });
    } catch (error) {
      if (error instanceof RunThreadError && error.kind === 'interrupted' && stopping.signal.aborted) {
        // Stopped, not failed: back to the queue without spending an attempt.
        await job.moveToWait(token);
        log('checkpointed and returned to the queue');
        throw new WaitingError();
      }
      log(`failed: ${(error as Error).message.split('\n')[0]}`);
      // A user-level error is its message alone (no stack), as in the local runner's records.
      throw error instanceof BitpointError ? new Error(error.message) : error;
    }
  };
  const worker = new Worker<RunJobData, RunJobResult>(RUN_QUEUE, processor, {
    connection: options.connection.options,
    name,
    concurrency: options.concurrency ?? 1,
    ...workerLockSettings(options.timings),
  });
  worker.on('error', (error) => options.log(`queue: ${options.connection.redactSecret(error.message)}`));
  await worker.waitUntilReady();
  options.log(`worker ${name}: taking runs from ${options.connection.display} into ${resolve(options.runsDir)}`);
  return {
    name,
    async close() {
      stopping.abort();
      await worker.close();
      redis.disconnect();
    },
  };
}

async function trainRun(
  job: Job<RunJobData, RunJobResult>,
  data: RunJobData,
  context: RunWorkerOptions & { name: string; redis: Redis; log: (line: string) => void; signal: AbortSignal },
): Promise<RunJobResult> {
  const run = data.run;
  const studyDir = join(context.runsDir, run.study);
  const runDir = join(studyDir, run.name);
  const startedAt = new Date().toISOString();
  await job.updateProgress({ worker: context.name, startedAt, runDir: resolve(runDir) } satisfies RunProgress);
  context.log(`starting on ${context.name} (try ${job.attemptsMade + 1}, taken ${job.attemptsStarted} times)`);
  const config = await withSourceFolders(run, studyDir, context.redis);
  // After an error the run starts afresh; after a dead worker it continues from its checkpoint.
  const continueRun = await prepareRunFolder(run, runDir, job.attemptsMade > 0 ? 'failed' : null, context.log);
  await writeRunIdentity(run, runDir);
  const { outcome, seconds } = await trainInThread({ run: { ...run, config }, runDir, continueRun, syntheticRoot: context.syntheticRoot }, context.log, context.signal);
  const carried = data.carry ? await storeRunFolder(context.redis, carryKey(run.study, run.configHash), runDir, data.maxCarryBytes) : null;
  if (carried && !carried.stored) context.log(`folder is ${mb(carried.bytes)}, over the ${mb(data.maxCarryBytes)} carried through Redis: its dependent runs need a shared --runs-dir`);
  context.log(`completed in ${seconds.toFixed(1)} s`);
  return { outcome, worker: context.name, runDir: resolve(runDir), startedAt, carried };
}

/** The run's config with its source's and teacher's folders, in this worker's runs folder. */
async function withSourceFolders(run: PlannedRun, studyDir: string, redis: Redis): Promise<PlannedRun['config']> {
  const folder = async (source: { name: string; configHash: string }) => {
    const dir = join(studyDir, source.name);
    await ensureSourceFolder(redis, carryKey(run.study, source.configHash), dir, source, async () => {
      return `Redis holds no copy of it (a folder over the coordinator's --max-carry-mb is not carried: give the workers a shared --runs-dir)`;
    });
    return resolve(dir);
  };
  let config = run.config;
  if (run.source) config = { ...config, initFrom: { run: await folder(run.source), checkpoint: 'last' } };
  if (run.teacher && config.distill) config = { ...config, distill: { ...config.distill, run: await folder(run.teacher), checkpoint: 'last' } };
  return config;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
