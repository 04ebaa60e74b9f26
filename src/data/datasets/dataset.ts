import type { SampleSource } from '../batching.ts';
import type { ImageSample, Sample } from '../sample.ts';
import type { PartTable } from './part-table.ts';

/**
 * What every data set states about itself (the PyTorch Geometric idea: a data set knows its raw
 * layout, processes once into a cache, and states its splits). Samples are loaded on demand with
 * `get(index)`; what is known without loading (ids, labels, categories) is on the object.
 */

export type Split = 'train' | 'val' | 'test' | 'trainval';

/** The on-disk layouts this package reads. */
export type Layout =
  | 'modelnet-off'
  | 'modelnet-resampled'
  | 'modelnet-hdf5'
  | 'shapenet-part'
  | 'mnist-bundled'
  | 'mnist-idx';

/** An entry of a split list that was left out, and why (e.g. `duplicate`, `file missing: …`). */
export interface SkippedEntry {
  id: string;
  reason: string;
}

/** Receives one-line warnings (skipped entries, an unwritable cache). Default: stderr. */
export type Logger = (line: string) => void;

export interface DatasetOptions {
  split: Split;
  logger?: Logger;
  /** Where processed samples are cached: default `<root>/.bitpoint-cache`; null keeps them in memory only. */
  cacheDir?: string | null;
  /** Bytes of decoded samples kept in memory (default 512 MiB). */
  memoryBytes?: number;
}

export interface PointDatasetOptions extends DatasetOptions {
  /**
   * Points per shape (default 2048). Mesh layouts sample exactly this many from the surface; point
   * layouts (resampled text, HDF5) keep the first this many, as PointNet/PointNet++ do.
   */
  points?: number;
  /** Seed of the surface sampling of meshes (each shape gets its own stream). Default 0. */
  seed?: number;
}

interface DatasetBase<S> extends SampleSource<S> {
  /** e.g. `modelnet40`, `synth-cls`, or the folder name. */
  readonly name: string;
  readonly layout: Layout;
  readonly root: string;
  readonly split: Split;
  /** Sample ids, by index. */
  readonly ids: readonly string[];
  /** Entries of the split lists that were left out. */
  readonly skipped: readonly SkippedEntry[];
  get(index: number): Promise<S>;
}

export interface ClassificationDataset extends DatasetBase<Sample> {
  readonly task: 'classification';
  readonly classNames: readonly string[];
  /** Class label of every sample, by index, known without loading it. */
  readonly labels: Int32Array;
}

export interface SegmentationDataset extends DatasetBase<Sample> {
  readonly task: 'segmentation';
  /** Categories and the global part ids of each, for mIoU. */
  readonly partTable: PartTable;
  /** Category of every sample, by index (into partTable.categories). */
  readonly categories: Int32Array;
}

export interface ImageDataset extends DatasetBase<ImageSample> {
  readonly task: 'image-classification';
  readonly classNames: readonly string[];
  readonly labels: Int32Array;
}

export type Dataset = ClassificationDataset | SegmentationDataset | ImageDataset;

/** Writes warnings to stderr, one line each. */
export const stderrLogger: Logger = (line) => process.stderr.write(`${line}\n`);
