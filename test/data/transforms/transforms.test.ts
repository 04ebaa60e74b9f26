import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/data/sample.ts';
import {
  centerAndScaleToUnitSphere,
  compose,
  farthestPointIndices,
  farthestPointSample,
  jitter,
  randomPointDropout,
  randomRotation,
  randomSample,
  randomScale,
  randomShift,
  rotateAboutUpAxis,
} from '../../../src/data/transforms/index.ts';
import { Rng } from '../../../src/util/rng.ts';

/** A cloud whose per-point data identify the point: label i, normal (i, 0, 0) before unit length. */
function numberedCloud(count: number, seed = 1): Sample {
  const rng = new Rng(seed);
  const points = Float32Array.from({ length: count * 3 }, () => rng.range(-2, 2));
  const normals = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) normals[3 * i + 1] = 1;
  return { id: 'cloud', points, normals, labels: Int32Array.from({ length: count }, (_, i) => i), label: 3 };
}

function pointAt(sample: Sample, i: number): number[] {
  return Array.from(sample.points.subarray(3 * i, 3 * i + 3));
}

describe('sampling', () => {
  it('randomSample takes distinct points and their labels and normals along', () => {
    const cloud = numberedCloud(100);
    const out = randomSample(40)(cloud, new Rng(2));
    expect(out.points.length).toBe(120);
    expect(new Set(out.labels).size).toBe(40);
    for (let i = 0; i < 40; i++) expect(pointAt(out, i)).toEqual(pointAt(cloud, out.labels![i]!));
    expect(out.normals!.length).toBe(120);
    expect(out.label).toBe(3);
  });

  it('randomSample pads a short cloud with repeats that keep every original point', () => {
    const out = randomSample(25)(numberedCloud(10), new Rng(3));
    expect(out.labels!.length).toBe(25);
    expect(new Set(out.labels)).toEqual(new Set(Array.from({ length: 10 }, (_, i) => i)));
  });

  it('farthest point sampling spreads points: the chosen set covers the cloud better than a random one', () => {
    const cloud = numberedCloud(2048, 5);
    const coverage = (sample: Sample) => {
      // Largest distance from any original point to its nearest chosen point.
      let worst = 0;
      for (let i = 0; i < 2048; i++) {
        let best = Infinity;
        for (let j = 0; j < sample.points.length / 3; j++) {
          const d = Math.hypot(cloud.points[3 * i]! - sample.points[3 * j]!, cloud.points[3 * i + 1]! - sample.points[3 * j + 1]!, cloud.points[3 * i + 2]! - sample.points[3 * j + 2]!);
          best = Math.min(best, d);
        }
        worst = Math.max(worst, best);
      }
      return worst;
    };
    const fps = farthestPointSample(64)(cloud, new Rng(1));
    const random = randomSample(64)(cloud, new Rng(1));
    expect(coverage(fps)).toBeLessThan(coverage(random) * 0.8);
    expect(new Set(fps.labels).size).toBe(64);
  });

  it('farthestPointIndices picks the opposite end of a line second', () => {
    const line = Float32Array.from([0, 0, 0, 1, 0, 0, 2, 0, 0, 10, 0, 0, 5, 0, 0]);
    expect(Array.from(farthestPointIndices(line, 3, 0))).toEqual([0, 3, 4]);
  });

  it('farthest point sampling 2048 → 1024 costs about one pass of N·M distances (a few ms on an idle core)', () => {
    const cloud = numberedCloud(2048, 7);
    const sample = farthestPointSample(1024);
    // The same N·M squared distances in a bare loop: the yardstick, so a busy machine slows both.
    const yardstick = () => {
      let sum = 0;
      for (let k = 0; k < 1024; k++) {
        for (let i = 0; i < 2048; i++) {
          const dx = cloud.points[3 * i]! - cloud.points[3 * k]!;
          const dy = cloud.points[3 * i + 1]! - cloud.points[3 * k + 1]!;
          const dz = cloud.points[3 * i + 2]! - cloud.points[3 * k + 2]!;
          sum += dx * dx + dy * dy + dz * dz;
        }
      }
      return sum;
    };
    const fastest = (run: () => unknown) => {
      run(); // warm up the JIT
      return Math.min(...Array.from({ length: 5 }, () => {
        const started = performance.now();
        run();
        return performance.now() - started;
      }));
    };
    const fps = fastest(() => sample(cloud, new Rng(1)));
    const reference = fastest(yardstick);
    expect(fps).toBeLessThan(10 * reference + 2);
    expect(fps).toBeLessThan(250);
  });
});

