import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { booleanFlag, missing, numberFlag, numberOrWordFlag, stringFlag, type Command } from './command.ts';
import { BACKEND_FLAG, DATASET_NAMES, MODEL_NAMES, PRESET_NAMES } from './shared-flags.ts';
import { RUN_CONFIG_RANGES as RANGES } from '../train/run-config-ranges.ts';

const OPTIMIZERS = async () => (await import('../train/optimizers/index.ts')).OPTIMIZER_NAMES;
const SCHEDULES = async () => (await import('../train/schedules.ts')).SCHEDULE_NAMES;

/**
 * `bitpoint train`: one training run from a JSON config, flags, or both (flags override the file).
 * Ctrl-C saves a checkpoint after the current step; `--resume` continues from it.
 */
export const trainCommand: Command = {
  name: 'train',
  summary: 'Train a model; writes runs/<name>/ (config, environment, metrics.jsonl, checkpoints, result.json).',
  usage: 'bitpoint train (--config FILE | --model NAME | --resume --out DIR) [flags]',
  flags: {
    config: { type: 'string', arg: 'FILE', description: 'run config (JSON; schema: schemas/run-config.schema.json); flags override its keys' },
    model: { type: 'string', arg: 'NAME', description: 'the model to train', values: MODEL_NAMES },
    dataset: { type: 'string', arg: 'NAME', description: 'training data', values: DATASET_NAMES, open: 'or a data set folder', default: 'mnist for mnist-*, synth-seg for *-seg, else synth-cls' },
    compress: { type: 'string', arg: 'POLICY', description: 'compression policy', values: PRESET_NAMES, open: 'or a policy file', default: 'fp' },
    epochs: { type: 'string', arg: 'N', description: 'passes over the training split', number: { integer: true, ...RANGES.epochs }, default: '20' },
    'batch-size': { type: 'string', arg: 'N', description: 'samples per step', number: { integer: true, ...RANGES.batchSize }, default: '32' },
    points: { type: 'string', arg: 'N', description: 'points sampled per cloud', number: { integer: true, ...RANGES.points }, default: '1024' },
    optimizer: { type: 'string', arg: 'NAME', description: 'optimizer', values: OPTIMIZERS, default: 'adam' },
    lr: { type: 'string', arg: 'X', description: 'learning rate (peak of the schedule)', number: RANGES.lr, default: '0.001' },
    schedule: { type: 'string', arg: 'NAME', description: 'learning-rate schedule (cosine decays over the run)', values: SCHEDULES, default: 'cosine' },
    seed: { type: 'string', arg: 'N', description: 'random seed (initialization, batches, augmentation)', number: { integer: true, ...RANGES.seed }, default: '1' },
    backend: BACKEND_FLAG,
    workers: { type: 'string', arg: 'N', description: 'worker threads for data parallelism (auto: one per extra core on wasm/cpu)', number: { integer: true, ...RANGES.workers, words: ['auto'] }, default: 'auto' },
    validation: { type: 'string', arg: 'F', description: 'fraction of the training split held out to choose the best checkpoint on', number: RANGES.validation, default: 'none (best on test)' },
    'init-from': { type: 'string', arg: 'RUN[:best|last]', description: "start from another run's weights (fine-tuning)" },
    distill: { type: 'string', arg: 'RUN[:best|last]', description: 'distill from a trained teacher run' },
    name: { type: 'string', arg: 'NAME', description: 'run name (letters, digits, . _ - ; at most 100 characters)', default: 'the model name' },
    out: { type: 'string', arg: 'DIR', description: 'run folder', default: 'runs/<name>' },
    resume: { type: 'boolean', description: "continue the run in --out from its last checkpoint (Ctrl-C saves one)" },
  },
  examples: [
    ['bitpoint train --model pointnet --compress binary-bipointnet --epochs 40', 'a BiPointNet-style binary PointNet on synth-cls, into runs/pointnet/'],
    ['bitpoint train --config run.json --seed 2 --name fp-seed2', 'a run config from a file, with two keys overridden'],
    ['bitpoint train --resume --out runs/pointnet', 'continue an interrupted run'],
  ],
  async run(ctx) {
    const { parseRunConfig } = await import('../train/run-config.ts');
    const { runTraining, InterruptedError } = await import('../train/run.ts');
    const configFile = stringFlag(ctx, 'config');
    let raw: Record<string, unknown> = {};
    if (configFile) raw = readJsonObject(configFile);
    const out = stringFlag(ctx, 'out');
    if (!configFile && !stringFlag(ctx, 'model') && !(ctx.flags['resume'] && out)) {
      throw missing(trainCommand, 'give --config FILE or --model NAME (or --resume with --out DIR)');
    }
    if (booleanFlag(ctx, 'resume') && out && !configFile && existsSync(join(out, 'config.json'))) raw = readJsonObject(join(out, 'config.json'));
    const set = (key: string, value: unknown) => {
      if (value !== undefined) raw[key] = value;
    };
    set('model', stringFlag(ctx, 'model'));
    set('dataset', stringFlag(ctx, 'dataset'));
    set('compress', stringFlag(ctx, 'compress'));
    set('epochs', numberFlag(ctx, 'epochs'));
    set('batchSize', numberFlag(ctx, 'batch-size'));
    set('points', numberFlag(ctx, 'points'));
    set('seed', numberFlag(ctx, 'seed'));
    set('backend', stringFlag(ctx, 'backend'));
    set('name', stringFlag(ctx, 'name'));
    set('initFrom', stringFlag(ctx, 'init-from'));
    set('distill', stringFlag(ctx, 'distill'));
    set('validation', numberFlag(ctx, 'validation'));
    set('workers', numberOrWordFlag(ctx, 'workers'));
    const optimizer = stringFlag(ctx, 'optimizer');
    if (optimizer) raw['optimizer'] = { ...(typeof raw['optimizer'] === 'object' ? (raw['optimizer'] as object) : {}), name: optimizer };
    const lr = numberFlag(ctx, 'lr');
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
  const value = readJsonFile(file);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FormatError(file, 'must hold one JSON object (a run config)');
  return value as Record<string, unknown>;
}
