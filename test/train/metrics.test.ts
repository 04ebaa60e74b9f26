import { describe, expect, it } from 'vitest';
import { ConfusionMatrix, PartSegmentationMeter, shapeIoU } from '../../src/train/metrics.ts';
import { argmaxAmong } from '../../src/train/evaluate.ts';

describe('classification metrics', () => {
  it('overall and mean class accuracy on a hand-computed case', () => {
    const m = new ConfusionMatrix(3);
    // class 0: 3 of 4 right; class 1: 1 of 2 right; class 2: absent from the truth
    m.add([0, 0, 0, 0, 1, 1], [0, 0, 0, 2, 1, 0]);
    expect(m.overallAccuracy()).toBeCloseTo(4 / 6, 12);
    expect(m.meanClassAccuracy()).toBeCloseTo((3 / 4 + 1 / 2) / 2, 12);
    expect(m.toRows()).toEqual([
      [3, 0, 1],
      [1, 1, 0],
      [0, 0, 0],
    ]);
  });

  it('rejects labels out of range', () => {
    expect(() => new ConfusionMatrix(2).add([0, 2], [0, 1])).toThrow(/out of range/);
  });
});

describe('part segmentation mIoU (ShapeNetPart convention)', () => {
  it('a part absent from both truth and prediction counts as IoU 1', () => {
    // parts 4, 5, 6 of the category; part 6 appears nowhere
    const truth = [4, 4, 5, 5];
    const predicted = [4, 5, 5, 5];
    // part 4: I=1, U=2 → 0.5; part 5: I=2, U=3 → 2/3; part 6: 1
    expect(shapeIoU(truth, predicted, [4, 5, 6])).toBeCloseTo((0.5 + 2 / 3 + 1) / 3, 12);
  });

  it('instance mIoU averages shapes, class mIoU averages categories', () => {
    const meter = new PartSegmentationMeter([
      [0, 1],
      [2, 3],
    ]);
    meter.add(0, [0, 1], [0, 1]); // 1
    meter.add(0, [0, 0], [1, 1]); // part 0: 0/2, part 1: 0/2 → 0
    meter.add(1, [2, 3], [2, 2]); // part 2: 1/2, part 3: 0/1 → 0.25
    const scores = meter.scores();
    expect(scores.instanceMIoU).toBeCloseTo((1 + 0 + 0.25) / 3, 12);
    expect(scores.categoryMIoU[0]).toBeCloseTo(0.5, 12);
    expect(scores.categoryMIoU[1]).toBeCloseTo(0.25, 12);
    expect(scores.classMIoU).toBeCloseTo((0.5 + 0.25) / 2, 12);
    expect(scores.pointAccuracy).toBeCloseTo(3 / 6, 12);
  });

  it('predictions are restricted to the parts of the shape’s category', () => {
    // two points, four part logits; only parts 2 and 3 are allowed
    const logits = Float32Array.from([9, 0, 1, 2, 0, 9, 5, 4]);
    expect(Array.from(argmaxAmong(logits, 4, [2, 3]))).toEqual([3, 2]);
  });
});
