/**
 * How quickly the queue notices a process that died. A worker holds a lock on its run and renews
 * it; a coordinator holds a claim on its study. Killed with `kill -9`, neither renews: after
 * `lockSeconds` the run goes back to the queue (or the study can be coordinated again). A worker
 * must renew its lock while it trains, so `lockSeconds` must be longer than the longest pause of
 * its event loop (one training step): 30 s is the default, tests use 2 s.
 */
export interface QueueTimings {
  lockSeconds: number;
  /** Tries of a run that fails with an error before it is recorded as failed. */
  attempts: number;
  /** Times a run may be taken back from a dead worker before it is recorded as failed. */
  maxStalls: number;
}

export const DEFAULT_TIMINGS: QueueTimings = { lockSeconds: 30, attempts: 3, maxStalls: 3 };

/** BullMQ worker settings for these timings: the lock, and how often a worker looks for dead ones. */
export function workerLockSettings(timings: Pick<QueueTimings, 'lockSeconds' | 'maxStalls'>): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  const lockDuration = Math.round(timings.lockSeconds * 1000);
  return { lockDuration, stalledInterval: lockDuration, maxStalledCount: timings.maxStalls };
}
