/**
 * Evaluation metrics from predictions and ground truth, as plain numbers.
 *
 * Classification: overall accuracy, mean class accuracy (the average of per-class recalls over the
 * classes present in the ground truth), and the confusion matrix (rows = truth, columns = prediction).
 * Part segmentation (ShapeNetPart's convention): a shape's IoU is the mean over the parts of its
 * category, where a part absent from both prediction and truth counts as IoU 1; instance mIoU
 * averages over shapes, class mIoU averages the per-category means.
 */
export class ConfusionMatrix {
  readonly counts: Int32Array;

  constructor(readonly numClasses: number) {
    this.counts = new Int32Array(numClasses * numClasses);
  }

  add(truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
    if (truth.length !== predicted.length) throw new Error(`truth has ${truth.length} labels, predictions ${predicted.length}`);
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      const p = predicted[i]!;
      if (t < 0 || t >= this.numClasses || p < 0 || p >= this.numClasses) throw new Error(`label out of range: truth ${t}, prediction ${p}`);
      this.counts[t * this.numClasses + p]!++;
    }
  }

  get total(): number {
    let sum = 0;
    for (const c of this.counts) sum += c;
    return sum;
  }

  overallAccuracy(): number {
    let correct = 0;
    for (let k = 0; k < this.numClasses; k++) correct += this.counts[k * this.numClasses + k]!;
    return this.total === 0 ? 0 : correct / this.total;
  }

  /** Per-class recall for classes that occur in the truth (NaN for absent classes). */
  classAccuracies(): number[] {
    const result: number[] = [];
    for (let k = 0; k < this.numClasses; k++) {
      let row = 0;
      for (let j = 0; j < this.numClasses; j++) row += this.counts[k * this.numClasses + j]!;
      result.push(row === 0 ? Number.NaN : this.counts[k * this.numClasses + k]! / row);
    }
    return result;
  }

  meanClassAccuracy(): number {
    const present = this.classAccuracies().filter((a) => !Number.isNaN(a));
    return present.length === 0 ? 0 : present.reduce((s, a) => s + a, 0) / present.length;
  }

  toRows(): number[][] {
    const rows: number[][] = [];
    for (let k = 0; k < this.numClasses; k++) rows.push(Array.from(this.counts.subarray(k * this.numClasses, (k + 1) * this.numClasses)));
    return rows;
  }
}

/** IoU of one shape: mean over `parts` (its category's part ids); absent in both → 1. */
export function shapeIoU(truth: ArrayLike<number>, predicted: ArrayLike<number>, parts: readonly number[]): number {
  if (parts.length === 0) throw new Error('a category must have at least one part');
  let sum = 0;
  for (const part of parts) {
    let intersection = 0;
    let union = 0;
    for (let i = 0; i < truth.length; i++) {
      const inTruth = truth[i] === part;
      const inPrediction = predicted[i] === part;
      if (inTruth && inPrediction) intersection++;
      if (inTruth || inPrediction) union++;
    }
    sum += union === 0 ? 1 : intersection / union;
  }
  return sum / parts.length;
}

export interface SegmentationScores {
  instanceMIoU: number;
  classMIoU: number;
  /** Mean IoU per category index (NaN when the category has no shapes). */
  categoryMIoU: number[];
  pointAccuracy: number;
}

/** Accumulates per-shape IoUs for part segmentation. */
export class PartSegmentationMeter {
  private readonly perCategory: number[][];
  private correctPoints = 0;
  private totalPoints = 0;

  constructor(readonly categoryParts: readonly (readonly number[])[]) {
    this.perCategory = categoryParts.map(() => []);
  }

  /**
   * Adds one shape. Predictions are restricted to its category's parts by the caller (the usual
   * ShapeNetPart protocol takes the argmax over those parts only).
   */
  add(category: number, truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
    const parts = this.categoryParts[category];
    if (!parts) throw new Error(`unknown category ${category}`);
    const iou = shapeIoU(truth, predicted, parts);
    this.perCategory[category]!.push(iou);
    for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) this.correctPoints++;
    this.totalPoints += truth.length;
    return iou;
  }

  scores(): SegmentationScores {
    const all = this.perCategory.flat();
    const categoryMIoU = this.perCategory.map((list) => (list.length === 0 ? Number.NaN : list.reduce((s, v) => s + v, 0) / list.length));
    const present = categoryMIoU.filter((v) => !Number.isNaN(v));
    return {
      instanceMIoU: all.length === 0 ? 0 : all.reduce((s, v) => s + v, 0) / all.length,
      classMIoU: present.length === 0 ? 0 : present.reduce((s, v) => s + v, 0) / present.length,
      categoryMIoU,
      pointAccuracy: this.totalPoints === 0 ? 0 : this.correctPoints / this.totalPoints,
    };
  }
}
