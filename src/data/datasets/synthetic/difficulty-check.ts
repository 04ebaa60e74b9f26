import type { Rng } from '../../../util/rng.ts';

/**
 * A cheap stand-in for "how hard is this data set": k-nearest-neighbour classification on D2
 * shape distributions (Osada et al. 2002: the histogram of distances between random point pairs
 * of a centred, unit-sphere-scaled cloud). It is rotation-invariant and knows nothing of parts,
 * so it should land clearly above chance and clearly below 100% on a useful benchmark; a learned
 * point network is expected to do better.
 */

export interface D2Options {
  pairs?: number;
  bins?: number;
}

/** The D2 histogram (sums to 1) of an N×3 cloud; distances binned over [0, 2] after normalizing. */
export function d2Descriptor(points: Float32Array, rng: Rng, options: D2Options = {}): Float64Array {
  const pairs = options.pairs ?? 4000;
  const bins = options.bins ?? 32;
  const count = points.length / 3;
  let cx = 0;
  let cy = 0;
  let cz = 0;
  for (let i = 0; i < count; i++) {
    cx += points[3 * i]!;
    cy += points[3 * i + 1]!;
    cz += points[3 * i + 2]!;
  }
  cx /= count;
  cy /= count;
  cz /= count;
  let radius = 0;
  for (let i = 0; i < count; i++) {
    radius = Math.max(radius, Math.hypot(points[3 * i]! - cx, points[3 * i + 1]! - cy, points[3 * i + 2]! - cz));
  }
  const histogram = new Float64Array(bins);
  for (let p = 0; p < pairs; p++) {
    const a = 3 * rng.int(count);
    const b = 3 * rng.int(count);
    const distance = Math.hypot(points[a]! - points[b]!, points[a + 1]! - points[b + 1]!, points[a + 2]! - points[b + 2]!) / (radius || 1);
    histogram[Math.min(bins - 1, Math.floor((distance / 2) * bins))]! += 1 / pairs;
  }
  return histogram;
}

/**
 * Where the points lie relative to the up axis (y), which D2 ignores: histograms of height and of
 * distance from the axis (each `bins` wide, summing to 1) and their joint histogram at half
 * resolution, after centring and scaling to the unit sphere. Invariant to rotation about y.
 */
export function profileDescriptor(points: Float32Array, bins = 16): Float64Array {
  const count = points.length / 3;
  let cx = 0;
  let cy = 0;
  let cz = 0;
  for (let i = 0; i < count; i++) {
    cx += points[3 * i]!;
    cy += points[3 * i + 1]!;
    cz += points[3 * i + 2]!;
  }
  cx /= count;
  cy /= count;
  cz /= count;
  let radius = 0;
  for (let i = 0; i < count; i++) radius = Math.max(radius, Math.hypot(points[3 * i]! - cx, points[3 * i + 1]! - cy, points[3 * i + 2]! - cz));
  radius ||= 1;
  const half = bins / 2;
  const out = new Float64Array(2 * bins + half * half);
  for (let i = 0; i < count; i++) {
    const height = (points[3 * i + 1]! - cy) / radius; // -1..1
    const fromAxis = Math.hypot(points[3 * i]! - cx, points[3 * i + 2]! - cz) / radius; // 0..1
    const h = Math.min(bins - 1, Math.max(0, Math.floor(((height + 1) / 2) * bins)));
    const r = Math.min(bins - 1, Math.floor(fromAxis * bins));
    out[h]! += 1 / count;
    out[bins + r]! += 1 / count;
    out[2 * bins + (h >> 1) * half + (r >> 1)]! += 1 / count;
  }
  return out;
}

/** Accuracy of k-NN (L1 distance, majority vote, ties to the nearest) of test descriptors against train. */
export function knnAccuracy(
  train: readonly { descriptor: Float64Array; label: number }[],
  test: readonly { descriptor: Float64Array; label: number }[],
  k = 5,
): number {
  let correct = 0;
  for (const query of test) {
    const nearest = train
      .map((item) => ({ label: item.label, distance: l1(item.descriptor, query.descriptor) }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, k);
    const votes = new Map<number, number>();
    for (const item of nearest) votes.set(item.label, (votes.get(item.label) ?? 0) + 1);
    let best = nearest[0]!.label;
    for (const [label, count] of votes) if (count > votes.get(best)!) best = label;
    if (best === query.label) correct++;
  }
  return test.length ? correct / test.length : 0;
}

function l1(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum;
}
