import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdOut } from '../../../src/data/datasets/hold-out.ts';
import { openBundledMnist } from '../../../src/data/datasets/mnist-bundled.ts';
import { openModelNetOff } from '../../../src/data/datasets/modelnet-off.ts';
import { openShapeNetPart } from '../../../src/data/datasets/shapenet-part.ts';
import { BitpointError } from '../../../src/util/errors.ts';
import { FIXTURES } from './helpers.ts';

const count = (labels: Int32Array, value: number) => labels.filter((l) => l === value).length;

describe('holding out a validation set from a training split', () => {
  it('takes the same fraction of every MNIST digit, disjoint from what is left, the same for every call', async () => {
    const train = await openBundledMnist({ split: 'train' });
    const { train: kept, validation } = holdOut(train, 0.1);
    expect(kept.size + validation.size).toBe(train.size);
    const keptIds = new Set(kept.ids);
    expect(validation.ids.some((id) => keptIds.has(id))).toBe(false);
    for (let digit = 0; digit < 10; digit++) {
      expect(count(validation.labels, digit)).toBe(Math.round(count(train.labels, digit) * 0.1));
    }
    expect(holdOut(train, 0.1).validation.ids).toEqual(validation.ids);
    // Another seed picks other digits.
    expect(holdOut(train, 0.1, 7).validation.ids).not.toEqual(validation.ids);
  });

  it('gives views whose samples, labels and ids agree with the original data set', async () => {
    const train = await openModelNetOff(join(FIXTURES, 'ModelNet-tiny'), { split: 'train', points: 32, cacheDir: null });
    const { train: kept, validation } = holdOut(train, 0.5);
    expect(kept.size).toBe(2);
    expect(validation.size).toBe(2);
    // One of the two shapes of each class on each side.
    expect(Array.from(validation.labels)).toEqual([0, 1]);
    expect(Array.from(kept.labels)).toEqual([0, 1]);
    expect(kept.classNames).toEqual(train.classNames);
    for (const view of [kept, validation]) {
      for (let i = 0; i < view.size; i++) {
        const sample = await view.get(i);
        expect(sample.id).toBe(view.ids[i]);
        expect(sample.label).toBe(view.labels[i]);
      }
    }
    await expect(validation.get(2)).rejects.toThrow(/outside a subset of 2/);
    // A large fraction still leaves every class one training shape.
    expect(Array.from(holdOut(train, 0.9).train.labels)).toEqual([0, 1]);
  });

  it('stratifies part segmentation by category', async () => {
    const root = join(FIXTURES, 'shapenetcore_partanno_segmentation_benchmark_v0_normal-tiny');
    // trainval: two shapes of the first category, one of the second.
    const train = await openShapeNetPart(root, { split: 'trainval', logger: () => undefined, cacheDir: null });
    const { train: kept, validation } = holdOut(train, 0.5);
    expect(Array.from(validation.categories)).toEqual([0]);
    expect(kept.size + validation.size).toBe(train.size);
    expect(validation.partTable).toBe(train.partTable);
    const categories = new Set(train.categories);
    for (const category of categories) {
      const members = count(train.categories, category);
      expect(count(validation.categories, category)).toBe(members < 2 ? 0 : Math.max(1, Math.round(members * 0.5)));
    }
  });

  it('refuses fractions outside (0, 1) and sets too small to split', async () => {
    const train = await openModelNetOff(join(FIXTURES, 'ModelNet-tiny'), { split: 'test', cacheDir: null });
    expect(() => holdOut(train, 0)).toThrow(/fraction must be in \(0, 1\), got 0/);
    expect(() => holdOut(train, 1)).toThrow(/fraction must be in \(0, 1\)/);
    // One test shape per class: nothing can be held out.
    expect(() => holdOut(train, 0.5)).toThrow(BitpointError);
    expect(() => holdOut(train, 0.5)).toThrow(/test split of 'ModelNet-tiny' \(.*ModelNet-tiny\) has no class with two or more samples/);
  });
});
