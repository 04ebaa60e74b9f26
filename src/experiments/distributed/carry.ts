/**
 * Carrying a finished run's folder to the machines that need it, when the workers share no runs
 * folder: a run with `from` starts from its source's last checkpoint, a run with `teacher` learns
 * from its teacher's; both read the source's folder. The worker that finishes a source stores the
 * files those runs read (config, model card, last checkpoint) in one Redis hash, up to a size
 * limit; a worker about to train a dependent run uses the source's folder in its own runs folder
 * when it is there (a shared runs folder, or the same machine), else writes it there from Redis.
 * Past the limit nothing is stored, and the dependent run fails with an error that says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import { BitpointError } from '../../util/errors.ts';

/** What a dependent run reads of its source's folder (the identity file names the config). */
export const CARRIED_FILES = ['sweep-run.json', 'config.json', 'model.json', 'checkpoints/last.safetensors'] as const;

/** A source folder that is neither here nor in Redis. */
export class CarryError extends BitpointError {}

/** Size in bytes of the files a dependent run reads from `runDir`. */
export async function carriedBytes(runDir: string): Promise<number> {
  let bytes = 0;
  for (const file of CARRIED_FILES) bytes += (await readFile(join(runDir, file))).byteLength;
  return bytes;
}

/** Stores the folder's carried files under `key` unless they exceed `maxBytes`; returns their size. */
export async function storeRunFolder(redis: Redis, key: string, runDir: string, maxBytes: number): Promise<{ bytes: number; stored: boolean }> {
  const files = await Promise.all(CARRIED_FILES.map(async (file) => [file, await readFile(join(runDir, file))] as const));
  const bytes = files.reduce((sum, [, data]) => sum + data.byteLength, 0);
  if (bytes > maxBytes) return { bytes, stored: false };
  // One MULTI: a reader sees all the files or none.
  const multi = redis.multi().del(key);
  for (const [file, data] of files) multi.hset(key, file, data);
  await multi.exec();
  return { bytes, stored: true };
}

/** The config hash a folder was trained for (its identity file), or null. */
export function folderConfigHash(runDir: string): string | null {
  try {
    const identity = JSON.parse(readFileSync(join(runDir, 'sweep-run.json'), 'utf8')) as { config_hash?: unknown };
    return typeof identity.config_hash === 'string' ? identity.config_hash : null;
  } catch {
    return null;
  }
}

/**
 * Makes sure `runDir` holds the finished source run `source`: kept as is when its identity and last
 * result are there, else written from Redis. `missing` explains why Redis has no copy.
 */
export async function ensureSourceFolder(
  redis: Redis,
  key: string,
  runDir: string,
  source: { name: string; configHash: string },
  missing: () => Promise<string>,
): Promise<'local' | 'carried'> {
  // result.json is written last: without it the folder holds a run that did not finish here.
  if (folderConfigHash(runDir) === source.configHash && existsSync(join(runDir, 'result.json'))) return 'local';
  const stored = await redis.hgetallBuffer(key);
  if (CARRIED_FILES.some((file) => !stored[file])) throw new CarryError(`the run ${source.name} is not in this worker's runs folder and ${await missing()}`);
  // Written to a temporary name first, so a folder is never half there.
  const partial = `${runDir}.partial-${process.pid}`;
  for (const file of CARRIED_FILES) {
    await mkdir(dirname(join(partial, file)), { recursive: true });
    await writeFile(join(partial, file), stored[file]!);
  }
  if (existsSync(runDir)) await rename(runDir, `${runDir}.replaced-${Date.now()}`);
  await rename(partial, runDir);
  return 'carried';
}
