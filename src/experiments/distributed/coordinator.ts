/**
 * The coordinator of a distributed sweep: plans the runs exactly as the local runner does (same
 * config hashes, same store rows), enqueues those the store does not have as completed, and
 * records what the workers hand back into the same SQLite store (it alone writes it).
 *
 *   const summary = await runDistributedSweep(runs, { connection: parseQueueUrl('redis://lab:6379'),
 *     dbFile: 'runs/bit-width/results.sqlite', resume: true, timings: DEFAULT_TIMINGS, maxCarryBytes: 128e6, log: console.error });
 *
 * - A run is enqueued once its source (`from`) and teacher have completed; a run whose source
 *   failed is recorded failed, saying so. Job ids are `<study>.<config hash>`: enqueuing a run that
 *   is queued or running already is a no-op, so a restarted coordinator never doubles work.
 * - A run is removed from Redis only after the store holds its result, so a coordinator killed
 *   at any moment loses nothing: `--resume` records what finished while it was away.
 * - One coordinator per study and queue (see claim.ts); a second one is refused.
 * - Aborting `signal` stops the coordinator only: queued runs stay queued, workers go on, and
 *   `--resume` later records their results.
 */
import { hostname } from 'node:os';
import { QueueEvents, Queue, type Job } from 'bullmq';
import { InterruptedError } from '../../train/run.ts';
import { SweepError, type SweepSummary } from '../runner.ts';
import { runCost } from '../progress.ts';
import { ResultsStore, type StudyInfo } from '../store.ts';
import type { PlannedRun } from '../study.ts';
import { StudyClaim } from './claim.ts';
import { connectRedis, QueueError, type QueueConnection } from './connection.ts';
import { runJobData, type RunJobData, type RunJobResult } from './job.ts';
import { carryKey, runJobId, RUN_QUEUE } from './keys.ts';
import { publishStatus, statusLine, type SweepStatus } from './status.ts';
import type { QueueTimings } from './timings.ts';
import type { RunProgress } from './worker.ts';

export interface DistributedSweepOptions {
  connection: QueueConnection;
  dbFile: string;
  resume?: boolean;
  timings: QueueTimings;
  /** Largest run folder carried through Redis to the runs that start from it. */
  maxCarryBytes: number;
  log: (line: string) => void;
  signal?: AbortSignal;
  studyInfo?: StudyInfo;
  onRecorded?: (run: PlannedRun, status: 'completed' | 'failed') => void;
  /** How often the queue is read besides its events (ms); events make it prompt, this makes it sure. */
  pollMs?: number;
}

type RunJob = Job<RunJobData, RunJobResult>;

