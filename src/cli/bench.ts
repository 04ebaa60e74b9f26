import { parseBackendRequest } from '../backend/select.ts';
import { UsageError } from '../util/errors.ts';
import { booleanFlag, numberFlag, stringFlag, type Command } from './command.ts';

/**
 * `bitpoint bench <train|load|infer|queue> [--json]`: performance targets as benchmarks that print JSON.
 * Never run from the test suite; figures in notes and the README come from here.
 */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Run a benchmark and print its figures (one JSON object with --json).',
  usage: 'bitpoint bench <train|load|infer|queue> [--model NAME] [--compress P] [--run DIR] [--kernels auto|wasm|js] [--batch-size N] [--points N] [--steps N] [--workers N] [--backend B] [--json]',
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
  },
  async run(ctx) {
    const [which] = ctx.positionals;
    let result: Record<string, unknown>;
    if (which === 'train') {
      const { runTrainBenchmark, TRAIN_BENCHMARK_DEFAULTS: d } = await import('../../bench/train.ts');
      result = await runTrainBenchmark({
        backend: parseBackendRequest(stringFlag(ctx, 'backend')),
        model: stringFlag(ctx, 'model') ?? d.model,
        batchSize: numberFlag(ctx, 'batch-size', { integer: true, min: 1 }) ?? d.batchSize,
        points: numberFlag(ctx, 'points', { integer: true, min: 1 }) ?? d.points,
        numClasses: d.numClasses,
        steps: numberFlag(ctx, 'steps', { integer: true, min: 1 }) ?? d.steps,
        warmup: d.warmup,
        leakCheckSteps: numberFlag(ctx, 'leak-check-steps', { integer: true, min: 0 }) ?? d.leakCheckSteps,
        workers: numberFlag(ctx, 'workers', { integer: true, min: 0 }) ?? d.workers,
        log: ctx.log,
      });
    } else if (which === 'load') {
      const { runLoadBenchmark } = await import('../../bench/load.ts');
      result = await runLoadBenchmark();
    } else if (which === 'infer') {
      const { runInferBenchmark, INFER_BENCHMARK_DEFAULTS: d } = await import('../../bench/infer.ts');
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
      const { runQueueBenchmark, QUEUE_BENCHMARK_DEFAULTS: d } = await import('../../bench/queue.ts');
      result = await runQueueBenchmark({ pickups: numberFlag(ctx, 'steps', { integer: true, min: 1 }) ?? d.pickups, runs: d.runs, log: ctx.log });
    } else {
      throw new UsageError(`bench: say which benchmark: train, load, infer or queue\nusage: ${benchCommand.usage}`);
    }
    if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify(result));
    else for (const [key, value] of Object.entries(result)) ctx.out(`${key}: ${Array.isArray(value) ? value.join(', ') : value}`);
    return 0;
  },
};
