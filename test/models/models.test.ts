import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import type { Model } from '../../src/models/model.ts';
import { createModel, modelNames, type ModelOptions } from '../../src/models/registry.ts';
import type { PointNet } from '../../src/models/pointnet.ts';
import { QuantizedLayer } from '../../src/nn/layers/quantized-layer.ts';
import { createOptimizer } from '../../src/train/optimizers/index.ts';
import { Trainer, type Batch } from '../../src/train/trainer.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * The models of issue 4 (PointNet and DGCNN part segmentation, DGCNN classification, the MNIST
 * baselines) on tiny inputs: shapes, layer naming, determinism, and that training moves the loss.
 */
interface Case {
  name: string;
  options: Omit<ModelOptions, 'rng'>;
  /** Builds a batch of the given size. */
  batch: (rng: Rng) => Batch;
  logits: number[];
  /** Adam's step size for the training check (T-Nets diverge on a 4-cloud batch above ~1e-3). */
  learningRate?: number;
}

const B = 4;
const N = 32;

function cloudBatch(rng: Rng, classes: number, segmentation: boolean, categories = 0): Batch {
  const inputs = tf.tensor3d(Float32Array.from({ length: B * N * 3 }, () => rng.normal()), [B, N, 3]);
  const targets = segmentation
    ? tf.tensor2d(Int32Array.from({ length: B * N }, () => rng.int(classes)), [B, N], 'int32')
    : tf.tensor1d(Int32Array.from({ length: B }, () => rng.int(classes)), 'int32');
  return { inputs, targets, categories: categories > 0 ? tf.tensor1d(Int32Array.from({ length: B }, () => rng.int(categories)), 'int32') : undefined };
}

function imageBatch(rng: Rng): Batch {
  return {
    inputs: tf.tensor4d(Float32Array.from({ length: B * 28 * 28 }, () => rng.uniform()), [B, 28, 28, 1]),
    targets: tf.tensor1d(Int32Array.from({ length: B }, () => rng.int(10)), 'int32'),
  };
}

const CASES: Case[] = [
  { name: 'pointnet-seg', options: { numClasses: 6, numCategories: 3 }, batch: (r) => cloudBatch(r, 6, true, 3), logits: [B, N, 6], learningRate: 3e-4 },
  { name: 'pointnet-seg-vanilla', options: { numClasses: 5 }, batch: (r) => cloudBatch(r, 5, true), logits: [B, N, 5] },
  { name: 'dgcnn', options: { numClasses: 7, k: 8, dropout: 0 }, batch: (r) => cloudBatch(r, 7, false), logits: [B, 7] },
  { name: 'dgcnn-seg', options: { numClasses: 6, numCategories: 3, k: 8, dropout: 0 }, batch: (r) => cloudBatch(r, 6, true, 3), logits: [B, N, 6] },
  { name: 'mnist-mlp', options: { numClasses: 10 }, batch: imageBatch, logits: [B, 10] },
  { name: 'mnist-cnn', options: { numClasses: 10 }, batch: imageBatch, logits: [B, 10] },
];

const build = (c: Case, seed: number): Model => createModel(c.name, { ...c.options, rng: new Rng(seed) });

