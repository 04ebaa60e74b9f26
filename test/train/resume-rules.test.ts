import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { parseRunConfig } from '../../src/train/run-config.ts';
import { InterruptedError, runTraining, type RunResult } from '../../src/train/run.ts';

/**
 * What `--resume` may and may not do: a changed config is refused in one line and nothing on disk
 * changes; an interrupted binary run resumes with the flip ratio and total duration of an
 * uninterrupted one; temporary files a crash left behind are removed.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');

/** Path → sha256 and mtime of every file under `dir`. */
function snapshot(dir: string): Record<string, string> {
  const sums: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else sums[path] = `${createHash('sha256').update(readFileSync(path)).digest('hex')} ${stat.mtimeMs}`;
    }
  };
  walk(dir);
  return sums;
}

function train(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'train', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('resume rules', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-resume-rules-'));
  const data = join(work, 'ModelNet-tiny');
  const raw = {
    name: 'rules',
    model: 'pointnet-vanilla',
    dataset: data,
    points: 16,
    batchSize: 2,
    epochs: 2,
    workers: 0,
    backend: 'wasm',
    seed: 7,
    compress: 'bipointnet',
    augment: false,
    schedule: { name: 'constant', lr: 0.01 },
  };
  const config = parseRunConfig(raw);
  let reference: RunResult;
  const finished = join(work, 'finished');

  beforeAll(async () => {
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    // The fixture's notes files are not point clouds (the ModelNet reader now reads every file in a class folder).
    for (const name of ['box', 'cone']) for (const split of ['train', 'test']) rmSync(join(data, name, split, 'notes.txt'), { force: true });
    reference = await runTraining(config, { outDir: finished, log: () => {} });
  }, 300_000);

  it('refuses --resume with another seed or policy in one line, and changes nothing on disk', async () => {
    const before = snapshot(finished);
    const seed = await train(['--out', finished, '--resume', '--seed', '99']);
    expect(seed.code).toBe(1);
    expect(seed.stderr.trim().split('\n')).toHaveLength(1);
    expect(seed.stderr).toContain(`cannot resume ${finished} with a different config (seed 7 → 99)`);
    const compress = await train(['--out', finished, '--resume', '--compress', 'fp']);
    expect(compress.code).toBe(1);
    expect(compress.stderr).toContain('(compress "bipointnet" → "fp")');
    expect(snapshot(finished)).toEqual(before);
  }, 300_000);

  it('lets --resume change the worker count; a finished run is left as it is', async () => {
    const before = snapshot(finished);
    const lines: string[] = [];
    const again = await runTraining(parseRunConfig({ ...raw, workers: 1 }), { outDir: finished, resume: true, log: (l) => lines.push(l) });
    expect(lines).toEqual([`${finished} finished all 2 epochs already; nothing to resume`]);
    expect(again.final).toEqual(reference.final);
    expect(snapshot(finished)).toEqual(before);
  }, 300_000);

  it('an interrupted run resumes with the uninterrupted flip ratio and the duration of both sessions; stale temporaries go', async () => {
    const out = join(work, 'interrupted');
    const controller = new AbortController();
    // Interrupt in the second epoch, after its first step (the progress line shows "1/N").
    const log = (line: string) => {
      if (/^epoch 2\/2 \[.*\] 1\//.test(line)) controller.abort();
    };
    await expect(runTraining(config, { outDir: out, log, signal: controller.signal })).rejects.toThrow(InterruptedError);
    const checkpoint = await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'));
    const firstSession = Number(checkpoint.metadata?.['durationSeconds']);
    expect(firstSession).toBeGreaterThan(0);

    // What a crash mid-write leaves: a checkpoint's temporary file (its writer is dead) and a JSON one.
    const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const staleCheckpoint = join(out, 'checkpoints', `.last.safetensors.${deadPid}.0badc0de.tmp`);
    const staleJson = join(out, 'result.json.tmp');
    // A temporary file of a live writer (our parent process) is not touched.
    const liveCheckpoint = join(out, 'checkpoints', `.best.safetensors.${process.ppid}.0badc0de.tmp`);
    for (const file of [staleCheckpoint, staleJson, liveCheckpoint]) writeFileSync(file, 'partial');

    const lines: string[] = [];
    const resumeStarted = performance.now();
    const resumed = await runTraining(config, { outDir: out, resume: true, log: (l) => lines.push(l) });
    const secondSession = (performance.now() - resumeStarted) / 1000;

    expect(lines).toContain(`removed ${staleCheckpoint}, left behind by an interrupted session`);
    expect(existsSync(staleCheckpoint) || existsSync(staleJson)).toBe(false);
    expect(existsSync(liveCheckpoint)).toBe(true);
    rmSync(liveCheckpoint);

    expect(resumed.history.map((m) => m.train_loss)).toEqual(reference.history.map((m) => m.train_loss));
    expect(resumed.history.map((m) => m.flip_ratio)).toEqual(reference.history.map((m) => m.flip_ratio));
    expect(resumed.history[0]!.flip_ratio).toBeGreaterThan(0);
    // Both sessions' time: the first session's, plus at most this call's.
    expect(resumed.duration_s).toBeGreaterThan(firstSession);
    expect(resumed.duration_s - firstSession).toBeLessThanOrEqual(secondSession);
  }, 300_000);

  it('a run stopped after its last checkpoint but before result.json says so and trains nothing', async () => {
    const out = join(work, 'no-result');
    cpSync(finished, out, { recursive: true });
    rmSync(join(out, 'result.json'));
    const lines: string[] = [];
    const result = await runTraining(config, { outDir: out, resume: true, log: (l) => lines.push(l) });
    expect(lines.some((l) => l.includes('after its last epoch'))).toBe(true);
    expect(lines.some((l) => l.startsWith('epoch'))).toBe(false);
    expect(result.history.map((m) => m.train_loss)).toEqual(reference.history.map((m) => m.train_loss));
  }, 300_000);
});
