import { ConfigError } from '../../util/errors.ts';
import type { ClassificationDataset, Dataset, ImageDataset, Layout, SegmentationDataset } from './dataset.ts';
import { detectLayout } from './detect-layout.ts';
import { openBundledMnist } from './mnist-bundled.ts';
import { openMnistIdx } from './mnist-idx.ts';
import { openModelNetHdf5 } from './modelnet-hdf5.ts';
import { openModelNetOff } from './modelnet-off.ts';
import { openModelNetResampled, type ResampledOptions } from './modelnet-resampled.ts';
import { openShapeNetPart } from './shapenet-part.ts';
import { ensureSyntheticData } from './synthetic/ensure.ts';

/**
 * A data set by name or folder, as `--dataset` takes it:
 *  - `synth-cls`, `synth-seg`: the generated sets, created on first use under `syntheticRoot`;
 *  - `mnist`: the 10,000 digits bundled with the `mnist` package (8,000 train / 2,000 test);
 *  - a folder in any supported layout, detected from its files (see `detectLayout`).
 *
 *   const train = await openDataset('synth-cls', { split: 'train' });
 *   const test = await openClassificationDataset('data/modelnet40_normal_resampled', { split: 'test', points: 1024 });
 */
export const DATASET_NAMES = ['synth-cls', 'synth-seg', 'mnist'] as const;

export interface OpenDatasetOptions extends ResampledOptions {
  /** Where synth-cls and synth-seg live (default `datasets/synthetic`). */
  syntheticRoot?: string;
  /**
   * Seed of the generated sets. Unset: whatever complete set is there is used (the default set,
   * seed 1, is generated if none is). Set: the set must have this seed and default settings.
   * The run's own seed never changes the data.
   */
  syntheticSeed?: number;
}

export async function openDataset(spec: string, options: OpenDatasetOptions): Promise<Dataset> {
  if (spec === 'synth-cls' || spec === 'synth-seg') {
    const roots = await ensureSyntheticData(options.syntheticRoot ?? 'datasets/synthetic', {
      seed: options.syntheticSeed,
      acceptExisting: options.syntheticSeed === undefined,
      which: [spec],
      logger: options.logger,
    });
    return openDatasetFolder(spec === 'synth-cls' ? roots.clsRoot : roots.segRoot, options);
  }
  if (spec === 'mnist') return openBundledMnist(options);
  return openDatasetFolder(spec, options);
}

/** A data set folder in a given layout, or the detected one. */
export async function openDatasetFolder(root: string, options: OpenDatasetOptions & { layout?: Layout }): Promise<Dataset> {
  const layout = options.layout ?? (await detectLayout(root));
  switch (layout) {
    case 'modelnet-off':
      return openModelNetOff(root, options);
    case 'modelnet-resampled':
      return openModelNetResampled(root, options);
    case 'modelnet-hdf5':
      return openModelNetHdf5(root, options);
    case 'shapenet-part':
      return openShapeNetPart(root, options);
    case 'mnist-idx':
      return openMnistIdx(root, options);
    case 'mnist-bundled':
      return openBundledMnist(options);
  }
}

export async function openClassificationDataset(spec: string, options: OpenDatasetOptions): Promise<ClassificationDataset> {
  return expectTask(await openDataset(spec, options), 'classification', spec);
}

export async function openSegmentationDataset(spec: string, options: OpenDatasetOptions): Promise<SegmentationDataset> {
  return expectTask(await openDataset(spec, options), 'segmentation', spec);
}

export async function openImageDataset(spec: string, options: OpenDatasetOptions): Promise<ImageDataset> {
  return expectTask(await openDataset(spec, options), 'image-classification', spec);
}

function expectTask<T extends Dataset['task']>(dataset: Dataset, task: T, spec: string): Extract<Dataset, { task: T }> {
  if (dataset.task !== task) throw new ConfigError('dataset', `'${spec}' is a ${dataset.task} data set, but a ${task} one is needed here`);
  return dataset as Extract<Dataset, { task: T }>;
}
