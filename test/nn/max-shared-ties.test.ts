import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { maxSharedTies } from '../../src/nn/ops/max-shared-ties.ts';

describe('max with shared ties', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`splits the gradient equally among tied maxima (${backend})`, async () => {
      await useBackend(backend);
      // [1, 4, 3]: channel 0 has three tied maxima, channel 1 one, channel 2 two
      const x = tf.tensor3d([[[2, 1, 5], [2, 3, 5], [0, 0, 1], [2, 2, 0]]]);
      const dy = tf.tensor2d([[6, 4, 10]]);
      expect(Array.from(maxSharedTies(x, 1).dataSync())).toEqual([2, 3, 5]);
      const dx = tf.grad((t: tf.Tensor) => maxSharedTies(t, 1))(x, dy);
      expect(Array.from(dx.dataSync())).toEqual([2, 0, 5, 2, 4, 5, 0, 0, 0, 2, 0, 0]);
    });
  }

  it('pools over the middle axis of [B, N, k, C] (DGCNN neighbours)', async () => {
    await useBackend('wasm');
    const x = tf.tensor4d([1, 1, 0, 3, 4, 4, 4, 2], [1, 2, 2, 2]);
    const dx = tf.grad((t: tf.Tensor) => maxSharedTies(t, 2))(x, tf.ones([1, 2, 2]));
    expect(Array.from(dx.dataSync())).toEqual([1, 0, 0, 1, 0.5, 1, 0.5, 0]);
  });
});
