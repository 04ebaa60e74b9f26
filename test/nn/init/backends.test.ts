import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { initialTensor, initialValues } from '../../../src/nn/init/index.ts';
import { Rng } from '../../../src/util/rng.ts';

// Weights are drawn in JavaScript, so a seed must give bit-identical tensors on every backend.
describe('initialTensor', () => {
  it('gives the same weights on cpu and wasm', async () => {
    const fans = { fanIn: 16, fanOut: 24 };
    const values: Record<string, number[]> = {};
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      await tf.ready();
      const tensor = initialTensor('he_normal', [16, 24], fans, new Rng(9));
      expect(tensor.shape).toEqual([16, 24]);
      expect(tensor.dtype).toBe('float32');
      values[backend] = Array.from(await tensor.data());
      tensor.dispose();
    }
    expect(values['wasm']).toEqual(values['cpu']);
    expect(values['cpu']).toEqual(Array.from(initialValues('he_normal', [16, 24], fans, new Rng(9))));
  });
});
