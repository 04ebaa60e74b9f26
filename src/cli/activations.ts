import { booleanFlag, missing, stringFlag, type Command } from './command.ts';
import { BACKEND_FLAG, checkpointFlag } from './shared-flags.ts';

/**
 * `bitpoint activations --run DIR [--split test|train] [--checkpoint best|last] [--json]`: runs a
 * trained model over a split of its data set (without augmentation) and reports, for every
 * quantized layer input, how its grid fits the values (src/compress/activation-stats.ts): for
 * k-bit inputs the step, codes in use, distinct codes and spread per channel, clipping; for sign
 * inputs the share of +1 and the entropy per channel. The accuracy of the pass comes with it.
 */
export const activationsCommand: Command = {
  name: 'activations',
  summary: 'How the quantized inputs of a trained run fill their grids: codes used, spread per channel, clipping, sign entropy.',
  usage: 'bitpoint activations --run DIR [flags]',
  flags: {
    run: { type: 'string', arg: 'DIR', description: 'a run folder written by bitpoint train (required)' },
    split: { type: 'string', arg: 'SPLIT', description: 'the split to run over (no augmentation)', values: ['test', 'train'], default: 'test' },
    checkpoint: checkpointFlag('last'),
    backend: BACKEND_FLAG,
  },
  examples: [['bitpoint activations --run runs/demo/pointnet-cls-int4-s1', 'how the 4-bit activations of a trained run use their 16 codes']],
  async run(ctx) {
    const runDir = stringFlag(ctx, 'run');
    if (!runDir) throw missing(activationsCommand, '--run DIR is required');
    const which = (stringFlag(ctx, 'checkpoint') ?? 'last') as 'best' | 'last';
    const split = (stringFlag(ctx, 'split') ?? 'test') as 'test' | 'train';
    const { useBackend, parseBackendRequest } = await import('../backend/select.ts');
    const { loadRunModel } = await import('../train/run-model.ts');
    const { openDataset } = await import('../data/datasets/open.ts');
    const { evaluateDataset } = await import('../train/evaluate.ts');
    const { ActivationStats, formatActivationStats } = await import('../compress/activation-stats.ts');
    const tf = await import('@tensorflow/tfjs-core');
    await useBackend(parseBackendRequest(stringFlag(ctx, 'backend')));
    const { model, config, checkpoint } = await loadRunModel(runDir, which);
    // the points per cloud `bitpoint eval` tests with, so the accuracy here is the same
    const dataset = await openDataset(config.dataset, { split, points: Math.max(config.points, 1024), logger: ctx.log });
    ctx.log(`running ${checkpoint} over ${dataset.name} (${dataset.size} ${split} samples)`);
    const stats = new ActivationStats(model);
    const evaluation = await evaluateDataset((batch) => tf.tidy(() => model.forward({ inputs: batch.inputs, categories: batch.categories }).logits), dataset, {
      batchSize: config.batchSize,
      config,
    });
    const layers = stats.finish();
    const accuracy = evaluation.task === 'segmentation' ? { instance_miou: evaluation.instance_miou } : { overall_accuracy: evaluation.overall_accuracy };
    if (booleanFlag(ctx, 'json')) {
      ctx.out(JSON.stringify({ run: runDir, checkpoint, split, samples: evaluation.samples, ...accuracy, layers }));
      return 0;
    }
    ctx.out(formatActivationStats(layers));
    ctx.out(`(${evaluation.samples} ${split} samples; ${Object.entries(accuracy).map(([k, v]) => `${k} ${((v ?? 0) * 100).toFixed(2)} %`).join(', ')})`);
    return 0;
  },
};
