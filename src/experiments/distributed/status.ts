/**
 * A distributed sweep's progress, as one object: the coordinator prints it as a bar and stores it
 * in Redis, where `bitpoint queue status` reads it (the same figures, as JSON with --json), beside
 * what BullMQ knows of the queue (jobs by state, connected workers).
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { formatSeconds } from '../progress.ts';
import { statusKey, STUDIES_KEY } from './keys.ts';

export interface SweepStatus {
  study: string;
  coordinator: { host: string; pid: number };
  updated_at: string;
  total: number;
  completed: number;
  failed: number;
  running: number;
  /** Enqueued and not yet taken by a worker. */
  waiting: number;
  /** Waiting for the run they start or learn from. */
  blocked: number;
  /** Recorded before this coordinator started (a resumed sweep). */
  skipped: number;
  runs_in_progress: Array<{ name: string; worker: string; started_at: string }>;
  elapsed_s: number;
  /** From the runs finished so far, weighted by their cost; null before the first. */
  eta_s: number | null;
}

export function statusLine(status: SweepStatus): string {
  const width = 24;
  const done = status.completed + status.failed + status.skipped;
  const filled = status.total ? Math.round((done / status.total) * width) : width;
  const who = status.runs_in_progress.map((r) => `${r.worker}: ${r.name}`).join(', ');
  const eta = status.eta_s === null ? 'ETA after the first run' : `ETA ${formatSeconds(status.eta_s)}`;
  return (
    `sweep [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${status.total} runs done, ${status.running} running, ${status.failed} failed, ` +
    `${status.waiting} queued${status.blocked ? `, ${status.blocked} waiting for their source` : ''} (elapsed ${formatSeconds(status.elapsed_s)}, ${eta})${who ? ` | ${who}` : ''}`
  );
}

/** Kept a day after the last update, so a finished sweep's figures stay visible. */
const STATUS_TTL_SECONDS = 24 * 3600;

export async function publishStatus(redis: Redis, status: SweepStatus): Promise<void> {
  await redis.multi().set(statusKey(status.study), JSON.stringify(status), 'EX', STATUS_TTL_SECONDS).sadd(STUDIES_KEY, status.study).exec();
}

export interface QueueStatus {
  queue: string;
  jobs: Record<string, number>;
  workers: Array<{ name: string; address: string; idle_s: number }>;
  studies: SweepStatus[];
}

/** What `queue status` prints: the queue's jobs and workers, and each study's latest snapshot. */
export async function readQueueStatus(queue: Queue, redis: Redis, display: string, study?: string): Promise<QueueStatus> {
  const jobs = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  const workers = (await queue.getWorkers()).map((w) => ({ name: w['name'] ?? '', address: w['addr'] ?? '', idle_s: Number(w['idle'] ?? 0) }));
  const names = study ? [study] : (await redis.smembers(STUDIES_KEY)).sort();
  const studies: SweepStatus[] = [];
  for (const name of names) {
    const text = await redis.get(statusKey(name));
    if (text) studies.push(JSON.parse(text) as SweepStatus);
    else if (!study) await redis.srem(STUDIES_KEY, name);
  }
  return { queue: display, jobs, workers, studies };
}
