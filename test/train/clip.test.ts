import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { clipByGlobalNorm, clipByValue, clipGradients, globalNorm, parseClipConfig } from '../../src/train/clip.ts';
import { ConfigError } from '../../src/util/errors.ts';

beforeAll(async () => {
  await useBackend('cpu');
});

/** Gradients with global norm √(3² + 4² + 12²) = 13. */
function gradients(): Map<string, tf.Tensor> {
  return new Map<string, tf.Tensor>([
    ['a.weight', tf.tensor2d([[3, 0], [0, 0]])],
    ['a.bias', tf.tensor1d([-4])],
    ['b.weight', tf.tensor1d([0, 12])],
  ]);
}

function values(map: Map<string, tf.Tensor>): Record<string, number[]> {
  return Object.fromEntries([...map].map(([path, g]) => [path, Array.from(g.dataSync())]));
}

function dispose(...maps: Array<Map<string, tf.Tensor>>): void {
  for (const map of maps) tf.dispose([...map.values()]);
}

describe('globalNorm', () => {
  it('is the L2 norm over all tensors', () => {
    const grads = gradients();
    expect(globalNorm(grads)).toBeCloseTo(13, 5);
    expect(globalNorm(new Map())).toBe(0);
    dispose(grads);
  });
});

describe('clipByGlobalNorm', () => {
  it('scales everything by maxNorm / norm when the norm is larger, keeping directions', () => {
    const grads = gradients();
    const { gradients: clipped, globalNorm: norm } = clipByGlobalNorm(grads, 6.5);
    expect(norm).toBeCloseTo(13, 5);
    expect(values(clipped)).toEqual({ 'a.weight': [1.5, 0, 0, 0], 'a.bias': [-2], 'b.weight': [0, 6] });
    expect(clipped.get('a.weight')!.shape).toEqual([2, 2]);
    expect(globalNorm(clipped)).toBeCloseTo(6.5, 5);
    // inputs untouched
    expect(values(grads)['b.weight']).toEqual([0, 12]);
    dispose(grads, clipped);
  });

  it('leaves gradients under the limit as they are', () => {
    const grads = gradients();
    const { gradients: clipped, globalNorm: norm } = clipByGlobalNorm(grads, 20);
    expect(norm).toBeCloseTo(13, 5);
    expect(values(clipped)).toEqual(values(grads));
    expect(clipped.get('a.bias')).not.toBe(grads.get('a.bias')); // a copy the caller may dispose
    dispose(grads, clipped);
  });

  it('does not scale by a non-finite norm, and reports it', () => {
    const grads = new Map([['w', tf.tensor1d([1, NaN])]]);
    const { gradients: clipped, globalNorm: norm } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeNaN();
    expect(clipped.get('w')!.dataSync()[0]).toBe(1);
    dispose(grads, clipped);
  });

  it('leaks nothing beyond the returned tensors', () => {
    const grads = gradients();
    const before = tf.memory().numTensors;
    const { gradients: clipped } = clipByGlobalNorm(grads, 1);
    expect(tf.memory().numTensors).toBe(before + grads.size);
    dispose(grads, clipped);
  });
});

describe('clipByValue', () => {
  it('clips each element and reports the norm before clipping', () => {
    const grads = gradients();
    const { gradients: clipped, globalNorm: norm } = clipByValue(grads, 3.5);
    expect(norm).toBeCloseTo(13, 5);
    expect(values(clipped)).toEqual({ 'a.weight': [3, 0, 0, 0], 'a.bias': [-3.5], 'b.weight': [0, 3.5] });
    dispose(grads, clipped);
  });
});

describe('clip config', () => {
  it('dispatches on mode', () => {
    const grads = gradients();
    const byNorm = clipGradients(grads, parseClipConfig({ mode: 'global_norm', maxNorm: 1.3 }));
    const byValue = clipGradients(grads, parseClipConfig({ mode: 'value', limit: 1 }));
    expect(values(byNorm.gradients)['b.weight']![1]).toBeCloseTo(1.2, 5);
    expect(values(byValue.gradients)['b.weight']).toEqual([0, 1]);
    dispose(grads, byNorm.gradients, byValue.gradients);
  });

  it('names the key path of a bad value', () => {
    const pathOf = (raw: unknown): string => {
      try {
        parseClipConfig(raw, 'train.clip');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).path;
      }
      throw new Error('expected a ConfigError');
    };
    expect(pathOf(5)).toBe('train.clip');
    expect(pathOf({ mode: 'norm', maxNorm: 5 })).toBe('train.clip.mode');
    expect(pathOf({ mode: 'global_norm', maxNorm: 0 })).toBe('train.clip.maxNorm');
    expect(pathOf({ mode: 'global_norm', limit: 1 })).toBe('train.clip.limit');
    expect(pathOf({ mode: 'value' })).toBe('train.clip.limit');
  });

  it('rejects a non-positive limit in the functions too', () => {
    const grads = gradients();
    expect(() => clipByGlobalNorm(grads, 0)).toThrow(RangeError);
    expect(() => clipByValue(grads, -1)).toThrow(RangeError);
    dispose(grads);
  });
});
