/**
 * `bitpoint bench queue --json`: what the Redis queue costs a distributed sweep, on this machine
 * with its own throwaway Redis.
 *  - pickup latency: from enqueuing a run to a waiting worker starting it (median, p95, ms), with
 *    the worker settings `bitpoint worker` uses;
 *  - coordinator overhead per run: a whole distributed sweep of runs that finish at once (the
 *    worker hands back a realistic outcome: 40 epochs, 20 histograms), divided by the runs. It
 *    includes the queue round trips and the SQLite writes; the target is < 1 % of a one-minute run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { parseQueueUrl } from '../experiments/distributed/connection.ts';
import { runDistributedSweep } from '../experiments/distributed/coordinator.ts';
import type { RunJobData, RunJobResult } from '../experiments/distributed/job.ts';
import { RUN_QUEUE } from '../experiments/distributed/keys.ts';
import { startLocalRedis } from '../experiments/distributed/local-redis.ts';
import { DEFAULT_TIMINGS, workerLockSettings } from '../experiments/distributed/timings.ts';
import type { CompletedOutcome } from '../experiments/store.ts';
import { expandStudy, parseStudy } from '../experiments/study.ts';
import { median } from './median.ts';

export const QUEUE_BENCHMARK_DEFAULTS = { pickups: 50, runs: 40 };

export async function runQueueBenchmark(options: { pickups: number; runs: number; log: (line: string) => void }): Promise<Record<string, unknown>> {
  const redis = await startLocalRedis();
  const connection = parseQueueUrl(redis.url);
  try {
    // Pickup latency: one job at a time, so each finds the worker waiting on Redis.
    const pickup = new Queue('bitpoint-bench-pickup', { connection: connection.options });
    const started = new Map<string, () => void>();
    const latencies: number[] = [];
    const worker = new Worker(
      'bitpoint-bench-pickup',
      async (job) => {
        latencies.push(Date.now() - job.timestamp);
        started.get(job.id!)?.();
      },
      { connection: connection.options, ...workerLockSettings(DEFAULT_TIMINGS) },
    );
    await worker.waitUntilReady();
    for (let i = 0; i < options.pickups; i++) {
      const done = new Promise<void>((resolve) => started.set(`p${i}`, resolve));
      await pickup.add('pickup', {}, { jobId: `p${i}` });
      await done;
    }
    await worker.close();
    await pickup.close();
    options.log(`pickup: ${latencies.length} jobs`);

    // Coordinator overhead: a sweep of runs whose worker answers at once.
    const study = parseStudy({
      name: 'bench-queue',
      question: 'What does the coordinator cost per run?',
      base: { points: 1024, epochs: 40, batchSize: 32, backend: 'wasm', workers: 0 },
      tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: 'synth-cls' }],
      methods: [{ label: 'fp', compress: 'fp' }],
      seeds: Array.from({ length: options.runs }, (_, i) => i + 1),
    });
    const runs = expandStudy(study);
    const answering = new Worker<RunJobData, RunJobResult>(
      RUN_QUEUE,
      async (job) => ({ outcome: syntheticOutcome(), worker: 'bench', runDir: `/tmp/${job.data.run.name}`, startedAt: new Date().toISOString(), carried: null }),
      { connection: connection.options, name: 'bench', ...workerLockSettings(DEFAULT_TIMINGS) },
    );
    await answering.waitUntilReady();
    const dbFile = join(mkdtempSync(join(tmpdir(), 'bitpoint-bench-queue-')), 'results.sqlite');
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const summary = await runDistributedSweep(runs, { connection, dbFile, timings: DEFAULT_TIMINGS, maxCarryBytes: 0, log: () => {}, pollMs: 1000 });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await answering.close();
    const perRunMs = wallMs / summary.completed;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      benchmark: 'queue',
      redis: 'local redis-server, 127.0.0.1',
      pickup_jobs: latencies.length,
      pickup_median_ms: median(latencies),
      pickup_p95_ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))],
      sweep_runs: summary.completed,
      coordinator_wall_ms_per_run: Number(perRunMs.toFixed(2)),
      // Coordinator and the answering worker share this process: an upper bound for the coordinator.
      process_cpu_ms_per_run: Number(((cpu.user + cpu.system) / 1000 / summary.completed).toFixed(2)),
      fraction_of_one_minute_run: Number((perRunMs / 60_000).toFixed(5)),
      under_one_percent: perRunMs / 60_000 < 0.01,
    };
  } finally {
    await redis.stop();
  }
}

/** An outcome the size of a real 40-epoch PointNet run's (what the coordinator writes to SQLite). */
function syntheticOutcome(): CompletedOutcome {
  const evaluation = { task: 'classification', overall_accuracy: 0.9, mean_class_accuracy: 0.88, samples: 2468 } as unknown as CompletedOutcome['final'];
  return {
    task: 'classification',
    environment: { backend: 'wasm' },
    final: evaluation,
    best: { epoch: 39, metric: 0.9 },
    history: Array.from({ length: 40 }, (_, epoch) => ({ epoch, train_loss: 1 / (epoch + 1), train_accuracy: 0.5, learning_rate: 1e-3, samples_per_s: 100, seconds: 60, test: evaluation })),
    epochs: 40,
    durationSeconds: 2400,
    compression: { packedBytes: 1, float32Bytes: 1, compressionRatio: 1, measuredSparsity: 0, summary: null },
    histograms: Array.from({ length: 20 }, (_, i) => ({ layer: `l${i}`, kind: 'effective' as const, source: 'bench', lo: -1, hi: 1, counts: new Array(64).fill(1), total: 64, zeros: 0, distinctValues: 64 })),
  };
}
