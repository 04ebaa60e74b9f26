import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { DataParallel, shardSizes } from '../../src/train/parallel/data-parallel.ts';
import type { ReplicaSpec } from '../../src/train/parallel/messages.ts';
import { buildReplicaModel } from '../../src/train/parallel/replica.ts';
import { createOptimizer } from '../../src/train/optimizers/index.ts';
import { reseedStochasticModules } from '../../src/train/stochastic.ts';
import { Trainer } from '../../src/train/trainer.ts';

/**
 * Data-parallel training computes what one process computes: BatchNorm statistics and their
 * gradients over the whole batch, the whole batch's dropout masks, quantizers initialized on the
 * whole first batch. So 0, 1 and 2 workers give the same losses, weights and predictions, up to
 * float summation order.
 */
type Spec = Omit<ReplicaSpec, 'replica'>;
/** Narrow encoder widths keep each run to a few seconds. */
const SMALL: [number[], number[]] = [[16, 16], [16, 32, 64]];

interface Outcome {
  losses: number[];
  parameters: Float32Array[];
  predictions: number[];
}

/** `steps` Adam updates of a fresh model on fixed batches, with `workers` workers (0: main thread alone). */
async function train(spec: Spec, workers: number, batches: Array<{ inputs: tf.Tensor; targets: tf.Tensor }>): Promise<Outcome> {
  const model = buildReplicaModel({ ...spec, replica: 0 });
  // SGD with momentum: Adam's first steps are ±lr for any gradient component above its ε, so it
  // turns float-order noise in components whose true gradient is 0 into full-size steps.
  const trainer = new Trainer(model, { optimizer: createOptimizer({ name: 'sgd', momentum: 0.9 }), learningRate: () => 0.01 });
  const parallel = workers > 0 ? await DataParallel.start(spec, workers, model.parameters()) : null;
  const losses: number[] = [];
  try {
    for (const batch of batches) {
      if (parallel) {
        const { gradients, loss } = await parallel.computeGradients(trainer, batch);
        trainer.applyGradients(gradients, loss);
        losses.push(loss);
      } else {
        reseedStochasticModules(model, spec.seed, trainer.step);
        losses.push(trainer.trainStep(batch).loss);
      }
    }
  } finally {
    await parallel?.close();
  }
  const logits = trainer.predict(batches[0]!);
  const predictions = [...(tf.tidy(() => tf.argMax(logits, -1)).dataSync() as Int32Array)];
  logits.dispose();
  // Every parameter, BatchNorm running statistics and quantizer state included.
  const parameters = model.parameters().map((p) => (p.variable.dataSync() as Float32Array).slice());
  model.dispose();
  return { losses, parameters, predictions };
}

function expectSameTraining(actual: Outcome, expected: Outcome): void {
  expect(actual.losses.length).toBe(expected.losses.length);
  actual.losses.forEach((loss, i) => expect(Math.abs(loss - expected.losses[i]!)).toBeLessThan(1e-4));
  expect(actual.predictions).toEqual(expected.predictions);
  actual.parameters.forEach((values, i) => {
    const reference = expected.parameters[i]!;
    let worst = 0;
    for (let j = 0; j < values.length; j++) worst = Math.max(worst, Math.abs(values[j]! - reference[j]!) / (1 + Math.abs(reference[j]!)));
    expect(worst).toBeLessThan(1e-4);
  });
}

describe('data parallelism over worker threads', () => {
  let batches: Array<{ inputs: tf.Tensor; targets: tf.Tensor }>;

  beforeAll(async () => {
    await useBackend('wasm');
    // Five samples: 2 workers split them 2/2/1, unevenly, as a real last shard can be.
    batches = [1, 2, 3].map((seed) => ({
      inputs: tf.randomNormal([5, 16, 3], 0, 1, 'float32', seed),
      targets: tf.tensor1d([0, 1, 2, 3, seed % 4], 'int32'),
    }));
  });

  afterAll(() => {
    for (const batch of batches) tf.dispose([batch.inputs, batch.targets]);
  });

  it('splits batches evenly, larger shards first', () => {
    expect(shardSizes(32, 2)).toEqual([16, 16]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
    expect(shardSizes(1, 2)).toEqual([1, 0]);
  });

  it('trains the same with 0, 1 and 2 workers (BatchNorm, dropout)', async () => {
    const spec: Spec = { model: 'pointnet', modelOptions: { numClasses: 4, dropout: 0.3, encoder: SMALL }, seed: 11, backend: 'wasm' };
    const alone = await train(spec, 0, batches);
    expectSameTraining(await train(spec, 1, batches), alone);
    expectSameTraining(await train(spec, 2, batches), alone);
  }, 600_000);

  it('initializes data-dependent quantizers on the whole first batch (LSQ 4-bit)', async () => {
    const spec: Spec = { model: 'pointnet-vanilla', modelOptions: { numClasses: 4, dropout: 0, encoder: SMALL }, compress: 'int4', seed: 3, backend: 'wasm' };
    const alone = await train(spec, 0, batches.slice(0, 2));
    expectSameTraining(await train(spec, 2, batches.slice(0, 2)), alone);
  }, 600_000);

  it('predicts in parallel with the same logits as the main thread alone', async () => {
    const spec: Spec = { model: 'pointnet-vanilla', modelOptions: { numClasses: 4, dropout: 0, encoder: SMALL }, seed: 11, backend: 'wasm' };
    const model = buildReplicaModel({ ...spec, replica: 0 });
    const trainer = new Trainer(model, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 1e-3 });
    const parallel = await DataParallel.start(spec, 1, model.parameters());
    try {
      const parallelLogits = await parallel.predict(trainer, batches[0]!);
      const single = trainer.predict(batches[0]!);
      expect(parallelLogits.shape).toEqual(single.shape);
      const a = parallelLogits.dataSync();
      const b = single.dataSync();
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
      tf.dispose([parallelLogits, single]);
    } finally {
      await parallel.close();
      model.dispose();
    }
  }, 600_000);
});
