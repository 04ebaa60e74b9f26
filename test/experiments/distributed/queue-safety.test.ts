import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, parseQueueUrl } from '../../../src/experiments/distributed/connection.ts';
import { runDistributedSweep } from '../../../src/experiments/distributed/coordinator.ts';
import { runJobData, validateRunJob } from '../../../src/experiments/distributed/job.ts';
import { RUN_QUEUE, runJobId } from '../../../src/experiments/distributed/keys.ts';
import { readQueueStatus } from '../../../src/experiments/distributed/status.ts';
import { startRunWorker } from '../../../src/experiments/distributed/worker.ts';
import { ResultsStore } from '../../../src/experiments/store.ts';
import { expandStudy, parseStudy } from '../../../src/experiments/study.ts';
import { startLocalRedis, type LocalRedis } from '../../../src/experiments/distributed/local-redis.ts';

/**
 * The queue's guards, on a real Redis with a password: the password never shows; a second
 * coordinator on a study is refused; queued runs survive a Redis crash (append-only file); a
 * worker refuses a job whose config was altered or that names a folder, without retrying it.
 */
describe('distributed sweep: credentials, claims, crashes and job validation', () => {
  const password = 's3cr3t-p@ss';
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-queue-safety-'));
  const study = parseStudy({
    name: 'guarded',
    question: 'Are the queue guards in place?',
    base: { points: 16, epochs: 1, batchSize: 2, workers: 0, backend: 'wasm' },
    tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: 'synth-cls' }],
    methods: [{ label: 'fp', compress: 'fp' }, { label: 'int4-ft', compress: 'int4', bits: 4, from: 'fp' }],
    seeds: [1],
  });
  const runs = expandStudy(study);
  let redis: LocalRedis;
  let url: string;

  beforeAll(async () => {
    redis = await startLocalRedis({ password });
    url = `redis://default:${encodeURIComponent(password)}@127.0.0.1:${redis.port}`;
  });
  afterAll(async () => redis?.stop());

  it('parses redis:// and rediss:// URLs and never shows the password', async () => {
    const plain = parseQueueUrl('redis://lab-box:6380/2');
    expect(plain.options).toMatchObject({ host: 'lab-box', port: 6380, db: 2, maxRetriesPerRequest: null });
    expect(plain.options.tls).toBeUndefined();
    const tls = parseQueueUrl('rediss://alice:pw%2Fx@cache.example.org');
    expect(tls.options).toMatchObject({ host: 'cache.example.org', port: 6379, username: 'alice', password: 'pw/x', tls: {} });
    expect(tls.display).toBe('rediss://alice:***@cache.example.org');
    expect(tls.redactSecret('auth pw/x failed (pw%2Fx)')).toBe('auth *** failed (***)');
    expect(() => parseQueueUrl('http://host:6379')).toThrow(/expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => parseQueueUrl('redis//user:hunter2@host')).toThrow(/is not a URL/);
    expect(() => parseQueueUrl('redis//user:hunter2@host')).not.toThrow(/hunter2/);

    const wrong = parseQueueUrl(`redis://default:not-${encodeURIComponent(password)}@127.0.0.1:${redis.port}`);
    const error = await connectRedis(wrong).catch((e: Error) => e);
    expect(String(error)).toMatch(new RegExp(`cannot use the queue at redis://default:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}: WRONGPASS`));
    expect(String(error)).not.toContain(password);
  });

  it('refuses a second coordinator, keeps queued runs through a Redis crash, and records the password nowhere', async () => {
    const logs: string[] = [];
    const options = {
      connection: parseQueueUrl(url),
      dbFile: join(work, 'results.sqlite'),
      timings: { lockSeconds: 5, attempts: 2, maxStalls: 2 },
      maxCarryBytes: 1e6,
      log: (line: string) => logs.push(line),
      pollMs: 100,
    };
    const stop = new AbortController();
    // No worker: the source run waits in the queue, the fine-tuning run waits for it.
    const first = runDistributedSweep(runs, { ...options, signal: stop.signal }).catch((e: Error) => e);
    const probe = await connectRedis(parseQueueUrl(url));
    const queue = new Queue(RUN_QUEUE, { connection: parseQueueUrl(url).options });
    const waitFor = async (what: () => Promise<boolean>) => {
      for (let i = 0; i < 600 && !(await what().catch(() => false)); i++) await new Promise((r) => setTimeout(r, 100));
    };
    await waitFor(async () => (await queue.getJobCounts('waiting')).waiting === 1);

    const second = await runDistributedSweep(runs, { ...options, resume: true }).catch((e: Error) => e);
    expect(String(second)).toMatch(/study guarded on redis:\/\/default:\*\*\*@127\.0\.0\.1:\d+ is already coordinated by .* \(pid \d+, since .*\): stop that sweep first; if it was killed, its claim lapses in \d+ s/);

    // A crash (SIGKILL) of Redis: the append-only file brings the queued run back.
    await redis.restart();
    await waitFor(async () => (await queue.getJobCounts('waiting')).waiting === 1);
    const job = await queue.getJob(runJobId('guarded', runs[0]!.configHash));
    expect(job?.data.run.name).toBe('cls__fp__s1');
    const status = await readQueueStatus(queue, probe, options.connection.display, 'guarded');
    expect(status.jobs['waiting']).toBe(1);
    expect(status.studies[0]).toMatchObject({ study: 'guarded', total: 2, completed: 0, waiting: 1, blocked: 1 });
    expect(JSON.stringify(status)).not.toContain(password);

    stop.abort();
    expect(String(await first)).toMatch(/coordinator stopped/);
    const store = ResultsStore.open(options.dbFile, { readonly: true });
    expect(JSON.stringify(store.runs())).not.toContain(password);
    store.close();
    expect(logs.join('\n')).not.toContain(password);
    await queue.obliterate({ force: true });
    await queue.close();
    probe.disconnect();
  });

  it('a worker refuses an altered job or one that names a folder, at once and without retries', async () => {
    const good = runJobData(runs[0]!, true, 1e6);
    expect(validateRunJob(JSON.parse(JSON.stringify(good))).run.configHash).toBe(runs[0]!.configHash);
    const altered = structuredClone(good);
    altered.run.config.epochs = 99;
    expect(() => validateRunJob(altered)).toThrow(/job\.run\.configHash: [0-9a-f]{12} does not match the job's config/);
    const escaping = structuredClone(good);
    escaping.run.name = '../../etc';
    expect(() => validateRunJob(escaping)).toThrow(/job\.run\.name: '\.\.\/\.\.\/etc' is not valid here/);
    const pointing = JSON.parse(JSON.stringify(runJobData(runs[1]!, false, 1e6)));
    pointing.run.config.initFrom = { run: '/home/someone/secret-run', checkpoint: 'last' };
    expect(() => validateRunJob(pointing)).toThrow(/job\.run\.config\.initFrom: a job names no folders/);
    const bad = structuredClone(good);
    bad.run.config.optimizer = { name: 'no-such-optimizer' } as never;
    expect(() => validateRunJob(bad)).toThrow(/optimizer/);

    const logs: string[] = [];
    const worker = await startRunWorker({ connection: parseQueueUrl(url), runsDir: join(work, 'runs'), name: 'guard', timings: { lockSeconds: 5, maxStalls: 1 }, log: (l) => logs.push(l) });
    const queue = new Queue(RUN_QUEUE, { connection: parseQueueUrl(url).options });
    const added = await queue.add('altered', altered, { jobId: 'guarded.altered', attempts: 3 });
    for (let i = 0; i < 600 && (await added.getState()) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
    const failed = (await queue.getJob('guarded.altered'))!;
    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsStarted).toBe(1);
    expect(failed.failedReason).toMatch(/^refused by worker guard: config job\.run\.configHash: .* does not match/);
    expect(logs.join('\n')).not.toContain(password);
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });
});
