import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { DataParallel, shardSizes } from '../../src/train/parallel/data-parallel.ts';
import { buildReplicaModel } from '../../src/train/parallel/replica.ts';
import { createOptimizer } from '../../src/train/optimizers/index.ts';
import { Trainer } from '../../src/train/trainer.ts';

describe('data parallelism over worker threads', () => {
  const spec = { model: 'pointnet-vanilla', modelOptions: { numClasses: 5, dropout: 0 }, seed: 11, backend: 'wasm' as const };
  let parallel: DataParallel;
  let trainer: Trainer;
  let batch: { inputs: tf.Tensor; targets: tf.Tensor };

  beforeAll(async () => {
    await useBackend('wasm');
    const model = buildReplicaModel({ ...spec, replica: 0 });
    trainer = new Trainer(model, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 1e-3 });
    parallel = await DataParallel.start(spec, 1, model.parameters());
    batch = { inputs: tf.randomNormal([6, 64, 3], 0, 1, 'float32', 3), targets: tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32') };
  });

  afterAll(async () => {
    await parallel?.close();
  });

  it('splits batches evenly, larger shards first', () => {
    expect(shardSizes(32, 2)).toEqual([16, 16]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
    expect(shardSizes(1, 2)).toEqual([1, 0]);
  });

  it('averages shard gradients: equal to computing both shards on the main thread', async () => {
    const stateBefore = trainer.model.parameters().filter((p) => !p.trainable).map((p) => (p.variable.dataSync() as Float32Array).slice());
    const combined = await parallel.computeGradients(trainer, batch);
    // Undo the running-statistics update so the sequential reference starts from the same state.
    trainer.model.parameters().filter((p) => !p.trainable).forEach((p, i) => p.assign(tf.tensor(stateBefore[i]!, p.shape)));
    const first = trainer.computeGradients({ inputs: tf.slice(batch.inputs, 0, 3), targets: tf.slice(batch.targets, 0, 3) });
    const second = trainer.computeGradients({ inputs: tf.slice(batch.inputs, 3, 3), targets: tf.slice(batch.targets, 3, 3) });
    expect(combined.count).toBe(6);
    expect(combined.loss).toBeCloseTo((first.loss + second.loss) / 2, 5);
    expect([...combined.gradients.keys()].sort()).toEqual([...first.gradients.keys()].sort());
    for (const [path, grad] of combined.gradients) {
      const expected = tf.tidy(() => tf.mul(tf.add(first.gradients.get(path)!, second.gradients.get(path)!), 0.5).dataSync());
      const actual = grad.dataSync();
      for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 5);
    }
    tf.dispose([...combined.gradients.values(), ...first.gradients.values(), ...second.gradients.values()]);
  });

  it('predicts in parallel with the same logits as the main thread alone', async () => {
    const parallelLogits = await parallel.predict(trainer, batch);
    const single = trainer.predict(batch);
    const a = parallelLogits.dataSync();
    const b = single.dataSync();
    expect(parallelLogits.shape).toEqual(single.shape);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
    tf.dispose([parallelLogits, single]);
  });
});
