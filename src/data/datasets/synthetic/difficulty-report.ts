import { Rng } from '../../../util/rng.ts';
import type { ClassificationDataset } from '../dataset.ts';
import { openModelNetOff } from '../modelnet-off.ts';
import { d2Descriptor, knnAccuracy, profileDescriptor } from './difficulty-check.ts';

/**
 * The difficulty hint for a generated classification set: 5-NN accuracy on D2 histograms and on D2
 * plus height/radius profiles, computed from the same sampled clouds a model would see. Chance is
 * 1 / classes.
 */
export interface DifficultyReport {
  classes: number;
  train: number;
  test: number;
  chance: number;
  /** 5-NN on D2 shape distributions (rotation-invariant, no notion of up). */
  knnD2Accuracy: number;
  /** 5-NN on D2 plus the distributions of height and of distance from the up axis. */
  knnProfileAccuracy: number;
}

export async function synthClsDifficulty(root: string, options: { points?: number } = {}): Promise<DifficultyReport> {
  const open = (split: 'train' | 'test') => openModelNetOff(root, { split, points: options.points ?? 1024, logger: () => undefined });
  const [train, test] = await Promise.all([open('train'), open('test')]);
  const describe = async (dataset: ClassificationDataset) => {
    const d2: { descriptor: Float64Array; label: number }[] = [];
    const profile: { descriptor: Float64Array; label: number }[] = [];
    for (let i = 0; i < dataset.size; i++) {
      const sample = await dataset.get(i);
      const shapeD2 = d2Descriptor(sample.points, new Rng(0).fork(sample.id));
      d2.push({ descriptor: shapeD2, label: sample.label! });
      const extra = profileDescriptor(sample.points);
      const both = new Float64Array(shapeD2.length + extra.length);
      both.set(shapeD2);
      both.set(extra, shapeD2.length);
      profile.push({ descriptor: both, label: sample.label! });
    }
    return { d2, profile };
  };
  const [trainSet, testSet] = [await describe(train), await describe(test)];
  return {
    classes: train.classNames.length,
    train: train.size,
    test: test.size,
    chance: 1 / train.classNames.length,
    knnD2Accuracy: knnAccuracy(trainSet.d2, testSet.d2),
    knnProfileAccuracy: knnAccuracy(trainSet.profile, testSet.profile),
  };
}
