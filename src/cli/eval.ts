import { booleanFlag, stringFlag, type Command } from './command.ts';
import { UsageError } from '../util/errors.ts';

/**
 * `bitpoint eval --run DIR [--dataset D] [--checkpoint best|last] [--engine] [--json]`: evaluates a
 * trained run on the test split of its data set (or of another one in the same layout). With
 * `--engine`, the run is also exported to the packed format in memory and evaluated on the
 * bit-packed engine, with how often its predictions equal the tfjs model's and how far its logits are.
 */
export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a trained run: accuracy and mean class accuracy, or part-segmentation mIoU; a confusion matrix.',
  usage: 'bitpoint eval --run DIR [--dataset D] [--checkpoint best|last] [--engine] [--backend B] [--json]',
  flags: {
    run: { type: 'string' },
    dataset: { type: 'string' },
    checkpoint: { type: 'string' },
    engine: { type: 'boolean' },
  },
  async run(ctx) {
    const runDir = stringFlag(ctx, 'run');
    if (!runDir) throw new UsageError(`eval: --run DIR is required\nusage: ${evalCommand.usage}`);
    const which = stringFlag(ctx, 'checkpoint') ?? 'best';
    if (which !== 'best' && which !== 'last') throw new UsageError(`--checkpoint must be best or last, got '${which}'`);
    const { useBackend, parseBackendRequest } = await import('../backend/select.ts');
    const { loadRunModel } = await import('../train/run-model.ts');
    const { openDataset } = await import('../data/datasets/open.ts');
    const { evaluateDataset } = await import('../train/evaluate.ts');
    const tf = await import('@tensorflow/tfjs-core');
    await useBackend(parseBackendRequest(stringFlag(ctx, 'backend')));
    const { model, config, checkpoint, card } = await loadRunModel(runDir, which);
    const dataset = await openDataset(stringFlag(ctx, 'dataset') ?? config.dataset, { split: 'test', points: Math.max(config.points, 1024), logger: ctx.log });
    ctx.log(`evaluating ${checkpoint} on ${dataset.name} (${dataset.size} test samples)`);
    const tfjsLogits = new Map<string, Float32Array>();
    const evaluation = await evaluateDataset(
      (batch) => tf.tidy(() => model.forward({ inputs: batch.inputs, categories: batch.categories }).logits),
      dataset,
      { batchSize: config.batchSize, config, onBatch: (ids, values) => ids.forEach((id, i) => tfjsLogits.set(id, values.slice((i * values.length) / ids.length, ((i + 1) * values.length) / ids.length))) },
    );
    let engine: object | undefined;
    if (booleanFlag(ctx, 'engine')) {
      const { compareWithEngine } = await import('../deploy/engine/compare.ts');
      engine = await compareWithEngine(model, card, dataset, config, tfjsLogits);
    }
    if (booleanFlag(ctx, 'json')) {
      ctx.out(JSON.stringify({ run: runDir, checkpoint, dataset: dataset.name, ...evaluation, ...(engine ? { engine } : {}) }));
      return 0;
    }
    if (engine) ctx.log(`engine: ${JSON.stringify(engine)}`);
    const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)} %`);
    if (evaluation.task === 'segmentation') {
      ctx.out(`instance mIoU ${pct(evaluation.instance_miou)}  class mIoU ${pct(evaluation.class_miou)}  point accuracy ${pct(evaluation.point_accuracy)}`);
      for (const [name, value] of Object.entries(evaluation.category_miou ?? {})) ctx.out(`  ${name.padEnd(16)} ${pct(value)}`);
    } else {
      ctx.out(`overall accuracy ${pct(evaluation.overall_accuracy)}  mean class accuracy ${pct(evaluation.mean_class_accuracy)}  (${evaluation.samples} samples)`);
      const names = evaluation.class_names ?? [];
      const width = Math.max(6, ...names.map((n) => n.length));
      ctx.out(`confusion matrix (rows: truth, columns: prediction)`);
      ctx.out(`${''.padEnd(width)} ${names.map((_, i) => String(i).padStart(4)).join('')}`);
      (evaluation.confusion_matrix ?? []).forEach((row, i) => ctx.out(`${(names[i] ?? String(i)).padEnd(width)} ${row.map((v) => String(v).padStart(4)).join('')}`));
    }
    return 0;
  },
};