export async function runDistributedSweep(runs: readonly PlannedRun[], options: DistributedSweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  const { connection, log } = options;
  const store = ResultsStore.open(options.dbFile);
  const summary: SweepSummary = { dbFile: options.dbFile, total: runs.length, completed: 0, failed: 0, skipped: 0, seconds: 0, failures: [] };
  const study = runs[0]?.study;
  if (study === undefined) return (store.close(), summary);
  if (runs.some((run) => run.study !== study)) throw new SweepError('a distributed sweep runs the runs of one study');
  const resources: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    if (!options.resume) refuseRecorded(runs, store, options.dbFile);
    store.plan(runs);
    if (options.studyInfo) store.setStudyInfo(options.studyInfo.name, options.studyInfo);
    const redis = await connectRedis(connection);
    resources.unshift(() => redis.disconnect());
    const claim = await StudyClaim.acquire(redis, study, options.timings.lockSeconds, connection.display);
    resources.unshift(() => claim.release());
    const queue = new Queue<RunJobData, RunJobResult>(RUN_QUEUE, { connection: connection.options });
    resources.unshift(() => queue.close());
    queue.on('error', (error) => log(`queue: ${connection.redactSecret(error.message)}`));
    const events = new QueueEvents(RUN_QUEUE, { connection: connection.options });
    resources.unshift(() => events.close());
    events.on('error', (error) => log(`queue: ${connection.redactSecret(error.message)}`));

    // Wake the loop on any change of the queue; the loop reads the state itself.
    let wake: () => void = () => {};
    for (const event of ['active', 'completed', 'failed', 'waiting', 'stalled'] as const) events.on(event, () => wake());
    options.signal?.addEventListener('abort', () => wake());

    const runsByHash = new Map(runs.map((run) => [run.configHash, run]));
    const isSource = new Set(runs.flatMap((run) => [run.source?.configHash, run.teacher?.configHash]).filter((h): h is string => !!h));
    const outstanding = new Set<string>();
    const enqueued = new Set<string>();
    const markedRunning = new Map<string, string>();
    for (const run of runs) {
      if (store.status(run.configHash) === 'completed') summary.skipped++;
      else outstanding.add(run.configHash);
    }
    await clearFailedJobs(queue, study, outstanding);
    const measured = { cost: 0, seconds: 0 };
    let lastLine = '';

    const record = (run: PlannedRun, status: 'completed' | 'failed', error?: string) => {
      outstanding.delete(run.configHash);
      if (status === 'completed') summary.completed++;
      else {
        summary.failed++;
        summary.failures.push({ name: run.name, error: error!.split('\n')[0]! });
      }
      log(`recorded ${run.name}: ${status === 'completed' ? 'completed' : `FAILED: ${error!.split('\n')[0]}`}`);
      options.onRecorded?.(run, status);
    };
    const fail = (run: PlannedRun, error: string, seconds = 0) => {
      store.recordFailed(run.configHash, error, seconds);
      record(run, 'failed', error);
    };

    while (outstanding.size > 0) {
      if (options.signal?.aborted) throw new InterruptedError(`coordinator stopped; the workers go on with the queued runs: record them with --resume`);
      if (!claim.held) throw new QueueError(`lost the claim on study ${study} (this coordinator stalled longer than --lock-seconds ${options.timings.lockSeconds}, and another took over)`);
      const changed = wakeSignal();
      wake = changed.resolve;

      // Finished jobs: record them, then remove them from Redis (in this order: nothing is lost).
      const finished = (await queue.getJobs(['completed', 'failed'])) as RunJob[];
      for (const job of finished) {
        const run = job.data?.run?.study === study ? runsByHash.get(job.data.run.configHash) : undefined;
        if (!run || !outstanding.has(run.configHash)) {
          if (run && job.id === runJobId(study, run.configHash)) await job.remove().catch(() => {});
          continue;
        }
        if ((await job.getState()) === 'completed') {
          const result = job.returnvalue;
          store.markRunning(run.configHash, result.runDir, { worker: result.worker, startedAt: result.startedAt, attempts: job.attemptsStarted });
          store.recordCompleted(run.configHash, result.outcome);
          measured.cost += runCost(run);
          measured.seconds += result.outcome.durationSeconds;
          record(run, 'completed');
        } else {
          // The last try's worker and folder (a job refused before training has neither).
          const progress = (job.progress ?? {}) as Partial<RunProgress>;
          store.markRunning(run.configHash, progress.runDir ?? '', { worker: progress.worker ?? '', startedAt: progress.startedAt ?? new Date(job.processedOn ?? Date.now()).toISOString(), attempts: job.attemptsStarted });
          const seconds = job.finishedOn && job.processedOn ? (job.finishedOn - job.processedOn) / 1000 : 0;
          fail(run, connection.redactSecret(job.failedReason || 'failed without a reason'), seconds);
        }
        await job.remove();
      }

      // Runs whose source failed fail too; runs whose sources completed are enqueued.
      let blocked = 0;
      for (const hash of [...outstanding]) {
        if (enqueued.has(hash)) continue;
        const run = runsByHash.get(hash)!;
        const sources = [run.source && { ...run.source, as: 'starts from', method: run.method.from }, run.teacher && { ...run.teacher, as: 'distills from', method: run.method.teacher }].filter((s) => !!s);
        const failedSource = sources.find((s) => store.status(s.configHash) === 'failed' && !outstanding.has(s.configHash));
        const unplanned = sources.find((s) => store.status(s.configHash) !== 'completed' && !runsByHash.has(s.configHash));
        if (failedSource || unplanned) {
          const s = (failedSource ?? unplanned)!;
          fail(run, `${s.as} ${s.name} (method '${s.method}'), which ${failedSource ? 'failed' : 'has not completed in this store: run it first'}`);
          continue;
        }
        if (sources.some((s) => store.status(s.configHash) !== 'completed')) {
          blocked++;
          continue;
        }
        await queue.add(run.name, runJobData(run, isSource.has(hash), options.maxCarryBytes), {
          jobId: runJobId(study, hash),
          attempts: options.timings.attempts,
          backoff: { type: 'fixed', delay: 1000 },
        });
        enqueued.add(hash);
      }

      // Runs in progress: mark them running in the store (with their worker) and show them.
      const active = (await queue.getJobs(['active'])) as RunJob[];
      const inProgress: SweepStatus['runs_in_progress'] = [];
      for (const job of active) {
        const run = job.data?.run?.study === study ? runsByHash.get(job.data.run.configHash) : undefined;
        const progress = job.progress as Partial<RunProgress>;
        if (!run || !outstanding.has(run.configHash) || !progress?.worker) continue;
        inProgress.push({ name: run.name, worker: progress.worker, started_at: progress.startedAt ?? '' });
        const key = `${progress.worker} ${progress.startedAt}`;
        if (markedRunning.get(run.configHash) !== key) {
          store.markRunning(run.configHash, progress.runDir ?? '', { worker: progress.worker, startedAt: progress.startedAt ?? '', attempts: job.attemptsStarted });
          markedRunning.set(run.configHash, key);
        }
      }
      const status = sweepStatus(study, runs, summary, outstanding, enqueued, inProgress, blocked, measured, started);
      await publishStatus(redis, status).catch(() => {});
      const line = statusLine({ ...status, elapsed_s: 0, eta_s: status.eta_s === null ? null : 0 });
      if (line !== lastLine) log(statusLine(status));
      lastLine = line;
      if (outstanding.size === 0) break;
      await changed.wait(options.pollMs ?? 1000);
    }
    // Carried folders are needed no more once every run of the sweep is recorded.
    const carried = [...isSource].map((hash) => carryKey(study, hash));
    if (carried.length) await redis.del(...carried);
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  } finally {
    for (const close of resources) await close();
  }
}

