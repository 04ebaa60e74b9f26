import { BitpointError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { Dataset } from './dataset.ts';

/**
 * A validation set carved out of a training split, so that choices made during training (the
 * best checkpoint, a learning rate, a number of epochs) never look at the test split.
 *
 *   const { train, validation } = holdOut(await openDataset('synth-cls', { split: 'train' }), 0.2);
 *
 * Stratified: each class (classification, images) or category (part segmentation) gives the
 * same fraction, rounded, at least one sample and at most all but one when it has two or more,
 * so every such class is both learned and validated. Which samples go is seeded by `seed` alone, not by a run's seed,
 * so runs with different seeds validate on the same samples and can be compared.
 * Both halves are views: samples load (and cache) through the original data set.
 */
export function holdOut<D extends Dataset>(dataset: D, fraction: number, seed = 0): { train: D; validation: D } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`the validation fraction must be in (0, 1), got ${fraction}`);
  const groups = new Map<number, number[]>();
  const groupOf = dataset.task === 'segmentation' ? dataset.categories : dataset.labels;
  for (let index = 0; index < dataset.size; index++) {
    const group = groupOf[index]!;
    let members = groups.get(group);
    if (!members) groups.set(group, (members = []));
    members.push(index);
  }
  const rng = new Rng(seed).fork(`hold out ${dataset.name}`);
  const held: number[] = [];
  const kept: number[] = [];
  for (const group of [...groups.keys()].sort((a, b) => a - b)) {
    const members = groups.get(group)!;
    rng.shuffle(members);
    const count = members.length < 2 ? 0 : Math.min(members.length - 1, Math.max(1, Math.round(members.length * fraction)));
    held.push(...members.slice(0, count));
    kept.push(...members.slice(count));
  }
  // A user's data set and config, not a programming error: the CLI prints it as one line.
  if (held.length === 0) throw new BitpointError(`the ${dataset.split} split of '${dataset.name}' (${dataset.root}) has no class with two or more samples: too few to hold out a validation set`);
  const byIndex = (a: number, b: number) => a - b;
  return { train: subset(dataset, kept.sort(byIndex)), validation: subset(dataset, held.sort(byIndex)) };
}

/** A view of `dataset` with only the samples at `indices` (in that order). */
export function subset<D extends Dataset>(dataset: D, indices: readonly number[]): D {
  const pick = (values: Int32Array) => Int32Array.from(indices, (i) => values[i]!);
  const view: Record<string, unknown> = {
    name: dataset.name,
    layout: dataset.layout,
    root: dataset.root,
    split: dataset.split,
    task: dataset.task,
    skipped: dataset.skipped,
    ids: indices.map((i) => dataset.ids[i]!),
    size: indices.length,
    get: async (index: number) => {
      if (!(index >= 0 && index < indices.length)) throw new RangeError(`sample ${index} is outside a subset of ${indices.length}`);
      return dataset.get(indices[index]!);
    },
  };
  if (dataset.task === 'segmentation') {
    view['partTable'] = dataset.partTable;
    view['categories'] = pick(dataset.categories);
  } else {
    view['classNames'] = dataset.classNames;
    view['labels'] = pick(dataset.labels);
  }
  return view as unknown as D;
}
