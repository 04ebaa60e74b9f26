/**
 * Bit-level codes of the packed format: a dense little-endian bit stream (value i occupies bits
 * [i·w, (i+1)·w) of the stream, bit j of the stream is bit (j mod 8) of byte ⌊j/8⌋), so a tensor of
 * n codes of w bits takes exactly ⌈n·w/8⌉ bytes, the size `bitpoint summary` counts.
 *
 *   binary   1 bit per weight: 1 = +1, 0 = −1
 *   ternary  2 bits: 0 = 0, 1 = +1, 3 = −1 (2 is invalid, so a flipped bit is often caught)
 *   uint k   k bits, an unsigned integer
 *   bitmap   1 bit per weight: 1 = kept, 0 = pruned (the kept values follow in their own codes)
 */

export function packedBytes(count: number, bitsPerValue: number): number {
  return Math.ceil((count * bitsPerValue) / 8);
}

/** Packs unsigned integers of `bits` bits (each < 2^bits) into a dense bit stream. */
export function packUints(values: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(packedBytes(values.length, bits));
  let position = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < 2 ** bits)) throw new RangeError(`value ${v} at ${i} does not fit in ${bits} bits`);
    for (let b = 0; b < bits; b++, position++) if ((v >>> b) & 1) out[position >>> 3]! |= 1 << (position & 7);
  }
  return out;
}

/** Reads `count` unsigned integers of `bits` bits from a dense bit stream. */
export function unpackUints(bytes: Uint8Array, count: number, bits: number): Uint32Array {
  if (bytes.length < packedBytes(count, bits)) throw new RangeError(`${count} codes of ${bits} bits need ${packedBytes(count, bits)} bytes, got ${bytes.length}`);
  const out = new Uint32Array(count);
  let position = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++, position++) v |= ((bytes[position >>> 3]! >>> (position & 7)) & 1) << b;
    out[i] = v >>> 0;
  }
  return out;
}

export const TERNARY_CODE = { zero: 0, plus: 1, minus: 3 } as const;

export function ternaryCode(sign: number): number {
  return sign > 0 ? TERNARY_CODE.plus : sign < 0 ? TERNARY_CODE.minus : TERNARY_CODE.zero;
}

/** −1, 0, +1 from a ternary code; NaN for the invalid code 2. */
export function ternarySign(code: number): number {
  return code === TERNARY_CODE.plus ? 1 : code === TERNARY_CODE.minus ? -1 : code === TERNARY_CODE.zero ? 0 : Number.NaN;
}
