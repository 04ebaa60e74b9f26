/**
 * Per-shape scores of one model's per-point prediction: overall accuracy, part IoU and mIoU (the
 * ShapeNetPart convention: averaged over the category's parts, a part absent from both the truth
 * and the prediction counts as IoU 1), and where two models disagree.
 *
 *   const { accuracy, miou, parts } = segmentationScores(truth, pred, [12, 13, 14, 15]);
 */

export interface PartScore {
  part: number;
  iou: number;
  truthCount: number;
  predCount: number;
}

export interface SegmentationScores {
  accuracy: number;
  miou: number;
  parts: PartScore[];
  wrong: number;
}

/** Part ids to average over: the given category parts, else every id in truth or prediction. */
export function partsOf(truth: Int32Array, pred: Int32Array, categoryParts?: readonly number[]): number[] {
  if (categoryParts && categoryParts.length > 0) return [...categoryParts].sort((a, b) => a - b);
  const ids = new Set<number>();
  for (const id of truth) ids.add(id);
  for (const id of pred) ids.add(id);
  return [...ids].sort((a, b) => a - b);
}

export function segmentationScores(truth: Int32Array, pred: Int32Array, categoryParts?: readonly number[]): SegmentationScores {
  if (truth.length !== pred.length) throw new RangeError(`segmentationScores: ${truth.length} labels but ${pred.length} predictions`);
  const parts = partsOf(truth, pred, categoryParts);
  const slot = new Map(parts.map((part, k) => [part, k]));
  const intersection = new Float64Array(parts.length);
  const truthCount = new Float64Array(parts.length);
  const predCount = new Float64Array(parts.length);
  let wrong = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = pred[i]!;
    if (t !== p) wrong++;
    const kt = slot.get(t);
    const kp = slot.get(p);
    if (kt !== undefined) truthCount[kt]!++;
    if (kp !== undefined) predCount[kp]!++;
    if (t === p && kt !== undefined) intersection[kt]!++;
  }
  const scores = parts.map((part, k) => {
    const union = truthCount[k]! + predCount[k]! - intersection[k]!;
    return { part, iou: union === 0 ? 1 : intersection[k]! / union, truthCount: truthCount[k]!, predCount: predCount[k]! };
  });
  const miou = scores.length === 0 ? 1 : scores.reduce((sum, s) => sum + s.iou, 0) / scores.length;
  return { accuracy: truth.length === 0 ? 1 : 1 - wrong / truth.length, miou, parts: scores, wrong };
}

/** How many points two predictions differ on (both the same length). */
export function countDifferences(a: Int32Array, b: Int32Array): number {
  if (a.length !== b.length) throw new RangeError(`countDifferences: ${a.length} vs ${b.length} points`);
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
  return differ;
}

/** The class a classifier predicted: its `pred` (constant per point), else the largest probability. */
export function predictedClass(pred: Int32Array | undefined, probabilities: Float32Array | undefined): number | undefined {
  if (pred && pred.length > 0) return pred[0];
  if (!probabilities || probabilities.length === 0) return undefined;
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
  return best;
}

/** The most frequent value (the class of a classification file's `label`, which is constant). */
export function majority(values: Int32Array): number | undefined {
  const counts = new Map<number, number>();
  let best: number | undefined;
  let bestCount = 0;
  for (const value of values) {
    const count = (counts.get(value) ?? 0) + 1;
    counts.set(value, count);
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}
