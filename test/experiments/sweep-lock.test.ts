import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireSweepLock, sweepLockFile, sweepLockHolder, SweepLockedError } from '../../src/experiments/sweep-lock.ts';

/**
 * One sweep per results store: a second sweep (with or without --resume) is refused in one line
 * naming the holder, and changes nothing; a lock left by a dead process is taken over.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** Path → sha256 of every file under `dir`. */
function checksums(dir: string): Record<string, string> {
  const sums: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else sums[path] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return sums;
}

describe('sweep lock', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-sweep-lock-'));

  it('refuses a second holder until the first releases', () => {
    const db = join(work, 'a', 'results.sqlite');
    const release = acquireSweepLock(db);
    expect(sweepLockHolder(db)).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireSweepLock(db)).toThrow(SweepLockedError);
    expect(() => acquireSweepLock(db)).toThrow(new RegExp(`in use by another sweep \\(pid ${process.pid} on ${hostname()}`));
    release();
    expect(existsSync(sweepLockFile(db))).toBe(false);
    acquireSweepLock(db)();
  });

  it('takes over a lock whose process is gone, but not one held from another host', () => {
    const db = join(work, 'b', 'results.sqlite');
    mkdirSync(join(work, 'b'));
    const pid = deadPid();
    writeFileSync(sweepLockFile(db), JSON.stringify({ pid, host: hostname(), started: '2026-01-01T00:00:00Z', command: 'sweep' }));
    const release = acquireSweepLock(db);
    expect(sweepLockHolder(db)?.pid).toBe(process.pid);
    release();

    writeFileSync(sweepLockFile(db), JSON.stringify({ pid, host: 'other-machine', started: '2026-01-01T00:00:00Z', command: 'sweep' }));
    expect(() => acquireSweepLock(db)).toThrow(`if that sweep is dead, remove ${sweepLockFile(db)}`);
  });

  it('makes `bitpoint sweep --resume` on a store in use exit 1 and change nothing', async () => {
    const data = join(work, 'ModelNet-tiny');
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    // The fixture's notes files are not point clouds (the ModelNet reader now reads every file in a class folder).
    for (const name of ['box', 'cone']) for (const split of ['train', 'test']) rmSync(join(data, name, split, 'notes.txt'), { force: true });
    const studyFile = join(work, 'tiny.json');
    const out = join(work, 'runs');
    writeFileSync(
      studyFile,
      JSON.stringify({
        name: 'tiny',
        question: 'Is a second sweep on a store in use refused?',
        reference: 'fp',
        base: { points: 16, epochs: 1, batchSize: 2, workers: 0, backend: 'wasm', augment: false },
        tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: data }],
        methods: [{ label: 'fp', compress: 'fp' }],
        seeds: [1],
      }),
    );
    // This test process plays the sweep in progress, with a run folder it is training in.
    const db = join(out, 'results.sqlite');
    const release = acquireSweepLock(db);
    try {
      mkdirSync(join(out, 'cls__fp__s1', 'checkpoints'), { recursive: true });
      writeFileSync(join(out, 'cls__fp__s1', 'checkpoints', 'last.safetensors'), 'training in progress');
      const before = checksums(out);
      const exit = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, 'sweep', studyFile, '--out', out, '--resume'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain(`${db} is in use by another sweep (pid ${process.pid} on ${hostname()}`);
      expect(exit.stderr).not.toMatch(/\n\s+at /);
      expect(checksums(out)).toEqual(before);
    } finally {
      release();
    }
  }, 600_000);
});
