import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/train/run-config.ts';
import { runTraining, type EpochMetrics } from '../../src/train/run.ts';

/**
 * A run interrupted (Ctrl-C, mid-epoch) or killed (SIGKILL, between epochs) and then resumed
 * produces exactly the numbers of an uninterrupted run: same batches, dropout masks, optimizer
 * state and schedule position.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');

function readMetrics(dir: string): EpochMetrics[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EpochMetrics);
}

/** Starts `bitpoint train`, calls `when` on each stderr chunk; `when` may signal the child. */
function train(args: string[], when?: (stderr: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'train', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      when?.(stderr, child);
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('checkpoints and resume', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-resume-'));
  const data = join(work, 'ModelNet-tiny');
  const configFile = join(work, 'config.json');
  const config = {
    name: 'resume',
    model: 'pointnet-vanilla',
    dataset: data,
    points: 64,
    batchSize: 1,
    epochs: 2,
    workers: 0,
    backend: 'wasm',
    seed: 5,
    modelOptions: { dropout: 0.3 },
    schedule: { name: 'cosine', lr: 0.001, epochs: 2 },
  };
  let reference: EpochMetrics[];

  beforeAll(async () => {
    // A copy, because data sets write their sample cache next to the data.
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    writeFileSync(configFile, JSON.stringify(config));
    await runTraining(parseRunConfig(config), { outDir: join(work, 'reference'), log: () => {} });
    reference = readMetrics(join(work, 'reference'));
    expect(reference).toHaveLength(2);
  });

  it('Ctrl-C mid-epoch saves a checkpoint; --resume reproduces the uninterrupted run', async () => {
    const out = join(work, 'interrupted');
    let sent = false;
    const first = await train(['--config', configFile, '--out', out], (stderr, child) => {
      // Interrupt during the first epoch, after its second of four steps.
      if (!sent && /epoch 1\/2 \[.*\] 2\/4/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toMatch(/checkpoint saved at epoch 1, batch [234]/);
    expect(existsSync(join(out, 'result.json'))).toBe(false);
    const second = await train(['--out', out, '--resume']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/resuming .* at epoch 1, batch [345]/);
    const resumed = readMetrics(out);
    expect(resumed.map((m) => m.train_loss)).toEqual(reference.map((m) => m.train_loss));
    expect(resumed.map((m) => m.test?.overall_accuracy)).toEqual(reference.map((m) => m.test?.overall_accuracy));
  });

  it('a run killed between epochs resumes from the last good checkpoint with the same numbers', async () => {
    const out = join(work, 'killed');
    let killed = false;
    const first = await train(['--config', configFile, '--out', out], (stderr, child) => {
      if (!killed && /epoch 2\/2 \[/.test(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    expect(first.signal).toBe('SIGKILL');
    const second = await train(['--out', out, '--resume']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/resuming .* at epoch 2, batch 1/);
    expect(readMetrics(out).map((m) => m.train_loss)).toEqual(reference.map((m) => m.train_loss));
  });

  it('refuses to overwrite an existing run without --resume', async () => {
    const result = await train(['--config', configFile, '--out', join(work, 'killed')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/already holds a run; pass --resume/);
  });
});
