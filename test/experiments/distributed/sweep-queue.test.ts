import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueUrl } from '../../../src/experiments/distributed/connection.ts';
import { runDistributedSweep } from '../../../src/experiments/distributed/coordinator.ts';
import { runSweep } from '../../../src/experiments/runner.ts';
import { ResultsStore } from '../../../src/experiments/store.ts';
import { expandStudy, parseStudy } from '../../../src/experiments/study.ts';
import { bitpoint, type CliProcess } from './processes.ts';
import { startLocalRedis, type LocalRedis } from '../../../src/experiments/distributed/local-redis.ts';

/**
 * A tiny study with a fine-tuning method (`from`) and a method that fails, swept twice: locally,
 * and through a real Redis by three worker processes with separate runs folders (so the source's
 * checkpoint travels through Redis), one of them killed with SIGKILL in the middle of a run. The
 * store of the distributed sweep must hold every run exactly once, row by row equal to the local
 * one: same metrics, epochs and histograms; the failed run retried, then recorded with its error.
 */
describe('distributed sweep: workers on a Redis queue write the same store as a local sweep', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-queue-'));
  const data = join(work, 'ModelNet-tiny');
  const study = parseStudy({
    name: 'tinyq',
    question: 'Does a sweep spread over workers give the numbers of a local sweep?',
    base: { points: 16, epochs: 2, batchSize: 2, workers: 0, backend: 'wasm', augment: false, schedule: { name: 'cosine', lr: 0.01 } },
    tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: data }],
    methods: [
      { label: 'fp', compress: 'fp' },
      { label: 'int4-ft', compress: 'int4', bits: 4, activationBits: 4, from: 'fp' },
      // More samples per batch than the training split has: fails on every try.
      { label: 'too-big', compress: 'fp', config: { batchSize: 999 } },
    ],
    seeds: [1, 2],
  });
  let redis: LocalRedis;
  const workers: CliProcess[] = [];

  beforeAll(async () => {
    // The point files only (the fixture's notes.txt is not a point file since the any-format reader).
    cpSync(fileURLToPath(new URL('../../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true, filter: (file) => !file.endsWith('.txt') });
    redis = await startLocalRedis();
  });
  afterAll(async () => {
    for (const worker of workers) await worker.kill9();
    await redis?.stop();
  });

  it('three workers, one killed mid-run: every run once, with the local numbers', async () => {
    const runs = expandStudy(study);
    const local = await runSweep(runs, { outDir: join(work, 'local'), log: () => {} });
    expect(local.failures.map((f) => f.name)).toEqual(['cls__too-big__s1', 'cls__too-big__s2']);
    expect(local).toMatchObject({ total: 6, completed: 4, failed: 2 });

    for (const name of ['w1', 'w2', 'w3']) {
      workers.push(bitpoint(['worker', '--queue', redis.url, '--runs-dir', join(work, `runs-${name}`), '--name', name, '--lock-seconds', '8']));
    }
    await Promise.all(workers.map((w) => w.waitFor(/taking runs from/)));
    // The first worker to start a run of the fp method is killed as it starts it.
    const victim = Promise.any(workers.map((w) => w.waitFor(/cls__fp__s\d: starting on/).then(() => w)));
    const killed = victim.then(async (w) => (await w.kill9(), w));
    const dbFile = join(work, 'distributed.sqlite');
    const logs: string[] = [];
    const options = {
      connection: parseQueueUrl(redis.url),
      dbFile,
      // Generous for a loaded 2-core machine; the lock only delays the takeover of the killed run.
      timings: { lockSeconds: 8, attempts: 2, maxStalls: 5 },
      maxCarryBytes: 50e6,
      log: (line: string) => logs.push(line),
      pollMs: 200,
    };
    // The coordinator is stopped once the first run is recorded, then started again with --resume.
    const stop = new AbortController();
    let first = '';
    const stopped = await runDistributedSweep(runs, {
      ...options,
      signal: stop.signal,
      onRecorded: (run, status) => status === 'completed' && !first && ((first = run.name), stop.abort()),
    }).catch((error: Error) => error);
    expect(String(stopped)).toMatch(/coordinator stopped; the workers go on/);
    const startsOfFirst = () => workers.map((w) => w.stderr().split(`${first}: starting on`).length - 1).reduce((a, b) => a + b, 0);
    const startedBefore = startsOfFirst();
    const summary = await runDistributedSweep(runs, { ...options, resume: true });
    const dead = await killed;
    expect(summary).toMatchObject({ total: 6, completed: 3, skipped: 1, failed: 2 });
    // Nothing recorded was run again after the restart.
    expect(startsOfFirst()).toBe(startedBefore);

    const want = ResultsStore.open(local.dbFile, { readonly: true });
    const got = ResultsStore.open(dbFile, { readonly: true });
    const numbers = (row: ReturnType<ResultsStore['runs']>[number]) => {
      const { run_dir: _dir, environment: _env, duration_s: _d, started_at: _s, finished_at: _f, attempts: _a, worker: _w, ...rest } = row;
      return rest;
    };
    const wantRows = want.runs();
    const gotRows = got.runs();
    expect(gotRows.map((r) => r.name)).toEqual(wantRows.map((r) => r.name));
    for (const [i, row] of gotRows.entries()) {
      expect(numbers(row), row.name).toEqual(numbers(wantRows[i]!));
      const epochs = (hash: string, store: ResultsStore) => store.epochs(hash).map(({ seconds: _s, samples_per_s: _p, ...e }) => e);
      expect(epochs(row.config_hash, got), row.name).toEqual(epochs(row.config_hash, want));
      expect(got.histograms(row.config_hash), row.name).toEqual(want.histograms(row.config_hash));
      if (row.status === 'completed') expect(['w1', 'w2', 'w3']).toContain(row.worker);
    }
    // The failing method was tried twice (--attempts 2), then recorded with its error.
    const failed = gotRows.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.method)).toEqual(['too-big', 'too-big']);
    expect(failed.every((r) => r.attempts >= 2)).toBe(true);
    expect(failed[0]!.error).toBe(wantRows.find((r) => r.name === failed[0]!.name)!.error);
    // The killed worker's run was taken again by another worker and recorded once.
    const [, stolen] = dead.stderr().match(/(cls__fp__s\d): starting on/)!;
    const stolenRow = gotRows.find((r) => r.name === stolen)!;
    expect(stolenRow.status).toBe('completed');
    expect(stolenRow.worker).not.toBe(dead === workers[0] ? 'w1' : dead === workers[1] ? 'w2' : 'w3');
    expect(stolenRow.attempts).toBeGreaterThanOrEqual(2);
    // The fine-tuning runs started from their source's checkpoint, carried through Redis.
    const alive = workers.filter((w) => w !== dead).map((w) => w.stderr()).join('\n');
    expect(alive).toMatch(/cls__int4-ft__s1: init: \d+ tensors from .*cls__fp__s1/);
    expect(logs.join('\n')).toMatch(/sweep \[#+\.*\] \d\/6 runs done, \d running/);
    want.close();
    got.close();
  }, 1_500_000);
});
