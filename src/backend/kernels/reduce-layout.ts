/**
 * A reduction over a contiguous block of axes sees its input as [outer, reduced, inner]. When
 * inner > 1 (the reduced axes are not the last ones), wasm's kernels transpose the whole tensor
 * first; walking the three-level layout directly needs no copy and reads memory in order.
 */
export interface ReduceLayout {
  outer: number;
  reduced: number;
  inner: number;
  /** Output shape without the reduced axes (keepDims = false). */
  outShape: number[];
  /** Output shape with reduced axes kept as 1. */
  keptShape: number[];
}

export function normalizeAxes(axis: number | number[] | undefined | null, rank: number): number[] {
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** The layout of a reduction, or null when the axes are not one contiguous block. */
export function reduceLayout(shape: number[], axes: number[]): ReduceLayout | null {
  if (axes.length === 0) return null;
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1]! + 1) return null;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  const product = (from: number, to: number) => shape.slice(from, to).reduce((p, d) => p * d, 1);
  return {
    outer: product(0, first),
    reduced: product(first, last + 1),
    inner: product(last + 1, shape.length),
    outShape: shape.filter((_, i) => i < first || i > last),
    keptShape: shape.map((d, i) => (i >= first && i <= last ? 1 : d)),
  };
}
