import { parseBackendRequest } from '../backend/select.ts';
import { UsageError } from '../util/errors.ts';
import { booleanFlag, numberFlag, stringFlag, type Command } from './command.ts';

/**
 * `bitpoint bench <train|epoch|load|infer|queue> [--json]`: performance targets as benchmarks that print
 * JSON (docs/speed.md says what each measures). Figures in notes and the README come from here.
 */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Run a benchmark and print its figures (one JSON object with --json).',
  usage:
    'bitpoint bench <train|epoch|load|infer|queue> [--model NAME] [--compress P] [--batch-size N] [--points N] [--workers N] [--backend B] [--json]\n' +
    '  train: [--steps N] [--leak-check-steps N] [--gemm-ms MS] [--torch SCRIPT]\n' +
    '  epoch: [--dataset PATH] [--max-steps N] [--train-size N] [--test-size N] [--generated-root DIR]\n' +
    '  infer: [--run DIR] [--kernels auto|wasm|js]\n' +
    '  queue: [--steps N] (enqueue-to-start latency against a local redis-server)',
  flags: {
    model: { type: 'string' },
    'batch-size': { type: 'string' },
    points: { type: 'string' },
    steps: { type: 'string' },
    'leak-check-steps': { type: 'string' },
    workers: { type: 'string' },
    compress: { type: 'string' },
    run: { type: 'string' },
    kernels: { type: 'string' },
    'gemm-ms': { type: 'string' },
    torch: { type: 'string' },
    dataset: { type: 'string' },
    'max-steps': { type: 'string' },
    'train-size': { type: 'string' },
    'test-size': { type: 'string' },
    'generated-root': { type: 'string' },
  },
  async run(ctx) {
    const [which] = ctx.positionals;
    let result: Record<string, unknown>;
    if (which === 'train') {
      const { runTrainBenchmark, TRAIN_BENCHMARK_DEFAULTS: d } = await import('../bench/train.ts');
      result = await runTrainBenchmark({
        backend: parseBackendRequest(stringFlag(ctx, 'backend')),
        model: stringFlag(ctx, 'model') ?? d.model,
        compress: stringFlag(ctx, 'compress') ?? d.compress,
        batchSize: numberFlag(ctx, 'batch-size', { integer: true, min: 1 }) ?? d.batchSize,
        points: numberFlag(ctx, 'points', { integer: true, min: 1 }) ?? d.points,
        numClasses: d.numClasses,
        steps: numberFlag(ctx, 'steps', { integer: true, min: 1 }) ?? d.steps,
        warmup: d.warmup,
        leakCheckSteps: numberFlag(ctx, 'leak-check-steps', { integer: true, min: 0 }) ?? d.leakCheckSteps,
        workers: numberFlag(ctx, 'workers', { integer: true, min: 0 }) ?? d.workers,
        gemmMs: numberFlag(ctx, 'gemm-ms', { min: 0 }) ?? d.gemmMs,
        torch: stringFlag(ctx, 'torch'),
        log: ctx.log,
      });
    } else if (which === 'epoch') {
      const { runEpochBenchmark, EPOCH_BENCHMARK_DEFAULTS: d } = await import('../bench/epoch.ts');
      result = await runEpochBenchmark({
        backend: parseBackendRequest(stringFlag(ctx, 'backend')),
        model: stringFlag(ctx, 'model') ?? d.model,
        compress: stringFlag(ctx, 'compress') ?? d.compress,
        dataset: stringFlag(ctx, 'dataset'),
        generated: {
          root: stringFlag(ctx, 'generated-root') ?? d.generated.root,
          train: numberFlag(ctx, 'train-size', { integer: true, min: 1 }) ?? d.generated.train,
          test: numberFlag(ctx, 'test-size', { integer: true, min: 1 }) ?? d.generated.test,
        },
        points: numberFlag(ctx, 'points', { integer: true, min: 1 }) ?? d.points,
        batchSize: numberFlag(ctx, 'batch-size', { integer: true, min: 1 }) ?? d.batchSize,
        workers: numberFlag(ctx, 'workers', { integer: true, min: 0 }) ?? d.workers,
        maxSteps: numberFlag(ctx, 'max-steps', { integer: true, min: 1 }),
        log: ctx.log,
      });
    } else if (which === 'load') {
      const { runLoadBenchmark } = await import('../bench/load.ts');
      result = await runLoadBenchmark();
    } else if (which === 'infer') {
      const { runInferBenchmark, INFER_BENCHMARK_DEFAULTS: d } = await import('../bench/infer.ts');
      const kernels = stringFlag(ctx, 'kernels') ?? d.kernels;
      if (kernels !== 'auto' && kernels !== 'wasm' && kernels !== 'js') throw new UsageError(`--kernels must be auto, wasm or js, got '${kernels}'`);
      result = await runInferBenchmark({
        backend: parseBackendRequest(stringFlag(ctx, 'backend')),
        model: stringFlag(ctx, 'model') ?? d.model,
        compress: stringFlag(ctx, 'compress') ?? d.compress,
        run: stringFlag(ctx, 'run'),
        points: numberFlag(ctx, 'points', { integer: true, min: 1 }) ?? d.points,
        numClasses: d.numClasses,
        workers: numberFlag(ctx, 'workers', { integer: true, min: 0 }) ?? d.workers,
        kernels,
        log: ctx.log,
      });
    } else if (which === 'queue') {
      const { runQueueBenchmark, QUEUE_BENCHMARK_DEFAULTS: d } = await import('../bench/queue.ts');
      result = await runQueueBenchmark({ pickups: numberFlag(ctx, 'steps', { integer: true, min: 1 }) ?? d.pickups, runs: d.runs, log: ctx.log });
    } else {
      throw new UsageError(`bench: say which benchmark: train, epoch, load, infer or queue\nusage: ${benchCommand.usage}`);
    }
    if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify(result));
    else for (const [key, value] of Object.entries(result)) ctx.out(`${key}: ${describe(value)}`);
    return 0;
  },
};

function describe(value: unknown): string {
  if (Array.isArray(value)) return value.map(describe).join(', ');
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
