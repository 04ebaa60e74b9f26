import { booleanFlag, missing, numberFlag, stringFlag, type Command } from './command.ts';
import { BACKEND_FLAG, MODEL_NAMES, PRESET_NAMES } from './shared-flags.ts';

/**
 * `bitpoint bench <train|load|infer> [--json]`: performance targets as benchmarks that print JSON.
 * Never run from the test suite; figures in notes and the README come from here.
 */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Run a benchmark and print its figures (one JSON object with --json).',
  usage: 'bitpoint bench (train|load|infer) [flags]',
  flags: {
    model: { type: 'string', arg: 'NAME', description: 'model to time (train, infer)', values: MODEL_NAMES, default: 'pointnet-vanilla' },
    compress: { type: 'string', arg: 'POLICY', description: 'compression policy (infer)', values: PRESET_NAMES, open: 'or a policy file', default: 'bipointnet' },
    run: { type: 'string', arg: 'DIR', description: 'time a trained run instead of a fresh model (infer)' },
    kernels: { type: 'string', arg: 'WHICH', description: 'packed-engine kernels (infer)', values: ['auto', 'wasm', 'js'], default: 'auto' },
    'batch-size': { type: 'string', arg: 'N', description: 'samples per step (train)', number: { integer: true, min: 1, max: 65536 } },
    points: { type: 'string', arg: 'N', description: 'points per cloud', number: { integer: true, min: 1, max: 1_000_000 }, default: '1024' },
    steps: { type: 'string', arg: 'N', description: 'timed steps (train)', number: { integer: true, min: 1, max: 100_000 }, default: '5' },
    'leak-check-steps': { type: 'string', arg: 'N', description: 'extra steps that check the tensor count stays flat (train)', number: { integer: true, min: 0, max: 100_000 }, default: '0' },
    workers: { type: 'string', arg: 'N', description: 'worker threads', number: { integer: true, min: 0, max: 256 }, default: '1' },
    backend: BACKEND_FLAG,
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
      const { runTrainBenchmark, TRAIN_BENCHMARK_DEFAULTS: d } = await import('../../bench/train.ts');
      result = await runTrainBenchmark({
        backend: parseBackendRequest(stringFlag(ctx, 'backend')),
        model: stringFlag(ctx, 'model') ?? d.model,
        batchSize: numberFlag(ctx, 'batch-size') ?? d.batchSize,
        points: numberFlag(ctx, 'points') ?? d.points,
        numClasses: d.numClasses,
        steps: numberFlag(ctx, 'steps') ?? d.steps,
        warmup: d.warmup,
        leakCheckSteps: numberFlag(ctx, 'leak-check-steps') ?? d.leakCheckSteps,
        workers: numberFlag(ctx, 'workers') ?? d.workers,
        log: ctx.log,
      });
    } else if (which === 'load') {
      const { runLoadBenchmark } = await import('../../bench/load.ts');
      result = await runLoadBenchmark();
    } else if (which === 'infer') {
      const { runInferBenchmark, INFER_BENCHMARK_DEFAULTS: d } = await import('../../bench/infer.ts');
      const kernels = stringFlag(ctx, 'kernels') ?? d.kernels;
      result = await runInferBenchmark({
        backend: parseBackendRequest(stringFlag(ctx, 'backend')),
        model: stringFlag(ctx, 'model') ?? d.model,
        compress: stringFlag(ctx, 'compress') ?? d.compress,
        run: stringFlag(ctx, 'run'),
        points: numberFlag(ctx, 'points') ?? d.points,
        numClasses: d.numClasses,
        workers: numberFlag(ctx, 'workers') ?? d.workers,
        kernels: kernels as 'auto' | 'wasm' | 'js',
        log: ctx.log,
      });
    } else {
      throw missing(benchCommand, 'say which benchmark: train, load or infer');
    }
    if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify(result));
    else for (const [key, value] of Object.entries(result)) ctx.out(`${key}: ${Array.isArray(value) ? value.join(', ') : value}`);
    return 0;
  },
};
