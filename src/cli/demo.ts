import { join } from 'node:path';
import { booleanFlag, numberFlag, stringFlag, type Command } from './command.ts';

/**
 * `bitpoint demo` (the README's main job): generates the default data if missing and trains a
 * full-precision vanilla PointNet on the generated classification set, printing what it reached
 * and where everything was written.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'Generate the default data (if missing) and train a small model on it; results in runs/demo/.',
  usage: 'bitpoint demo [--epochs N] [--out DIR] [--backend B] [--json]',
  flags: {
    epochs: { type: 'string' },
    out: { type: 'string' },
  },
  async run(ctx) {
    const { parseRunConfig } = await import('../train/run-config.ts');
    const { runTraining } = await import('../train/run.ts');
    const out = stringFlag(ctx, 'out') ?? join('runs', 'demo');
    const config = parseRunConfig({
      name: 'demo-pointnet-fp',
      model: 'pointnet-vanilla',
      dataset: 'synth-cls',
      points: 512,
      epochs: numberFlag(ctx, 'epochs', { integer: true, min: 1 }) ?? 8,
      batchSize: 32,
      backend: stringFlag(ctx, 'backend') ?? 'auto',
      seed: 1,
    });
    const runDir = join(out, config.name);
    ctx.log(`bitpoint demo: training ${config.model} on ${config.dataset} (${config.points} points, ${config.epochs} epochs) into ${runDir}`);
    const result = await runTraining(config, { outDir: runDir, log: ctx.log, resume: true });
    const accuracy = ((result.final.overall_accuracy ?? 0) * 100).toFixed(2);
    if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify({ run: runDir, ...result.final, duration_s: result.duration_s }));
    else ctx.out(`demo: ${config.model} full precision on ${config.dataset}: test accuracy ${accuracy} % after ${config.epochs} epochs (${result.duration_s.toFixed(0)} s)\nrun folder: ${runDir}`);
    return 0;
  },
};
