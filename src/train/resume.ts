import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TrainingError } from '../util/errors.ts';
import type { RunConfig } from './run-config.ts';
import { processAlive } from '../util/process-alive.ts';

/**
 * What `--resume` may change. The worker count does not change the numbers (data-parallel training
 * computes what one process computes, docs/reproducibility.md), so a run may continue on another
 * machine with another count. Everything else is the run's identity: another seed, policy, backend
 * or schedule would either fail against the checkpoint or silently record numbers that no config
 * produces.
 */
export const RESUME_MAY_CHANGE: ReadonlyArray<keyof RunConfig> = ['workers'];

/**
 * Refuses to resume `outDir` with a config that differs from the recorded one (outside
 * RESUME_MAY_CHANGE), in one line naming the differing keys. Reads only: a refused resume leaves
 * the folder as it was.
 */
export function assertResumable(outDir: string, given: RunConfig): void {
  const file = join(outDir, 'config.json');
  if (!existsSync(file)) return;
  let recorded: Record<string, unknown>;
  try {
    recorded = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new TrainingError(`cannot resume ${outDir}: ${file} is not valid JSON (${(error as Error).message})`);
  }
  const keys = new Set([...Object.keys(recorded), ...Object.keys(given)]);
  const differing = [...keys]
    .filter((key) => !RESUME_MAY_CHANGE.includes(key as keyof RunConfig))
    .filter((key) => canonical(recorded[key]) !== canonical((given as unknown as Record<string, unknown>)[key]))
    .sort();
  if (differing.length === 0) return;
  const shown = differing.map((key) => `${key} ${canonical(recorded[key]) ?? '(unset)'} → ${canonical((given as unknown as Record<string, unknown>)[key]) ?? '(unset)'}`);
  throw new TrainingError(
    `cannot resume ${outDir} with a different config (${shown.join('; ')}); only ${RESUME_MAY_CHANGE.join(', ')} may change: start a new run with another --out`,
  );
}

/** JSON with sorted object keys; undefined for undefined (an absent key). */
function canonical(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v) ?? 'null').join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Deletes the temporary files a crashed session left in a run folder (checkpoints are written to
 * `.<name>.<pid>.<random>.tmp` and JSON files to `<name>.tmp`, then renamed). A checkpoint's
 * temporary file whose writer is still alive on this machine is kept.
 */
export function removeStaleTemporaries(...directories: string[]): string[] {
  const removed: string[] = [];
  for (const directory of directories) {
    if (!existsSync(directory)) continue;
    for (const name of readdirSync(directory)) {
      if (!name.endsWith('.tmp')) continue;
      const pid = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && processAlive(Number(pid))) continue;
      rmSync(join(directory, name), { force: true });
      removed.push(join(directory, name));
    }
  }
  return removed;
}