describe('normalization and augmentation', () => {
  it('centres at the origin with the farthest point on the unit sphere', () => {
    const out = centerAndScaleToUnitSphere()(numberedCloud(50), new Rng(0));
    const count = 50;
    const mean = [0, 1, 2].map((axis) => out.points.filter((_, i) => i % 3 === axis).reduce((a, b) => a + b, 0) / count);
    for (const m of mean) expect(Math.abs(m)).toBeLessThan(1e-5);
    const radii = Array.from({ length: count }, (_, i) => Math.hypot(...pointAt(out, i)));
    expect(Math.max(...radii)).toBeCloseTo(1, 5);
  });

  it('rotation about y keeps heights and distances, and turns normals with the points', () => {
    const cloud = numberedCloud(30);
    cloud.normals = Float32Array.from({ length: 90 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const out = rotateAboutUpAxis({ angle: Math.PI / 2 })(cloud, new Rng(0));
    for (let i = 0; i < 30; i++) {
      expect(out.points[3 * i + 1]).toBeCloseTo(cloud.points[3 * i + 1]!, 5);
      expect(Math.hypot(...pointAt(out, i))).toBeCloseTo(Math.hypot(...pointAt(cloud, i)), 4);
      // x-facing normals turn to face -z under +90° about y.
      expect(out.normals![3 * i + 2]).toBeCloseTo(-1, 5);
    }
  });

  it('a random SO(3) rotation is orthonormal: distances from the origin are kept, shapes are not mirrored', () => {
    const cloud = numberedCloud(20);
    const rotate = randomRotation();
    const out = rotate(cloud, new Rng(9));
    for (let i = 0; i < 20; i++) expect(Math.hypot(...pointAt(out, i))).toBeCloseTo(Math.hypot(...pointAt(cloud, i)), 4);
    const [a, b, c] = [pointAt(cloud, 0), pointAt(cloud, 1), pointAt(cloud, 2)];
    const [ra, rb, rc] = [pointAt(out, 0), pointAt(out, 1), pointAt(out, 2)];
    const det = (p: number[], q: number[], r: number[]) => p[0]! * (q[1]! * r[2]! - q[2]! * r[1]!) - p[1]! * (q[0]! * r[2]! - q[2]! * r[0]!) + p[2]! * (q[0]! * r[1]! - q[1]! * r[0]!);
    expect(det(ra, rb, rc)).toBeCloseTo(det(a, b, c), 3);
  });

  it('jitter moves each coordinate by at most clip', () => {
    const cloud = numberedCloud(500);
    const out = jitter({ sigma: 0.05, clip: 0.02 })(cloud, new Rng(4));
    let moved = 0;
    for (let i = 0; i < cloud.points.length; i++) {
      const delta = Math.abs(out.points[i]! - cloud.points[i]!);
      expect(delta).toBeLessThanOrEqual(0.02 + 1e-6);
      if (delta > 0) moved++;
    }
    expect(moved).toBeGreaterThan(1400);
  });

  it('anisotropic scaling scales each axis by its own factor in range, and keeps normals unit length', () => {
    const cloud = numberedCloud(10);
    cloud.normals = Float32Array.from({ length: 30 }, () => 1 / Math.sqrt(3));
    const out = randomScale({ low: 0.5, high: 2 })(cloud, new Rng(6));
    const factors = [0, 1, 2].map((axis) => out.points[axis]! / cloud.points[axis]!);
    for (let i = 0; i < 10; i++) {
      for (const axis of [0, 1, 2]) expect(out.points[3 * i + axis]! / cloud.points[3 * i + axis]!).toBeCloseTo(factors[axis]!, 4);
      expect(Math.hypot(out.normals![3 * i]!, out.normals![3 * i + 1]!, out.normals![3 * i + 2]!)).toBeCloseTo(1, 5);
    }
    for (const factor of factors) expect(factor).toBeGreaterThanOrEqual(0.5);
    expect(new Set(factors.map((f) => f.toFixed(4))).size).toBe(3);
  });

  it('shift moves every point by the same offset', () => {
    const cloud = numberedCloud(10);
    const out = randomShift({ range: 0.2 })(cloud, new Rng(8));
    const offset = [0, 1, 2].map((axis) => out.points[axis]! - cloud.points[axis]!);
    for (const o of offset) expect(Math.abs(o)).toBeLessThanOrEqual(0.2);
    for (let i = 0; i < 30; i++) expect(out.points[i]! - cloud.points[i]!).toBeCloseTo(offset[i % 3]!, 5);
  });

  it('point dropout keeps the count and replaces dropped points (and their labels) with the first point', () => {
    const cloud = numberedCloud(1000);
    const out = randomPointDropout({ maxRatio: 0.875 })(cloud, new Rng(12));
    expect(out.points.length).toBe(3000);
    let dropped = 0;
    for (let i = 0; i < 1000; i++) {
      const label = out.labels![i]!;
      expect(label === i || label === 0).toBe(true);
      expect(pointAt(out, i)).toEqual(pointAt(cloud, label));
      if (label !== i) dropped++;
    }
    expect(dropped).toBeGreaterThan(0);
  });
});

describe('composition and determinism', () => {
  const pipeline = compose(randomSample(64), centerAndScaleToUnitSphere(), rotateAboutUpAxis(), randomScale(), jitter(), randomPointDropout());

  it('the same seed gives the same result, another seed a different one', () => {
    const cloud = numberedCloud(300);
    const a = pipeline(cloud, new Rng(42));
    const b = pipeline(cloud, new Rng(42));
    const c = pipeline(cloud, new Rng(43));
    expect(Array.from(a.points)).toEqual(Array.from(b.points));
    expect(Array.from(a.labels!)).toEqual(Array.from(b.labels!));
    expect(Array.from(a.points)).not.toEqual(Array.from(c.points));
  });

  it('never modifies its input (datasets reuse cached samples)', () => {
    const cloud = numberedCloud(300);
    const before = Float32Array.from(cloud.points);
    pipeline(cloud, new Rng(1));
    expect(cloud.points).toEqual(before);
  });
});
