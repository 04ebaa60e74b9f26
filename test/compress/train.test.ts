import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { LayerScaleRecovery } from '../../src/compress/output-scale.ts';
import { applyPolicy } from '../../src/compress/policy.ts';
import { maskSparsity } from '../../src/compress/prune/masks.ts';
import { FlipRatio } from '../../src/compress/quantizers/flip-ratio.ts';
import { resolvePolicy } from '../../src/compress/resolve.ts';
import { createModel } from '../../src/models/registry.ts';
import { createOptimizer } from '../../src/train/optimizers/index.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { Rng } from '../../src/util/rng.ts';

/** A small batch the model can overfit: 4 classes, 8 clouds of 16 points. */
function randomBatch(seed: number) {
  return {
    inputs: tf.randomNormal([8, 16, 3], 0, 1, 'float32', seed),
    targets: tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'),
  };
}

describe('compressed training end to end', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('bipointnet (+ pruning) trains with Adam: loss falls, masks stay zero, LSR initialized, memory flat', () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(11), numClasses: 4, dropout: 0 });
    applyPolicy(model, resolvePolicy({ extends: 'bipointnet', layers: [{ match: 'head.fc1.linear', prune: { sparsity: 0.5 } }] }));
    const flips = new FlipRatio(model);
    flips.update();
    const trainer = new Trainer(model, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 0.001 });
    const batch = randomBatch(1);
    const losses: number[] = [trainer.trainStep(batch).loss];
    const tensorsAfterFirst = tf.memory().numTensors;
    for (let i = 0; i < 11; i++) losses.push(trainer.trainStep(batch).loss);
    expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(Math.min(...losses.slice(-3))).toBeLessThan(losses[0]! * 0.8);
    const scales = model.namedModules().filter(([, m]) => m instanceof LayerScaleRecovery) as Array<[string, LayerScaleRecovery]>;
    expect(scales).toHaveLength(6);
    for (const [, lsr] of scales) expect(lsr.initialized).toBe(true);
    const fc1 = model.weightLayers().find(([name]) => name === 'head.fc1.linear')![1];
    expect(maskSparsity(fc1)).toBe(0.5);
    const mask = fc1.mask!.variable.dataSync();
    const weights = fc1.weight.variable.dataSync();
    let leaked = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 0 && weights[i] !== 0) leaked++;
    expect(leaked).toBe(0);
    const flipped = flips.update();
    expect(flipped.total).toBeGreaterThan(0);
    expect(flipped.total).toBeLessThan(0.5);
    flips.dispose();
    model.dispose();
  });

  it('gradual pruning through the Trainer’s afterUpdate reaches the target', () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(12), numClasses: 4, dropout: 0 });
    const report = applyPolicy(model, resolvePolicy('prune-80'), { totalSteps: 10 });
    const schedule = report.pruningSchedule!;
    const trainer = new Trainer(model, {
      optimizer: createOptimizer({ name: 'adam' }),
      learningRate: () => 0.005,
      afterUpdate: (step) => schedule.afterUpdate(step),
    });
    const batch = randomBatch(2);
    const sparsity: number[] = [];
    const layer = model.weightLayers()[3]![1];
    for (let i = 0; i < 7; i++) {
      trainer.trainStep(batch);
      sparsity.push(maskSparsity(layer));
    }
    // begin 10% (step 1), end 60% (step 6): rising, then 0.8
    expect(sparsity[0]).toBe(0);
    expect(sparsity.slice(1, 5).every((s, i) => s >= sparsity[i]!)).toBe(true);
    expect(sparsity[6]).toBeCloseTo(0.8, 3);
    const weights = layer.weight.variable.dataSync();
    const mask = layer.mask!.variable.dataSync();
    let leaked = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 0 && weights[i] !== 0) leaked++;
    expect(leaked).toBe(0);
    model.dispose();
  });

  it('int4, ternary-ttq, xnor-ema and binary-ema train a few steps without NaN and with falling loss', () => {
    for (const name of ['int4', 'ternary-ttq', 'xnor-ema', 'binary-ema']) {
      const model = createModel('pointnet-vanilla', { rng: new Rng(13), numClasses: 4, dropout: 0 });
      applyPolicy(model, resolvePolicy(name));
      const trainer = new Trainer(model, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 0.001 });
      const batch = randomBatch(3);
      const losses = Array.from({ length: 6 }, () => trainer.trainStep(batch).loss);
      expect(losses.every(Number.isFinite), name).toBe(true);
      expect(Math.min(...losses.slice(-2)), name).toBeLessThan(losses[0]!);
      model.dispose();
    }
  });

  it('without EMA, sign(max) is +1 everywhere: the binary baseline cannot leave ln K', () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(14), numClasses: 4, dropout: 0 });
    applyPolicy(model, resolvePolicy('binary'));
    const trainer = new Trainer(model, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 0.001 });
    const batch = randomBatch(4);
    for (let i = 0; i < 3; i++) expect(trainer.trainStep(batch).loss).toBeCloseTo(Math.log(4), 3);
    model.dispose();
  });
});
