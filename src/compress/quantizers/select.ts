/**
 * Order statistics on weight values in plain JS. Weights are small (≤ a few million values) and
 * these run at most once per step per layer, so a copy and a quickselect are cheap next to the
 * forward pass; activations never come here.
 */

/** The k-th smallest value (0-based) of `values`; `values` is not modified. */
export function kthSmallest(values: ArrayLike<number>, k: number): number {
  const n = values.length;
  if (!(k >= 0 && k < n)) throw new RangeError(`k = ${k} is outside [0, ${n})`);
  const a = Float64Array.from(values);
  let left = 0;
  let right = n - 1;
  while (right > left) {
    // median of three as pivot, Hoare-style partition
    const mid = (left + right) >>> 1;
    const pivot = median3(a[left]!, a[mid]!, a[right]!);
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** |x| of every value, as a new Float32Array. */
export function magnitudes(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.abs(values[i]!);
  return out;
}
