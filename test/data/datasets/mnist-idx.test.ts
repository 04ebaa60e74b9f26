import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../../src/data/datasets/detect-layout.ts';
import { openMnistIdx } from '../../../src/data/datasets/mnist-idx.ts';
import { openDataset } from '../../../src/data/datasets/open.ts';
import { writeIdx } from '../../../src/data/formats/idx.ts';
import { tempDir } from './helpers.ts';

/** Images whose every pixel is 10·index + label, so a test can check which image it got. */
function images(count: number, labels: number[]): Uint8Array {
  return Uint8Array.from({ length: count * 28 * 28 }, (_, i) => 10 * Math.floor(i / 784) + labels[Math.floor(i / 784)]!);
}

async function makeIdxFolder(gzipTrain: boolean): Promise<string> {
  const root = await tempDir('mnist');
  const trainLabels = [5, 0, 4];
  const testLabels = [7, 2];
  const write = (name: string, bytes: Uint8Array, gzip: boolean) => writeFile(join(root, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  await write('train-images-idx3-ubyte', writeIdx({ type: 'uint8', dims: [3, 28, 28], data: images(3, trainLabels) }), gzipTrain);
  await write('train-labels-idx1-ubyte', writeIdx({ type: 'uint8', dims: [3], data: Uint8Array.from(trainLabels) }), gzipTrain);
  // The dotted names some mirrors use.
  await write('t10k-images.idx3-ubyte', writeIdx({ type: 'uint8', dims: [2, 28, 28], data: images(2, testLabels) }), false);
  await write('t10k-labels.idx1-ubyte', writeIdx({ type: 'uint8', dims: [2], data: Uint8Array.from(testLabels) }), false);
  return root;
}

describe('MNIST IDX files', () => {
  it('reads gzipped training files and raw test files, scaling pixels to [0, 1]', async () => {
    const root = await makeIdxFolder(true);
    expect(await detectLayout(root)).toBe('mnist-idx');
    const train = await openMnistIdx(root, { split: 'train' });
    expect(train.size).toBe(3);
    expect(Array.from(train.labels)).toEqual([5, 0, 4]);
    const image = await train.get(2);
    expect(image).toMatchObject({ id: 'train/2', width: 28, height: 28, label: 4 });
    expect(image.pixels[100]).toBeCloseTo(24 / 255, 6);
    const test = await openDataset(root, { split: 'test' });
    expect(test).toMatchObject({ task: 'image-classification', layout: 'mnist-idx', size: 2 });
  });

  it('names the file when labels and images disagree', async () => {
    const root = await makeIdxFolder(false);
    await writeFile(join(root, 'train-labels-idx1-ubyte'), writeIdx({ type: 'uint8', dims: [2], data: Uint8Array.from([1, 2]) }));
    await expect(openMnistIdx(root, { split: 'train' })).rejects.toThrow(/train-labels-idx1-ubyte: expected 3 labels/);
  });

  it('says which file is missing', async () => {
    const root = await tempDir('mnist-empty');
    await expect(openMnistIdx(root, { split: 'test' })).rejects.toThrow(/no t10k-images-idx3-ubyte\[\.gz\] file/);
  });
});
