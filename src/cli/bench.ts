import { booleanFlag, missing, numberFlag, stringFlag, type Command } from './command.ts';
import { BACKEND_FLAG, MODEL_NAMES, PRESET_NAMES } from './shared-flags.ts';

/**
 * `bitpoint bench <train|epoch|load|infer|queue> [--json]`: performance targets as benchmarks that print
 * JSON (docs/speed.md says what each measures). Never run from the test suite.
 */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Run a benchmark and print its figures (one JSON object with --json).',
  usage: 'bitpoint bench (train|epoch|load|infer|queue) [flags]',
  flags: {
    model: { type: 'string', arg: 'NAME', description: 'model to time (train, infer)', values: MODEL_NAMES, default: 'pointnet-vanilla' },
    compress: { type: 'string', arg: 'POLICY', description: 'compression policy (train, epoch, infer)', values: PRESET_NAMES, open: 'or a policy file', default: 'fp for train and epoch, bipointnet for infer' },
    run: { type: 'string', arg: 'DIR', description: 'time a trained run instead of a fresh model (infer)' },
    kernels: { type: 'string', arg: 'WHICH', description: 'packed-engine kernels (infer)', values: ['auto', 'wasm', 'js'], default: 'auto' },
    'batch-size': { type: 'string', arg: 'N', description: 'samples per step (train)', number: { integer: true, min: 1, max: 65536 } },
    points: { type: 'string', arg: 'N', description: 'points per cloud', number: { integer: true, min: 1, max: 1_000_000 }, default: '1024' },
    steps: { type: 'string', arg: 'N', description: 'timed steps (train)', number: { integer: true, min: 1, max: 100_000 }, default: '5' },
    'leak-check-steps': { type: 'string', arg: 'N', description: 'extra steps that check the tensor count stays flat (train)', number: { integer: true, min: 0, max: 100_000 }, default: '0' },
    workers: { type: 'string', arg: 'N', description: 'worker threads', number: { integer: true, min: 0, max: 256 }, default: '1' },
    backend: BACKEND_FLAG,
    'gemm-ms': { type: 'string', arg: 'MS', description: 'time per shape of the GEMM peak probe; 0 skips it (train)', number: { min: 0, max: 600_000 }, default: '1000' },
    torch: { type: 'string', arg: 'SCRIPT', description: 'a PyTorch side-by-side script run after the measurement, for speed ratios (train; interpreter from $PYTHON)' },
    dataset: { type: 'string', arg: 'PATH', description: 'data set folder to time an epoch on (epoch; default: a generated set of ModelNet40 size)' },
    'max-steps': { type: 'string', arg: 'N', description: 'cap the steps of each pass (epoch)', number: { integer: true, min: 1, max: 1_000_000 } },
    'train-size': { type: 'string', arg: 'N', description: 'training clouds of the generated set (epoch)', number: { integer: true, min: 1, max: 1_000_000 }, default: '9843' },
    'test-size': { type: 'string', arg: 'N', description: 'test clouds of the generated set (epoch)', number: { integer: true, min: 1, max: 1_000_000 }, default: '2468' },
    'generated-root': { type: 'string', arg: 'DIR', description: 'where the generated set goes (epoch)', default: 'datasets/synthetic/modelnet40-size' },
  },
  examples: [
    ['bitpoint bench train --json', 'training steps per second of the reference workload, as JSON'],
    ['bitpoint bench infer --run runs/demo/pointnet-cls-binary-s1', 'inference time of a trained binary run on the packed engine'],
  ],
  async run(ctx) {
    const [which] = ctx.positionals;
    const { parseBackendRequest } = await import('../backend/select.ts');
    let result: Record<string, unknown>;
    if (which === 'train') {
      const { runTrainBenchmark, TRAIN_BENCHMARK_DEFAULTS: d } = await import('../bench/train.ts');
      result = await runTrainBenchmark({
        backend: parseBackendRequest(stringFlag(ctx, 'backend')),
        model: stringFlag(ctx, 'model') ?? d.model,
        compress: stringFlag(ctx, 'compress') ?? d.compress,
        batchSize: numberFlag(ctx, 'batch-size') ?? d.batchSize,
        points: numberFlag(ctx, 'points') ?? d.points,
        numClasses: d.numClasses,
        steps: numberFlag(ctx, 'steps') ?? d.steps,
        warmup: d.warmup,
        leakCheckSteps: numberFlag(ctx, 'leak-check-steps') ?? d.leakCheckSteps,
        workers: numberFlag(ctx, 'workers') ?? d.workers,
        gemmMs: numberFlag(ctx, 'gemm-ms') ?? d.gemmMs,
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
          train: numberFlag(ctx, 'train-size') ?? d.generated.train,
          test: numberFlag(ctx, 'test-size') ?? d.generated.test,
        },
        points: numberFlag(ctx, 'points') ?? d.points,
        batchSize: numberFlag(ctx, 'batch-size') ?? d.batchSize,
        workers: numberFlag(ctx, 'workers') ?? d.workers,
        maxSteps: numberFlag(ctx, 'max-steps'),
        log: ctx.log,
      });
    } else if (which === 'load') {
      const { runLoadBenchmark } = await import('../bench/load.ts');
      result = await runLoadBenchmark();
    } else if (which === 'infer') {
      const { runInferBenchmark, INFER_BENCHMARK_DEFAULTS: d } = await import('../bench/infer.ts');
      const kernels = stringFlag(ctx, 'kernels') ?? d.kernels;
      if (kernels !== 'auto' && kernels !== 'wasm' && kernels !== 'js') throw missing(benchCommand, `--kernels must be auto, wasm or js, got '${kernels}'`);
      result = await runInferBenchmark({
        backend: parseBackendRequest(stringFlag(ctx, 'backend')),
        model: stringFlag(ctx, 'model') ?? d.model,
        compress: stringFlag(ctx, 'compress') ?? d.compress,
        run: stringFlag(ctx, 'run'),
        points: numberFlag(ctx, 'points') ?? d.points,
        numClasses: d.numClasses,
        workers: numberFlag(ctx, 'workers') ?? d.workers,
        kernels,
        log: ctx.log,
      });
    } else if (which === 'queue') {
      const { runQueueBenchmark, QUEUE_BENCHMARK_DEFAULTS: d } = await import('../bench/queue.ts');
      result = await runQueueBenchmark({ pickups: numberFlag(ctx, 'steps') ?? d.pickups, runs: d.runs, log: ctx.log });
    } else {
      throw missing(benchCommand, 'say which benchmark: train, epoch, load, infer or queue');
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
