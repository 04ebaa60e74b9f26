/**
 * Where a distributed sweep lives in Redis. One BullMQ queue holds the runs of every study (a
 * worker serves them all); beside it, plain keys for what BullMQ has no notion of.
 */

/** The BullMQ queue of runs. */
export const RUN_QUEUE = 'bitpoint-runs';

/** A run's job id: its study and config hash, so enqueuing it twice is a no-op (BullMQ dedupes by id). */
export function runJobId(study: string, configHash: string): string {
  return `${study}.${configHash}`;
}

/** The coordinator's claim on a study (see claim.ts). */
export function claimKey(study: string): string {
  return `bitpoint:claim:${study}`;
}

/** A finished run's folder, carried for the runs that start or learn from it (see carry.ts). */
export function carryKey(study: string, configHash: string): string {
  return `bitpoint:carry:${study}.${configHash}`;
}

/** The coordinator's latest progress snapshot of a study (see status.ts). */
export function statusKey(study: string): string {
  return `bitpoint:status:${study}`;
}

/** The set of studies that have a status snapshot, for `queue status` without a study name. */
export const STUDIES_KEY = 'bitpoint:studies';
