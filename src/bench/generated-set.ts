import { subset } from '../data/datasets/hold-out.ts';
import type { ClassificationDataset, DatasetOptions } from '../data/datasets/dataset.ts';
import { openClassificationDataset } from '../data/datasets/open.ts';
import { SYNTH_CLS_CLASSES } from '../data/datasets/synthetic/cls-classes.ts';
import { ensureSyntheticData } from '../data/datasets/synthetic/ensure.ts';

/** ModelNet40's split sizes (the official train/test lists). */
export const MODELNET40_SIZES = { train: 9843, test: 2468 } as const;

export interface GeneratedSetOptions {
  /** Where the set is generated once and kept (it is regenerated only if its settings change). */
  root: string;
  train: number;
  test: number;
  points: number;
  cacheDir: string;
  logger?: (line: string) => void;
}

/**
 * A stand-in for a ModelNet40 folder when none is given: synth-cls meshes (OFF files in
 * ModelNet's layout, read by the same code) with as many train and test shapes as asked, so an
 * epoch has ModelNet40's number of steps and files. Its meshes are smaller than ModelNet's
 * (hundreds to a few thousand faces, against up to hundreds of thousands), so the cold-cache
 * loading time on it is a lower bound for ModelNet40's.
 */
export async function openGeneratedSet(options: GeneratedSetOptions): Promise<{ train: ClassificationDataset; test: ClassificationDataset }> {
  const classes = SYNTH_CLS_CLASSES.length;
  const { clsRoot } = await ensureSyntheticData(options.root, {
    which: ['synth-cls'],
    cls: { trainPerClass: Math.ceil(options.train / classes), testPerClass: Math.ceil(options.test / classes) },
    logger: options.logger,
  });
  const open = async (split: 'train' | 'test', size: number) => {
    const datasetOptions: DatasetOptions & { points: number } = { split, points: options.points, cacheDir: options.cacheDir, logger: options.logger };
    const full = await openClassificationDataset(clsRoot, datasetOptions);
    // every class keeps its share: indices spread evenly over the class-ordered split
    return subset(full, Array.from({ length: size }, (_, i) => Math.floor((i * full.size) / size)));
  };
  return { train: await open('train', options.train), test: await open('test', options.test) };
}
