import { countDifferences, majority, predictedClass, segmentationScores, type SegmentationScores } from './metrics.ts';
import type { ShapeView } from './shape-view.ts';

/**
 * How each model of a shape does, as numbers (no DOM): the panels' lines, the charts and the summary
 * table are drawn from these.
 */

export interface ClassificationScore {
  /** The predicted class id, and its name (the file's `predicted_class` comment without ids). */
  predicted?: number;
  predictedName?: string;
  probability?: number;
  /** The ground-truth class (the majority of `label`). */
  truth?: number;
  correct?: boolean;
  /** The reference's predicted class; undefined for the reference itself. */
  referencePredicted?: number;
  /** Class probabilities, most likely first. */
  ranked: { id: number; value: number }[];
}

export interface ModelScore {
  model: string;
  isReference: boolean;
  classification?: ClassificationScore;
  /** Segmentation with both truth and prediction. */
  segmentation?: SegmentationScores;
  /** Not for classifiers: points whose prediction differs from the reference's (same point count). */
  differ?: number;
}

export function scoreModel(view: ShapeView, model: string): ModelScore {
  const file = view.files.get(model)!;
  const isReference = model === view.reference;
  const referenceFile = view.reference && !isReference ? view.files.get(view.reference) : undefined;
  const score: ModelScore = { model, isReference };
  if (view.task === 'classification') {
    const predicted = predictedClass(file.pred, file.probabilities);
    const truth = file.truth ? majority(file.truth) : undefined;
    const classification: ClassificationScore = {
      ranked: Array.from(file.probabilities ?? [], (value, id) => ({ id, value })).sort((a, b) => b.value - a.value),
    };
    if (predicted !== undefined) {
      classification.predicted = predicted;
      classification.predictedName = view.nameOf(predicted);
      const probability = file.probabilities?.[predicted];
      if (probability !== undefined) classification.probability = probability;
    } else if (file.predictedClassName) classification.predictedName = file.predictedClassName;
    if (truth !== undefined) classification.truth = truth;
    if (predicted !== undefined && truth !== undefined) classification.correct = predicted === truth;
    const referencePredicted = referenceFile ? predictedClass(referenceFile.pred, referenceFile.probabilities) : undefined;
    if (referencePredicted !== undefined) classification.referencePredicted = referencePredicted;
    score.classification = classification;
    return score;
  }
  if (file.truth && file.pred) score.segmentation = segmentationScores(file.truth, file.pred, view.info?.parts);
  if (referenceFile?.pred && file.pred && referenceFile.count === file.count) score.differ = countDifferences(file.pred, referenceFile.pred);
  return score;
}
