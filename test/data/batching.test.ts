import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchCount, disposeBatch, epochOrder, imageBatches, pointBatches, type PointBatch, type SampleSource } from '../../src/data/batching.ts';
import type { ImageSample, Sample } from '../../src/data/sample.ts';
import { compose, jitter, randomSample } from '../../src/data/transforms/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Ten clouds of 8 points; sample i has label i % 3, point labels i, category 1, and normals. */
function cloudSource(size = 10, points = 8): SampleSource<Sample> & { loads: number } {
  const source = {
    size,
    loads: 0,
    async get(index: number): Promise<Sample> {
      source.loads++;
      return {
        id: `s${index}`,
        points: Float32Array.from({ length: points * 3 }, (_, k) => index + k / 100),
        normals: Float32Array.from({ length: points * 3 }, () => -index),
        labels: new Int32Array(points).fill(index),
        label: index % 3,
        category: 1,
      };
    },
  };
  return source;
}

async function collect(iterator: AsyncGenerator<PointBatch>): Promise<{ ids: string[][]; points: number[][] }> {
  const ids: string[][] = [];
  const points: number[][] = [];
  for await (const batch of iterator) {
    ids.push(batch.ids);
    points.push(Array.from(await batch.points.data()));
    disposeBatch(batch);
  }
  return { ids, points };
}

describe('epoch order', () => {
  it('is a permutation, the same for the same seed and epoch, different across epochs', () => {
    const a = Array.from(epochOrder(50, 7, 0));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(epochOrder(50, 7, 0))).toEqual(a);
    expect(Array.from(epochOrder(50, 7, 1))).not.toEqual(a);
    expect(Array.from(epochOrder(50, 8, 0))).not.toEqual(a);
    expect(Array.from(epochOrder(5, 7, 0, false))).toEqual([0, 1, 2, 3, 4]);
  });

  it('counts batches with and without drop-last', () => {
    expect(batchCount(10, 4)).toBe(3);
    expect(batchCount(10, 4, true)).toBe(2);
  });
});

describe('point batches', () => {
  it('stacks points, class labels, point labels and categories with the right shapes and dtypes', async () => {
    const batches: PointBatch[] = [];
    for await (const batch of pointBatches(cloudSource(), { batchSize: 4, seed: 1, shuffle: false })) batches.push(batch);
    expect(batches.map((batch) => batch.ids.length)).toEqual([4, 4, 2]);
    const first = batches[0]!;
    expect(first.points.shape).toEqual([4, 8, 3]);
    expect(first.labels!.dtype).toBe('int32');
    expect(Array.from(await first.labels!.data())).toEqual([0, 1, 2, 0]);
    expect(first.pointLabels!.shape).toEqual([4, 8]);
    expect(Array.from(await first.pointLabels!.data()).slice(8, 16)).toEqual(new Array(8).fill(1));
    expect(Array.from(await first.categories!.data())).toEqual([1, 1, 1, 1]);
    expect(first.ids).toEqual(['s0', 's1', 's2', 's3']);
    // Sample 1's first point is (1, 1.01, 1.02).
    expect(Array.from(await first.points.data()).slice(24, 27)).toEqual([1, 1.0099999904632568, 1.0199999809265137]);
    batches.forEach(disposeBatch);
  });

  it('puts normals after xyz with withNormals', async () => {
    for await (const batch of pointBatches(cloudSource(2, 4), { batchSize: 2, seed: 1, shuffle: false, withNormals: true })) {
      expect(batch.points.shape).toEqual([2, 4, 6]);
      expect(Array.from(await batch.points.data()).slice(24, 30)).toEqual([1, 1.0099999904632568, 1.0199999809265137, -1, -1, -1]);
      disposeBatch(batch);
    }
  });

  it('drops the last short batch when asked', async () => {
    const { ids } = await collect(pointBatches(cloudSource(), { batchSize: 4, seed: 1, dropLast: true }));
    expect(ids.map((batch) => batch.length)).toEqual([4, 4]);
  });

  it('gives the same batches for the same seed and epoch, whatever happened before', async () => {
    const transform = compose(randomSample(5), jitter({ sigma: 0.1 }));
    const options = { batchSize: 3, seed: 5, epoch: 2, transform };
    const a = await collect(pointBatches(cloudSource(), options));
    await collect(pointBatches(cloudSource(), { ...options, epoch: 1 }));
    const b = await collect(pointBatches(cloudSource(), options));
    expect(b).toEqual(a);
    const other = await collect(pointBatches(cloudSource(), { ...options, epoch: 3 }));
    expect(other.ids).not.toEqual(a.ids);
    expect(a.points[0]!.length).toBe(3 * 5 * 3);
  });

  it('draws the same augmentation for a sample whatever the batch size', async () => {
    const transform = jitter({ sigma: 0.1 });
    const byId = async (batchSize: number) => {
      const result = new Map<string, number[]>();
      for await (const batch of pointBatches(cloudSource(), { batchSize, seed: 3, transform })) {
        const data = Array.from(await batch.points.data());
        batch.ids.forEach((id, b) => result.set(id, data.slice(b * 24, (b + 1) * 24)));
        disposeBatch(batch);
      }
      return result;
    };
    expect(await byId(2)).toEqual(await byId(5));
  });

  it('loads the next batch before the current one is consumed (prefetch)', async () => {
    const source = cloudSource();
    const iterator = pointBatches(source, { batchSize: 4, seed: 1 });
    const first = await iterator.next();
    // Let the prefetch's pending reads settle.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(source.loads).toBe(8);
    disposeBatch(first.value as PointBatch);
    await iterator.return(undefined);
  });

  it('creates no tensors beyond those it hands out', async () => {
    const before = tf.memory().numTensors;
    await collect(pointBatches(cloudSource(), { batchSize: 4, seed: 1 }));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('explains a batch of clouds of different sizes', async () => {
    const source: SampleSource<Sample> = {
      size: 2,
      get: async (index) => ({ id: `c${index}`, points: new Float32Array(3 * (index + 2)) }),
    };
    await expect(collect(pointBatches(source, { batchSize: 2, seed: 1, shuffle: false }))).rejects.toThrow(/randomSample or farthestPointSample/);
  });
});

describe('image batches', () => {
  it('stacks images as [B, H, W, 1] with int32 labels', async () => {
    const source: SampleSource<ImageSample> = {
      size: 3,
      get: async (index) => ({ id: `i${index}`, pixels: new Float32Array(28 * 28).fill(index / 10), width: 28, height: 28, label: index }),
    };
    const shapes: number[][] = [];
    for await (const batch of imageBatches(source, { batchSize: 2, seed: 1, shuffle: false })) {
      shapes.push(batch.images.shape);
      expect(batch.labels.dtype).toBe('int32');
      if (shapes.length === 1) expect((await batch.images.data())[28 * 28]).toBeCloseTo(0.1);
      disposeBatch(batch);
    }
    expect(shapes).toEqual([[2, 28, 28, 1], [1, 28, 28, 1]]);
  });
});
