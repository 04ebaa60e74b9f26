/**
 * The data layer: file formats, data sets on disk, transforms and batching. Knows nothing of
 * models or training; tensors appear only in batching.
 *
 *   const train = await openClassificationDataset('synth-cls', { split: 'train' });
 *   const augment = compose(randomSample(1024), centerAndScaleToUnitSphere(), rotateAboutUpAxis(), jitter());
 *   for await (const batch of pointBatches(train, { batchSize: 32, seed: 1, epoch, transform: augment })) { … }
 */
export type { ImageSample, Sample } from './sample.ts';
export { pointCount } from './sample.ts';
export { SurfaceSampler, sampleSurface, type Mesh, type SampleSurfaceOptions, type SurfaceSample } from './mesh.ts';
export * from './formats/index.ts';
// Node-only readers (the datasets below are Node-only too).
export { readFileBytes, readPointFileFromDisk } from './formats/node-files.ts';

export * from './transforms/index.ts';
export {
  batchCount,
  disposeBatch,
  epochOrder,
  imageBatches,
  pointBatches,
  type BatchOptions,
  type ImageBatch,
  type PointBatch,
  type PointBatchOptions,
  type SampleSource,
} from './batching.ts';
export { SampleCache, decodeSample, encodeSample, fileKey, type CacheKey, type SampleCacheOptions } from './cache.ts';

export type {
  ClassificationDataset,
  Dataset,
  DatasetOptions,
  ImageDataset,
  Layout,
  Logger,
  PointDatasetOptions,
  SegmentationDataset,
  SkippedEntry,
  Split,
} from './datasets/dataset.ts';
export {
  DATASET_NAMES,
  openClassificationDataset,
  openDataset,
  openDatasetFolder,
  openImageDataset,
  openSegmentationDataset,
  type OpenDatasetOptions,
} from './datasets/open.ts';
export { holdOut, subset } from './datasets/hold-out.ts';
export { detectLayout } from './datasets/detect-layout.ts';
export { openModelNetOff } from './datasets/modelnet-off.ts';
export { openModelNetResampled, type ResampledOptions } from './datasets/modelnet-resampled.ts';
export { openModelNetHdf5 } from './datasets/modelnet-hdf5.ts';
export { openShapeNetPart } from './datasets/shapenet-part.ts';
export { openBundledMnist } from './datasets/mnist-bundled.ts';
export { openMnistIdx } from './datasets/mnist-idx.ts';
export { SHAPENET_PART_TABLE, type PartCategoryInfo, type PartTable } from './datasets/part-table.ts';
export { ensureSyntheticData, type EnsureSyntheticOptions, type SyntheticDataResult, type SyntheticName } from './datasets/synthetic/ensure.ts';
export { DEFAULT_SYNTH_DIFFICULTY, DEFAULT_SYNTH_SEED, SYNTH_GENERATOR_VERSION } from './datasets/synthetic/version.ts';
export { synthClsDifficulty, type DifficultyReport } from './datasets/synthetic/difficulty-report.ts';
