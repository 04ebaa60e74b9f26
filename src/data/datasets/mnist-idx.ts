import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ConfigError, FormatError } from '../../util/errors.ts';
import { decodeIdx } from '../formats/idx.ts';
import type { ImageSample } from '../sample.ts';
import type { DatasetOptions, ImageDataset } from './dataset.ts';

/**
 * The full MNIST from its IDX files in one folder: `train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each raw or
 * gzipped (`.gz`); the dotted names some mirrors use (`train-images.idx3-ubyte`) work too.
 * Pixels are scaled from 0–255 to [0, 1]. Sample ids are `train/<index>` / `t10k/<index>`.
 */
export async function openMnistIdx(root: string, options: DatasetOptions): Promise<ImageDataset> {
  const { split } = options;
  if (split !== 'train' && split !== 'test') throw new ConfigError('dataset.split', `MNIST has splits 'train' and 'test', not '${split}'`);
  const prefix = split === 'train' ? 'train' : 't10k';
  const names = await readdir(root);
  const imagesFile = join(root, findIdxFile(names, root, prefix, 'images', 3));
  const labelsFile = join(root, findIdxFile(names, root, prefix, 'labels', 1));
  const [images, labels] = await Promise.all([
    readFile(imagesFile).then((bytes) => decodeIdx(bytes, imagesFile)),
    readFile(labelsFile).then((bytes) => decodeIdx(bytes, labelsFile)),
  ]);
  if (images.type !== 'uint8' || images.dims.length !== 3) {
    throw new FormatError(imagesFile, `expected uint8 images of shape count×height×width, got ${images.type} ${images.dims.join('×')}`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new FormatError(labelsFile, `expected ${images.dims[0]} labels (one per image in ${basename(imagesFile)}), got shape ${labels.dims.join('×')}`);
  }
  const [count, height, width] = images.dims as [number, number, number];
  const pixels = images.data;
  const labelValues = Int32Array.from(labels.data);
  const ids = Array.from({ length: count }, (_, i) => `${prefix}/${i}`);
  return {
    task: 'image-classification',
    name: basename(resolve(root)),
    layout: 'mnist-idx',
    root,
    split,
    ids,
    size: count,
    skipped: [],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    labels: labelValues,
    async get(index: number): Promise<ImageSample> {
      if (!(index >= 0 && index < count)) throw new RangeError(`mnist: index ${index} out of range 0..${count - 1}`);
      const size = height * width;
      const image = new Float32Array(size);
      for (let i = 0; i < size; i++) image[i] = pixels[index * size + i]! / 255;
      return { id: ids[index]!, pixels: image, width, height, label: labelValues[index]! };
    },
  };
}

/** `train-images-idx3-ubyte`, `train-images.idx3-ubyte`, either with `.gz`. */
function findIdxFile(names: readonly string[], root: string, prefix: string, kind: 'images' | 'labels', rank: number): string {
  const pattern = new RegExp(`^${prefix}-${kind}[-.]idx${rank}-ubyte(\\.gz)?$`);
  const found = names.filter((name) => pattern.test(name)).sort();
  if (found.length === 0) throw new FormatError(root, `no ${prefix}-${kind}-idx${rank}-ubyte[.gz] file in the folder`);
  // Prefer the uncompressed file when both are there: it reads faster.
  return found.find((name) => !name.endsWith('.gz')) ?? found[0]!;
}