/** Failed jobs of runs to do are removed, so that enqueuing them again starts them afresh (as --resume reruns a failed local run). */
async function clearFailedJobs(queue: Queue<RunJobData, RunJobResult>, study: string, outstanding: Set<string>): Promise<void> {
  for (const hash of outstanding) {
    const job = await queue.getJob(runJobId(study, hash));
    if (job && (await job.getState()) === 'failed') await job.remove();
  }
}

function refuseRecorded(runs: readonly PlannedRun[], store: ResultsStore, dbFile: string): void {
  const recorded = runs.filter((run) => (store.status(run.configHash) ?? 'pending') !== 'pending');
  if (recorded.length > 0) {
    throw new SweepError(`${dbFile} already has ${recorded.length} of these ${runs.length} runs (e.g. ${recorded[0]!.name}); pass --resume to continue the sweep, or --db elsewhere`);
  }
}

function sweepStatus(
  study: string,
  runs: readonly PlannedRun[],
  summary: SweepSummary,
  outstanding: Set<string>,
  enqueued: Set<string>,
  inProgress: SweepStatus['runs_in_progress'],
  blocked: number,
  measured: { cost: number; seconds: number },
  started: number,
): SweepStatus {
  const remaining = runs.filter((run) => outstanding.has(run.configHash));
  const remainingCost = remaining.reduce((sum, run) => sum + runCost(run), 0);
  // Runs go on in parallel: as many at a time as are running now (at least one).
  const parallel = Math.max(1, inProgress.length);
  return {
    study,
    coordinator: { host: hostname(), pid: process.pid },
    updated_at: new Date().toISOString(),
    total: runs.length,
    completed: summary.completed,
    failed: summary.failed,
    skipped: summary.skipped,
    running: inProgress.length,
    waiting: remaining.filter((run) => enqueued.has(run.configHash)).length - inProgress.length,
    blocked,
    runs_in_progress: inProgress,
    elapsed_s: (performance.now() - started) / 1000,
    eta_s: remainingCost === 0 ? 0 : measured.cost > 0 ? (remainingCost * measured.seconds) / measured.cost / parallel : null,
  };
}

/** A promise the queue's events resolve, or a timeout: the loop's pause between two reads. */
function wakeSignal(): { resolve: () => void; wait: (ms: number) => Promise<void> } {
  let resolve: () => void = () => {};
  const woken = new Promise<void>((r) => (resolve = r));
  return {
    resolve,
    wait: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([woken, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
    },
  };
}
