import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { softmaxCrossEntropy, softmaxCrossEntropyPerPosition } from '../../src/train/loss.ts';
import { Rng } from '../../src/util/rng.ts';

beforeAll(async () => {
  await useBackend('cpu');
});

/** The loss in float64, straight from the definition (log-sum-exp shifted by the max). */
function referenceLoss(logits: number[], labels: number[], classes: number, epsilon: number): number {
  const rows = labels.length;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.slice(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((sum, z) => sum + Math.exp(z - max), 0));
    for (let k = 0; k < classes; k++) {
      const target = (k === labels[r] ? 1 - epsilon : 0) + epsilon / classes;
      total -= target * (row[k]! - logSum);
    }
  }
  return total / rows;
}

function randomLogits(count: number, rng: Rng, scale = 3): number[] {
  return Array.from({ length: count }, () => scale * rng.normal());
}

function lossOf(logits: number[], shape: number[], labels: number[], labelShape: number[], epsilon: number): number {
  return tf.tidy(() => softmaxCrossEntropy(tf.tensor(logits, shape), tf.tensor(labels, labelShape, 'int32'), epsilon).dataSync()[0]!);
}

describe('softmaxCrossEntropy', () => {
  const rng = new Rng(4);
  const classes = 5;
  const logits = randomLogits(4 * classes, rng);
  const labels = [0, 3, 4, 1];

  for (const epsilon of [0, 0.1, 0.3]) {
    it(`matches the definition for [B, K] logits (ε = ${epsilon})`, () => {
      expect(lossOf(logits, [4, classes], labels, [4], epsilon)).toBeCloseTo(referenceLoss(logits, labels, classes, epsilon), 5);
    });
  }

  it('is log K for equal logits, with or without smoothing', () => {
    expect(lossOf(new Array(2 * 10).fill(0.7), [2, 10], [3, 9], [2], 0)).toBeCloseTo(Math.log(10), 6);
    expect(lossOf(new Array(2 * 10).fill(0.7), [2, 10], [3, 9], [2], 0.2)).toBeCloseTo(Math.log(10), 6);
  });

  it('averages over all points of all clouds for [B, N, K] logits', () => {
    const pointLogits = randomLogits(2 * 3 * classes, rng);
    const pointLabels = [0, 1, 2, 4, 4, 3];
    const perPoint = lossOf(pointLogits, [2, 3, classes], pointLabels, [2, 3], 0.1);
    expect(perPoint).toBeCloseTo(referenceLoss(pointLogits, pointLabels, classes, 0.1), 5);
    expect(perPoint).toBeCloseTo(lossOf(pointLogits, [6, classes], pointLabels, [6], 0.1), 6);
  });

  it('keeps per-position losses in the labels’ shape', () => {
    const values = tf.tidy(() => {
      const perPosition = softmaxCrossEntropyPerPosition(tf.tensor(logits, [2, 2, classes]), tf.tensor([[0, 3], [4, 1]], [2, 2], 'int32'));
      expect(perPosition.shape).toEqual([2, 2]);
      return Array.from(perPosition.dataSync());
    });
    values.forEach((value, row) => {
      expect(value).toBeCloseTo(referenceLoss(logits.slice(row * classes, (row + 1) * classes), [labels[row]!], classes, 0), 5);
    });
  });

  it('is stable for huge logits (no overflow to Infinity or NaN)', () => {
    const shifted = logits.map((z) => z + 1e4);
    const huge = logits.map((z) => z * 1000);
    expect(lossOf(shifted, [4, classes], labels, [4], 0.1)).toBeCloseTo(referenceLoss(logits, labels, classes, 0.1), 2);
    const hugeLoss = lossOf(huge, [4, classes], labels, [4], 0.1);
    expect(Number.isFinite(hugeLoss)).toBe(true);
    expect(hugeLoss / referenceLoss(huge, labels, classes, 0.1)).toBeCloseTo(1, 5);
    const grad = tf.tidy(() => {
      const labelTensor = tf.tensor1d(labels, 'int32');
      return Array.from(tf.grad((z: tf.Tensor) => softmaxCrossEntropy(z, labelTensor, 0.1))(tf.tensor(huge, [4, classes])).dataSync());
    });
    expect(grad.every(Number.isFinite)).toBe(true);
  });

  it('accepts float labels (cast to int32)', () => {
    const value = tf.tidy(() => softmaxCrossEntropy(tf.tensor(logits, [4, classes]), tf.tensor1d(labels, 'float32')).dataSync()[0]!);
    expect(value).toBeCloseTo(referenceLoss(logits, labels, classes, 0), 5);
  });

  it('rejects mismatched shapes and bad smoothing', () => {
    tf.tidy(() => {
      const z = tf.zeros([4, classes]);
      expect(() => softmaxCrossEntropy(z, tf.zeros([3], 'int32'))).toThrow(/same leading shape/);
      expect(() => softmaxCrossEntropy(z, tf.zeros([4, 1], 'int32'))).toThrow(/same leading shape/);
      expect(() => softmaxCrossEntropy(z, tf.zeros([4], 'int32'), 1)).toThrow(/label smoothing/);
    });
  });

  it('does not leak tensors', () => {
    const z = tf.tensor(logits, [4, classes]);
    const y = tf.tensor1d(labels, 'int32');
    const before = tf.memory().numTensors;
    softmaxCrossEntropy(z, y, 0.1).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z, y]);
  });
});

describe('softmaxCrossEntropy gradient', () => {
  const rng = new Rng(8);

  function check(shape: number[], labels: number[], epsilon: number): void {
    const classes = shape[shape.length - 1]!;
    const logits = randomLogits(labels.length * classes, rng, 2);
    const labelShape = shape.slice(0, -1);
    const autodiff = tf.tidy(() => {
      const labelTensor = tf.tensor(labels, labelShape, 'int32');
      return Array.from(tf.grad((z: tf.Tensor) => softmaxCrossEntropy(z, labelTensor, epsilon))(tf.tensor(logits, shape)).dataSync());
    });
    // central differences of the float64 definition
    const h = 1e-5;
    logits.forEach((_, i) => {
      const plus = [...logits];
      const minus = [...logits];
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = (referenceLoss(plus, labels, classes, epsilon) - referenceLoss(minus, labels, classes, epsilon)) / (2 * h);
      expect(Math.abs(autodiff[i]! - numeric)).toBeLessThan(1e-5);
    });
    // and the closed form (softmax − q) / positions
    logits.forEach((_, i) => {
      const row = Math.floor(i / classes);
      const rowLogits = logits.slice(row * classes, (row + 1) * classes);
      const max = Math.max(...rowLogits);
      const denominator = rowLogits.reduce((sum, z) => sum + Math.exp(z - max), 0);
      const softmax = Math.exp(logits[i]! - max) / denominator;
      const target = (i % classes === labels[row] ? 1 - epsilon : 0) + epsilon / classes;
      expect(Math.abs(autodiff[i]! - (softmax - target) / labels.length)).toBeLessThan(1e-6);
    });
  }

  it('matches finite differences for [B, K]', () => check([3, 4], [2, 0, 3], 0));
  it('matches finite differences for [B, K] with smoothing', () => check([3, 4], [2, 0, 3], 0.2));
  it('matches finite differences for [B, N, K] with smoothing', () => check([2, 3, 4], [0, 1, 2, 3, 3, 0], 0.1));
});
