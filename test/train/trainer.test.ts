import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { createModel } from '../../src/models/registry.ts';
import { createOptimizer } from '../../src/train/optimizers/index.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { TrainingError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

describe('Trainer', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  const makeTrainer = (seed: number) =>
    new Trainer(createModel('pointnet-vanilla', { rng: new Rng(seed), numClasses: 4, dropout: 0 }), {
      optimizer: createOptimizer({ name: 'adam' }),
      learningRate: () => 1e-3,
    });

  it('same seed and backend give the same losses', () => {
    const batch = { inputs: tf.randomNormal([4, 32, 3], 0, 1, 'float32', 1), targets: tf.tensor1d([0, 1, 2, 3], 'int32') };
    const losses = (trainer: Trainer) => [0, 1, 2].map(() => trainer.trainStep(batch).loss);
    const a = losses(makeTrainer(3));
    const b = losses(makeTrainer(3));
    expect(a).toEqual(b);
    expect(a[2]).toBeLessThan(a[0]!);
    expect(losses(makeTrainer(4))).not.toEqual(a);
  });

  it('keeps the number of tensors flat from step to step', () => {
    const trainer = makeTrainer(1);
    const batch = { inputs: tf.randomNormal([4, 32, 3], 0, 1, 'float32', 2), targets: tf.tensor1d([0, 1, 2, 3], 'int32') };
    trainer.trainStep(batch);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) trainer.trainStep(batch);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops on a NaN loss, naming the step and the last finite loss', () => {
    const trainer = makeTrainer(2);
    const good = { inputs: tf.randomNormal([4, 32, 3], 0, 1, 'float32', 3), targets: tf.tensor1d([0, 1, 2, 3], 'int32') };
    trainer.trainStep(good);
    const last = trainer.trainStep(good).loss;
    const bad = { inputs: tf.fill([4, 32, 3], Number.NaN), targets: good.targets };
    let error: unknown;
    try {
      trainer.trainStep(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainingError);
    expect((error as Error).message).toBe(`loss became NaN at step 3; last finite loss: ${last}`);
    expect(trainer.step).toBe(2);
  });
});