describe('issue 4 models', () => {
  beforeAll(async () => {
    expect((await useBackend('wasm')).name).toBe('wasm');
  });

  it('are all in the registry', () => {
    expect(modelNames()).toEqual(expect.arrayContaining(['pointnet-seg', 'pointnet-seg-vanilla', 'dgcnn', 'dgcnn-seg', 'mnist-mlp', 'mnist-cnn']));
  });

  describe.each(CASES)('$name', (c) => {
    it('gives logits of the right shape, in training and evaluation mode, without leaking tensors', () => {
      const model = build(c, 1);
      const batch = c.batch(new Rng(2));
      const before = tf.memory().numTensors;
      for (const training of [true, false]) {
        model.train(training);
        const { logits, auxiliaryLoss } = model.forward(batch);
        expect(logits.shape).toEqual(c.logits);
        expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
        tf.dispose([logits, auxiliaryLoss ?? []]);
      }
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
      tf.dispose([batch.inputs, batch.targets, batch.categories ?? []]);
    });

    it('names its first and last weight layers, and every weight matrix belongs to a quantized layer', () => {
      const model = build(c, 1);
      const layers = model.weightLayers().map(([name]) => name);
      expect(layers[0]).toBe(model.firstLayer);
      expect(layers[layers.length - 1]).toBe(model.lastLayer);
      for (const [path, parameter] of model.namedParameters()) {
        if (!path.endsWith('.weight') || parameter.shape.length < 2) continue;
        expect(model.getModule(path.slice(0, -'.weight'.length)), path).toBeInstanceOf(QuantizedLayer);
      }
      model.dispose();
    });

    it('is a function of the seed', () => {
      // Raw bytes of every parameter, in order (millions of values: compared as buffers).
      const bytes = (model: Model) =>
        Buffer.concat(model.parameters().map((p) => Buffer.from((p.variable.dataSync() as Float32Array).slice().buffer)));
      const [a, b, other] = [build(c, 5), build(c, 5), build(c, 6)];
      expect(bytes(a).equals(bytes(b))).toBe(true);
      expect(bytes(a).equals(bytes(other))).toBe(false);
      [a, b, other].forEach((m) => m.dispose());
    });

    it('trains: a few Adam steps on one tiny batch lower the loss', () => {
      const model = build(c, 3);
      const trainer = new Trainer(model, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => c.learningRate ?? 3e-3 });
      const batch = c.batch(new Rng(4));
      const losses = Array.from({ length: 6 }, () => trainer.trainStep(batch).loss);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]!);
      model.dispose();
      tf.dispose([batch.inputs, batch.targets, batch.categories ?? []]);
    });
  });

  it('segmentation models ask for the object category when they were built with categories', () => {
    for (const name of ['pointnet-seg', 'dgcnn-seg']) {
      const model = createModel(name, { rng: new Rng(1), numClasses: 4, numCategories: 2, k: 4 });
      const inputs = tf.randomNormal([2, 8, 3]);
      expect(() => model.forward({ inputs })).toThrow(/pass `categories`/);
      inputs.dispose();
      model.dispose();
    }
  });

  it('PointNet encoder widths: BiPointNet\'s shape gives 3-64 | 64-128-1024 and a head on the new global width', () => {
    const shapes = (model: Model) => Object.fromEntries(model.weightLayers().map(([name, layer]) => [name, layer.weight.shape]));
    const bi = createModel('pointnet', { rng: new Rng(1), numClasses: 4, encoder: [[64], [128, 1024]] });
    expect(shapes(bi)).toMatchObject({ 'encoder1.0.linear': [3, 64], 'encoder2.0.linear': [64, 128], 'encoder2.1.linear': [128, 1024], 'head.fc1.linear': [1024, 512] });
    expect(shapes(bi)['encoder1.1.linear']).toBeUndefined();
    expect(shapes(bi)['featureTnet.mlp.0.linear']).toEqual([64, 64]);
    bi.dispose();
    const narrow = createModel('pointnet-seg', { rng: new Rng(1), numClasses: 5, numCategories: 2, encoder: [[16, 24], [32]] });
    expect(shapes(narrow)).toMatchObject({ 'encoder1.1.linear': [16, 24], 'featureTnet.mlp.0.linear': [24, 64], 'encoder2.0.linear': [24, 32], 'head.0.linear': [24 + 32 + 2, 512] });
    const inputs = tf.randomNormal([2, 8, 3]);
    const categories = tf.tensor1d([0, 1], 'int32');
    const { logits, auxiliaryLoss } = narrow.forward({ inputs, categories });
    expect(logits.shape).toEqual([2, 8, 5]);
    tf.dispose([inputs, categories, logits, auxiliaryLoss ?? []]);
    narrow.dispose();
  });

  it("poolFrom 'all': the head reads the max over points of every encoder layer, in layer order", () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(2), numClasses: 3, encoder: [[8], [16, 32]], poolFrom: 'all' }) as PointNet;
    expect(model.fc1.linear.weight.shape).toEqual([8 + 16 + 32, 512]);
    model.eval();
    const inputs = tf.randomNormal([2, 10, 3], 0, 1, 'float32', 5) as tf.Tensor3D;
    const logits = tf.tidy(() => model.forward({ inputs }).logits);
    const manual = tf.tidy(() => {
      const h1 = model.encoder1.layers[0]!.forward(inputs);
      const h2 = model.encoder2.layers[0]!.forward(h1);
      const h3 = model.encoder2.layers[1]!.forward(h2);
      const global = tf.concat([h1, h2, h3].map((layer) => tf.max(layer, 1)), 1);
      return model.classifier.forward(model.dropout.forward(model.fc2.forward(model.fc1.forward(global))));
    });
    expect(Array.from(logits.dataSync())).toEqual(Array.from(manual.dataSync()));
    tf.dispose([inputs, logits, manual]);
    model.dispose();
  });

  it('refuses empty or fractional encoder widths with a message that shows them', () => {
    expect(() => createModel('pointnet-vanilla', { rng: new Rng(1), numClasses: 4, encoder: [[], [128]] })).toThrow(/two non-empty lists of positive integers .*got \[\[\],\[128\]\]/);
    expect(() => createModel('pointnet-seg', { rng: new Rng(1), numClasses: 4, encoder: [[64], [1.5]] })).toThrow(/got \[\[64\],\[1.5\]\]/);
  });
});
