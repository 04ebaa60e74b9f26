/**
 * Numbers as text for the writers: the shortest decimal that reads back to the same float32 (a
 * float32 printed as a double needs up to 17 digits; as itself at most 9), exact doubles, and
 * `nan`/`inf`, which C's strtod and our reader both accept.
 */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value) || Object.is(value, -0)) return formatSpecial(value);
  const single = Math.fround(value);
  if (Number.isInteger(single) && Math.abs(single) < 1e15) return String(single);
  // Most float32 values need 6 to 9 significant digits; start where the answer usually is.
  for (let digits = 6; digits < 9; digits++) {
    const rounded = Number(single.toPrecision(digits));
    if (Math.fround(rounded) === single) return String(rounded);
  }
  return String(Number(single.toPrecision(9)));
}

export function formatFloat64(value: number): string {
  return Number.isFinite(value) && !Object.is(value, -0) ? String(value) : formatSpecial(value);
}

/** Fixed decimals, as ModelNet's and ShapeNetPart's text files are written (`%.6f`). */
export function formatFixed(value: number, decimals: number): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : formatSpecial(value);
}

/** NaN, ±inf, and -0 (which `String` prints as `0`, losing the sign). */
function formatSpecial(value: number): string {
  if (Object.is(value, -0)) return '-0';
  return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
}
