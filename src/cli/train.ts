import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, UsageError } from '../util/errors.ts';
import { booleanFlag, numberFlag, stringFlag, type Command } from './command.ts';

/**
 * `bitpoint train`: one training run from a JSON config, flags, or both (flags override the file).
 * Ctrl-C saves a checkpoint after the current step; `--resume` continues from it.
 */
export const trainCommand: Command = {
  name: 'train',
  summary: 'Train a model; writes runs/<name>/ (config, environment, metrics.jsonl, checkpoints, result.json).',
  usage:
    'bitpoint train [--config FILE] [--model M] [--dataset D] [--compress P] [--epochs N] [--batch-size N] [--points N] ' +
    '[--optimizer adam|sgd] [--lr X] [--schedule cosine|step|constant] [--seed N] [--backend B] [--workers N] [--validation F] [--init-from RUN[:best|last]] [--distill RUN[:best|last]] [--name NAME] [--out DIR] [--resume] [--json]',
  flags: {
    config: { type: 'string' },
    model: { type: 'string' },
    dataset: { type: 'string' },
    compress: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    points: { type: 'string' },
    optimizer: { type: 'string' },
    lr: { type: 'string' },
    schedule: { type: 'string' },
    seed: { type: 'string' },
    workers: { type: 'string' },
    validation: { type: 'string' },
    'init-from': { type: 'string' },
    distill: { type: 'string' },
    name: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
  },
  async run(ctx) {
    const { parseRunConfig } = await import('../train/run-config.ts');
    const { runTraining, InterruptedError } = await import('../train/run.ts');
    const configFile = stringFlag(ctx, 'config');
    let raw: Record<string, unknown> = {};
    if (configFile) raw = readJsonObject(configFile);
    const out = stringFlag(ctx, 'out');
    if (!configFile && !stringFlag(ctx, 'model') && !(ctx.flags['resume'] && out)) {
      throw new UsageError(`train: give --config FILE or --model NAME\nusage: ${trainCommand.usage}`);
    }
    if (booleanFlag(ctx, 'resume') && out && !configFile && existsSync(join(out, 'config.json'))) raw = readJsonObject(join(out, 'config.json'));
    const set = (key: string, value: unknown) => {
      if (value !== undefined) raw[key] = value;
    };
    set('model', stringFlag(ctx, 'model'));
    set('dataset', stringFlag(ctx, 'dataset'));
    set('compress', stringFlag(ctx, 'compress'));
    set('epochs', numberFlag(ctx, 'epochs', { integer: true, min: 1 }));
    set('batchSize', numberFlag(ctx, 'batch-size', { integer: true, min: 1 }));
    set('points', numberFlag(ctx, 'points', { integer: true, min: 1 }));
    set('seed', numberFlag(ctx, 'seed', { integer: true, min: 0 }));
    set('backend', stringFlag(ctx, 'backend'));
    set('name', stringFlag(ctx, 'name'));
    set('initFrom', stringFlag(ctx, 'init-from'));
    set('distill', stringFlag(ctx, 'distill'));
    set('validation', numberFlag(ctx, 'validation', { min: 0 }));
    const workers = stringFlag(ctx, 'workers');
    if (workers !== undefined) set('workers', workers === 'auto' ? 'auto' : numberFlag(ctx, 'workers', { integer: true, min: 0 }));
    const optimizer = stringFlag(ctx, 'optimizer');
    if (optimizer) raw['optimizer'] = { ...(typeof raw['optimizer'] === 'object' ? (raw['optimizer'] as object) : {}), name: optimizer };
    const lr = numberFlag(ctx, 'lr', { min: 0 });
    const scheduleName = stringFlag(ctx, 'schedule');
    if (lr !== undefined || scheduleName) {
      const previous = typeof raw['schedule'] === 'object' && raw['schedule'] ? (raw['schedule'] as Record<string, unknown>) : { name: 'cosine', lr: 0.001 };
      const schedule: Record<string, unknown> = { ...previous };
      if (scheduleName) schedule['name'] = scheduleName;
      if (lr !== undefined) schedule['lr'] = lr;
      if (schedule['name'] === 'cosine' && schedule['epochs'] === undefined) schedule['epochs'] = raw['epochs'] ?? 20;
      if (schedule['name'] === 'step' && schedule['everyEpochs'] === undefined) schedule['everyEpochs'] = 20;
      raw['schedule'] = schedule;
    }
    const config = parseRunConfig(raw);
    const outDir = out ?? join('runs', config.name);

    const controller = new AbortController();
    const onInterrupt = () => {
      if (controller.signal.aborted) process.exit(130);
      ctx.log('\ninterrupt: saving a checkpoint after this step (press Ctrl-C again to quit at once)');
      controller.abort();
    };
    process.on('SIGINT', onInterrupt);
    try {
      const result = await runTraining(config, { outDir, resume: booleanFlag(ctx, 'resume'), log: ctx.log, signal: controller.signal });
      if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify({ run: outDir, ...result.final, best: result.best, duration_s: result.duration_s }));
      else {
        const validation = result.final_validation ? `; validation ${describeFinal(result.final_validation)}` : '';
        ctx.out(`run ${outDir}: test ${describeFinal(result.final)}${validation} (best epoch ${result.best.epoch + 1} on ${result.best.on ?? 'test'}), ${result.duration_s.toFixed(0)} s`);
      }
      return 0;
    } catch (error) {
      if (error instanceof InterruptedError) {
        ctx.log(error.message);
        return 130;
      }
      throw error;
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  },
};

function describeFinal(final: { task: string; overall_accuracy?: number; mean_class_accuracy?: number; instance_miou?: number; class_miou?: number }): string {
  if (final.task === 'segmentation') return `instance mIoU ${pct(final.instance_miou)}, class mIoU ${pct(final.class_miou)}`;
  return `accuracy ${pct(final.overall_accuracy)}, mean class accuracy ${pct(final.mean_class_accuracy)}`;
}

function pct(value: number | undefined): string {
  return value === undefined ? '-' : `${(value * 100).toFixed(2)} %`;
}

function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError('', `${file} is not valid JSON: ${(error as Error).message}`);
  }
}
