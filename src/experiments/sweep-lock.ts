/**
 * One sweep at a time per results store. Two sweeps on the same store would both train every run,
 * and the second (with --resume) would move away or delete the folder the first is training in.
 * The lock is a file next to the store, `<db>.lock`, created exclusively and holding its owner:
 *
 *   const release = acquireSweepLock('runs/bit-width/results.sqlite');
 *   try { … } finally { release(); }
 *
 * A lock whose owner process is gone (same host, pid not running: a crash or SIGKILL) is stale and
 * taken over. A lock held from another host cannot be checked from here, so it is refused, with
 * the file to remove if that sweep is known to be dead.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { BitpointError } from '../util/errors.ts';
import { processAlive } from '../util/process-alive.ts';

export class SweepLockedError extends BitpointError {}

export interface SweepLockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  command: string;
}

export function sweepLockFile(dbFile: string): string {
  return `${dbFile}.lock`;
}

/** Takes the lock of `dbFile`'s store or throws SweepLockedError naming its holder; returns the release. */
export function acquireSweepLock(dbFile: string): () => void {
  const file = sweepLockFile(dbFile);
  mkdirSync(dirname(file), { recursive: true });
  const owner: SweepLockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  const text = `${JSON.stringify(owner)}\n`;
  // A few attempts: between seeing a stale lock and taking it over, another process may take it.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, text, { flag: 'wx' });
      return () => releaseIfOwn(file, text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = readText(file);
    if (held === null) continue;
    const holder = parseOwner(held);
    if (holder && !isStale(holder)) throw lockedError(dbFile, file, holder);
    // Stale (or unreadable, from a writer killed mid-write): move it aside atomically, then check
    // that what was moved is what was judged stale; a live lock taken meanwhile goes back.
    const aside = `${file}.stale-${process.pid}`;
    try {
      renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = readText(aside);
    if (moved !== held && moved !== null) {
      try {
        writeFileSync(file, moved, { flag: 'wx' });
      } finally {
        rmSync(aside, { force: true });
      }
      const live = parseOwner(moved);
      if (live) throw lockedError(dbFile, file, live);
      continue;
    }
    rmSync(aside, { force: true });
  }
  const holder = parseOwner(readText(file) ?? '');
  throw holder ? lockedError(dbFile, file, holder) : new SweepLockedError(`${dbFile} is locked by another sweep (${file})`);
}

/** The current holder of the lock, or null if the store is not locked. */
export function sweepLockHolder(dbFile: string): SweepLockOwner | null {
  return parseOwner(readText(sweepLockFile(dbFile)) ?? '');
}

function lockedError(dbFile: string, file: string, holder: SweepLockOwner): SweepLockedError {
  const remote = holder.host !== hostname();
  const hint = remote ? `; if that sweep is dead, remove ${file}` : '';
  return new SweepLockedError(`${dbFile} is in use by another sweep (pid ${holder.pid} on ${holder.host}, since ${holder.started}): wait for it to finish${hint}`);
}

function isStale(holder: SweepLockOwner): boolean {
  return holder.host === hostname() && holder.pid !== process.pid && !processAlive(holder.pid);
}


function releaseIfOwn(file: string, text: string): void {
  // Only our own lock: a lock taken over as stale (we were presumed dead) is not ours to remove.
  if (readText(file) === text) rmSync(file, { force: true });
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function parseOwner(text: string): SweepLockOwner | null {
  try {
    const value = JSON.parse(text) as Partial<SweepLockOwner>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return null;
    return { pid: value.pid, host: value.host, started: String(value.started ?? 'unknown'), command: String(value.command ?? '') };
  } catch {
    return null;
  }
}
