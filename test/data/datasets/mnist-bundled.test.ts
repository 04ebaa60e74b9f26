import { describe, expect, it } from 'vitest';
import { openBundledMnist } from '../../../src/data/datasets/mnist-bundled.ts';

describe('bundled MNIST', () => {
  it('splits the 10,000 real digits 8,000 / 2,000, disjoint, stratified and the same every time', async () => {
    const train = await openBundledMnist({ split: 'train' });
    const test = await openBundledMnist({ split: 'test' });
    expect(train.size).toBe(8000);
    expect(test.size).toBe(2000);
    const trainIds = new Set(train.ids);
    expect(test.ids.some((id) => trainIds.has(id))).toBe(false);
    for (let digit = 0; digit < 10; digit++) {
      const share = test.labels.filter((label) => label === digit).length / (test.labels.filter((l) => l === digit).length + train.labels.filter((l) => l === digit).length);
      expect(share).toBeCloseTo(0.2, 2);
    }
    const again = await openBundledMnist({ split: 'test' });
    expect(again.ids).toEqual(test.ids);
  });

  it('gives 28×28 images in [0, 1] with their digit as label', async () => {
    const test = await openBundledMnist({ split: 'test' });
    const image = await test.get(1234);
    expect(image).toMatchObject({ width: 28, height: 28, label: test.labels[1234] });
    expect(image.pixels.length).toBe(784);
    expect(Math.max(...image.pixels)).toBeLessThanOrEqual(1);
    expect(Math.max(...image.pixels)).toBeGreaterThan(0.5);
    expect(image.id).toBe(test.ids[1234]);
  });

  it('has no validation split', async () => {
    await expect(openBundledMnist({ split: 'val' })).rejects.toThrow(/'train' and 'test'/);
  });
});
