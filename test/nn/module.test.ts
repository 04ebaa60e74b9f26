import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { BatchNorm } from '../../src/nn/layers/batch-norm.ts';
import { Dropout } from '../../src/nn/layers/dropout.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { QuantizedLayer } from '../../src/nn/layers/quantized-layer.ts';
import { IdentityQuantizer } from '../../src/nn/quantizer.ts';
import { createModel } from '../../src/models/registry.ts';
import { Rng } from '../../src/util/rng.ts';

describe('module system', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('names parameters hierarchically and separates trainable parameters from state', () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(1), numClasses: 10 });
    const names = model.namedParameters().map(([name]) => name);
    expect(names).toContain('encoder1.0.linear.weight');
    expect(names).toContain('encoder2.2.bn.runningVar');
    expect(names).toContain('head.classifier.bias');
    expect(model.getModule(model.firstLayer)).toBeInstanceOf(QuantizedLayer);
    expect(model.getModule(model.lastLayer)).toBeInstanceOf(QuantizedLayer);
    const state = model.parameters().filter((p) => !p.trainable).map((p) => p.path);
    expect(state.every((path) => /running(Mean|Var)$/.test(path))).toBe(true);
    // Layers followed by BatchNorm have no bias (it would be cancelled); the classifier has one.
    expect(names).not.toContain('encoder1.0.linear.bias');
  });

  it('every weight layer starts with identity quantizers and no mask', () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(1), numClasses: 10 });
    const layers = model.weightLayers();
    expect(layers.map(([name]) => name)).toEqual([
      'encoder1.0.linear',
      'encoder1.1.linear',
      'encoder2.0.linear',
      'encoder2.1.linear',
      'encoder2.2.linear',
      'head.fc1.linear',
      'head.fc2.linear',
      'head.classifier',
    ]);
    for (const [, layer] of layers) {
      expect(layer.weightQuantizer).toBeInstanceOf(IdentityQuantizer);
      expect(layer.inputQuantizer).toBeInstanceOf(IdentityQuantizer);
      expect(layer.mask).toBeNull();
    }
  });

  it('train/eval mode propagates; BatchNorm uses batch statistics in training and running ones in eval', () => {
    const bn = new BatchNorm(2, { momentum: 0.5 });
    const x = tf.tensor2d([
      [1, 10],
      [3, 30],
    ]);
    const trained = bn.forward(x).arraySync() as number[][];
    expect(trained[0]![0]).toBeCloseTo(-1, 3);
    expect(trained[1]![1]).toBeCloseTo(1, 3);
    // running mean after one step with momentum 0.5: 0.5·0 + 0.5·[2, 20]; unbiased var [2, 200]
    expect(Array.from(bn.runningMean.variable.dataSync())).toEqual([1, 10]);
    expect(Array.from(bn.runningVar.variable.dataSync()).map((v) => Number(v.toFixed(4)))).toEqual([1.5, 100.5]);
    bn.eval();
    expect(bn.training).toBe(false);
    const evaluated = bn.forward(x).arraySync() as number[][];
    expect(evaluated[0]![0]).toBeCloseTo((1 - 1) / Math.sqrt(1.5 + 1e-5), 4);
  });

  it('masks keep pruned latent weights at zero in the forward pass', () => {
    const layer = new Linear(3, 2, { rng: new Rng(2) });
    layer.setMask(tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
    ]));
    const w = layer.weight.variable.arraySync() as number[][];
    expect(w[0]![1]).toBe(0);
    expect(w[1]![0]).toBe(0);
    expect(() => layer.setMask(tf.ones([2, 2]))).toThrow(/does not match/);
  });

  it('dropout is the identity in eval and keeps the expected value in training', () => {
    const dropout = new Dropout(0.5, new Rng(3));
    const x = tf.ones([4000]);
    const y = dropout.forward(x).dataSync();
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / y.length).toBeGreaterThan(0.45);
    expect(zeros / y.length).toBeLessThan(0.55);
    expect(y.filter((v) => v !== 0).every((v) => v === 2)).toBe(true);
    dropout.eval();
    expect(dropout.forward(x)).toBe(x);
  });
});
