import { booleanFlag, missing, numberOrWordFlag, stringFlag, type Command } from './command.ts';
import { BACKEND_FLAG, checkpointFlag, DATASET_NAMES } from './shared-flags.ts';
import { RUN_CONFIG_RANGES } from '../train/run-config-ranges.ts';
import { ProgressLine } from '../train/progress.ts';
import type { BackendInfo } from '../backend/select.ts';
import type { Model } from '../models/model.ts';
import type { ModelCard } from '../train/run-model.ts';
import type { RunConfig } from '../train/run-config.ts';
import type { Predictor } from '../train/evaluate.ts';

/**
 * `bitpoint eval --run DIR [--dataset D] [--checkpoint best|last] [--engine] [--json]`: evaluates a
 * trained run on the test split of its data set (or of another one in the same layout). With
 * `--engine`, the run is also exported to the packed format in memory and evaluated on the
 * bit-packed engine, with how often its predictions equal the tfjs model's and how far its logits are.
 */
export const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a trained run: accuracy and mean class accuracy, or part-segmentation mIoU; a confusion matrix.',
  usage: 'bitpoint eval --run DIR [flags]',
  flags: {
    run: { type: 'string', arg: 'DIR', description: 'a run folder written by bitpoint train (required)' },
    dataset: { type: 'string', arg: 'NAME', description: "test split to evaluate on", values: DATASET_NAMES, open: 'or a folder in the same layout', default: "the run's" },
    checkpoint: checkpointFlag('best'),
    engine: { type: 'boolean', description: 'also run the packed model on the bit-packed engine and compare it with the tfjs model' },
    workers: { type: 'string', arg: 'N', description: 'worker threads that share the evaluation batches (auto: one per extra core on wasm/cpu)', number: { integer: true, ...RUN_CONFIG_RANGES.workers, words: ['auto'] }, default: 'auto' },
    backend: BACKEND_FLAG,
  },
  examples: [
    ['bitpoint eval --run runs/pointnet', 'accuracy, mean class accuracy and the confusion matrix of the best checkpoint'],
    ['bitpoint eval --run runs/pointnet --checkpoint last --engine --json', 'the last checkpoint, also on the packed engine, as JSON'],
  ],
  async run(ctx) {
    const runDir = stringFlag(ctx, 'run');
    if (!runDir) throw missing(evalCommand, '--run DIR is required');
    const which = (stringFlag(ctx, 'checkpoint') ?? 'best') as 'best' | 'last';
    const { useBackend, parseBackendRequest } = await import('../backend/select.ts');
    const { loadRunModel } = await import('../train/run-model.ts');
    const { openDataset } = await import('../data/datasets/open.ts');
    const { evaluateDataset } = await import('../train/evaluate.ts');
    const { workerCount } = await import('../train/run.ts');
    const backend = await useBackend(parseBackendRequest(stringFlag(ctx, 'backend')));
    const { model, config, checkpoint, card } = await loadRunModel(runDir, which);
    const dataset = await openDataset(stringFlag(ctx, 'dataset') ?? config.dataset, { split: 'test', points: Math.max(config.points, 1024), logger: ctx.log });
    const workers = workerCount({ workers: (numberOrWordFlag(ctx, 'workers') ?? 'auto') as number | 'auto' }, backend);
    ctx.log(`evaluating ${checkpoint} on ${dataset.name} (${dataset.size} test samples) on ${backend.name}${workers > 0 ? ` with ${workers} worker threads` : ''}`);
    const predictor = await startPredictor(model, card, config, backend, workers);
    const tfjsLogits = new Map<string, Float32Array>();
    const progress = new ProgressLine('evaluating', Math.ceil(dataset.size / config.batchSize), ctx.log);
    let batches = 0;
    let evaluation;
    try {
      evaluation = await evaluateDataset(predictor.predict, dataset, {
        batchSize: config.batchSize,
        config,
        onBatch: (ids, values) => {
          ids.forEach((id, i) => tfjsLogits.set(id, values.slice((i * values.length) / ids.length, ((i + 1) * values.length) / ids.length)));
          progress.update(++batches, '');
        },
      });
      progress.finish(`${dataset.size} samples`);
    } finally {
      await predictor.close();
    }
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

/**
 * The model's evaluation-mode logits, on this thread or shared with worker threads holding
 * replicas (as training evaluates), so evaluation uses the cores training does.
 */
async function startPredictor(model: Model, card: ModelCard, config: RunConfig, backend: BackendInfo, workers: number): Promise<{ predict: Predictor; close: () => Promise<void> }> {
  const tf = await import('@tensorflow/tfjs-core');
  if (workers === 0) return { predict: (batch) => tf.tidy(() => model.forward({ inputs: batch.inputs, categories: batch.categories }).logits), close: async () => {} };
  const { DataParallel } = await import('../train/parallel/data-parallel.ts');
  const { Trainer } = await import('../train/trainer.ts');
  const { createOptimizer } = await import('../train/optimizers/index.ts');
  // the replicas run on this process's backend, whichever the run was trained on
  const replicaBackend = backend.name === 'tensorflow' ? (backend.requested === 'node-gpu' ? 'node-gpu' : 'node') : (backend.name as 'wasm' | 'cpu');
  const parallel = await DataParallel.start({ ...card.spec, backend: replicaBackend }, workers, model.parameters());
  const trainer = new Trainer(model, { optimizer: createOptimizer(config.optimizer), learningRate: () => 0 });
  return { predict: (batch) => parallel.predict(trainer, batch), close: () => parallel.close() };
}
