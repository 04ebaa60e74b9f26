// AssemblyScript, compiled to SIMD WebAssembly by ../build.ts. The inference engine's kernels
// (semantics and bit layout: ../kernels.ts; reference: ../js-kernels.ts). Pointers are byte
// offsets into the imported memory, which is the engine's arena (../wasm-kernels.ts).
//
// Bit rows are `words` u64 words (64 sign bits each, padding bits 0), so a binary dot product is
// inC − 2·popcount(x XOR w). Popcount is one scalar instruction on x86/ARM, while SIMD has only a
// byte-wise popcount with a costly horizontal sum, so the binary kernels count in scalar i64
// registers; they keep a block of weight rows in locals (small word counts are unrolled through
// the constant `W` of inlined helpers) and use SIMD only to reduce many counts at once.

// ---- Float layers ----

const RELU = 1;
const LEAKY_RELU = 2;

/** act(scale·v + shift) in f64, rounded once: bit-identical to the JS reference's epilogue. */
@inline
function affineScalar(v: f64, scale: f32, shift: f32, act: i32, slope: f64): f32 {
  let y = <f64>scale * v + <f64>shift;
  if (act == RELU) y = y > 0 ? y : 0;
  else if (act == LEAKY_RELU) y = y >= 0 ? y : y * slope;
  return <f32>y;
}

/** The same epilogue on four f32 lanes (rounding after each step, unlike affineScalar). */
@inline
function affineVector(v: v128, scale: v128, shift: v128, act: i32, slope: v128): v128 {
  const y = f32x4.add(f32x4.mul(scale, v), shift);
  // pmax(0, y) = 0 < y ? y : 0, so NaN → 0 like the reference's `y > 0 ? y : 0`
  if (act == RELU) return f32x4.pmax(f32x4.splat(0), y);
  if (act == LEAKY_RELU) return v128.bitselect(y, f32x4.mul(y, slope), f32x4.ge(y, f32x4.splat(0)));
  return y;
}

/**
 * out[r, o] = act(scale[o]·Σ_c x[r, c]·w[c, o] + shift[o]); x [rows, inC], w [inC, outC].
 * Blocks of 4 rows × 8 output channels (eight f32x4 accumulators) reuse each weight load for four
 * rows; every sum runs over c in order, as in the reference.
 */
export function denseF32(x: usize, rows: i32, inC: i32, w: usize, outC: i32, scale: usize, shift: usize, act: i32, slope: f64, out: usize): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) denseRows(x, r, 4, inC, w, outC, scale, shift, act, slope, out);
  for (; r < rows; r++) denseRows(x, r, 1, inC, w, outC, scale, shift, act, slope, out);
}

/** Rows r .. r+R−1 of denseF32 (R = 1 or 4, constant after inlining). */
@inline
function denseRows(x: usize, r: i32, R: i32, inC: i32, w: usize, outC: i32, scale: usize, shift: usize, act: i32, slope: f64, out: usize): void {
  const inBytes = <usize>inC << 2;
  const outBytes = <usize>outC << 2;
  const x0 = x + <usize>r * inBytes;
  const o0 = out + <usize>r * outBytes;
  const slopes = f32x4.splat(<f32>slope);
  let o = 0;
  for (; o + 8 <= outC; o += 8) {
    const ob = <usize>o << 2;
    let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
    let xp = x0;
    let wp = w + ob;
    for (let c = 0; c < inC; c++) {
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      const xa = v128.load32_splat(xp);
      a0 = f32x4.add(a0, f32x4.mul(xa, w0));
      a1 = f32x4.add(a1, f32x4.mul(xa, w1));
      if (R == 4) {
        const xb = v128.load32_splat(xp + inBytes);
        b0 = f32x4.add(b0, f32x4.mul(xb, w0));
        b1 = f32x4.add(b1, f32x4.mul(xb, w1));
        const xc = v128.load32_splat(xp + 2 * inBytes);
        c0 = f32x4.add(c0, f32x4.mul(xc, w0));
        c1 = f32x4.add(c1, f32x4.mul(xc, w1));
        const xd = v128.load32_splat(xp + 3 * inBytes);
        d0 = f32x4.add(d0, f32x4.mul(xd, w0));
        d1 = f32x4.add(d1, f32x4.mul(xd, w1));
      }
      xp += 4;
      wp += outBytes;
    }
    const s0 = v128.load(scale + ob), s1 = v128.load(scale + ob, 16);
    const t0 = v128.load(shift + ob), t1 = v128.load(shift + ob, 16);
    let dst = o0 + ob;
    v128.store(dst, affineVector(a0, s0, t0, act, slopes));
    v128.store(dst, affineVector(a1, s1, t1, act, slopes), 16);
    if (R == 4) {
      dst += outBytes;
      v128.store(dst, affineVector(b0, s0, t0, act, slopes));
      v128.store(dst, affineVector(b1, s1, t1, act, slopes), 16);
      dst += outBytes;
      v128.store(dst, affineVector(c0, s0, t0, act, slopes));
      v128.store(dst, affineVector(c1, s1, t1, act, slopes), 16);
      dst += outBytes;
      v128.store(dst, affineVector(d0, s0, t0, act, slopes));
      v128.store(dst, affineVector(d1, s1, t1, act, slopes), 16);
    }
  }
  if (o + 4 <= outC) {
    const ob = <usize>o << 2;
    let a = f32x4.splat(0), b = a, c4 = a, d = a;
    let xp = x0;
    let wp = w + ob;
    for (let c = 0; c < inC; c++) {
      const w0 = v128.load(wp);
      a = f32x4.add(a, f32x4.mul(v128.load32_splat(xp), w0));
      if (R == 4) {
        b = f32x4.add(b, f32x4.mul(v128.load32_splat(xp + inBytes), w0));
        c4 = f32x4.add(c4, f32x4.mul(v128.load32_splat(xp + 2 * inBytes), w0));
        d = f32x4.add(d, f32x4.mul(v128.load32_splat(xp + 3 * inBytes), w0));
      }
      xp += 4;
      wp += outBytes;
    }
    const s = v128.load(scale + ob);
    const t = v128.load(shift + ob);
    v128.store(o0 + ob, affineVector(a, s, t, act, slopes));
    if (R == 4) {
      v128.store(o0 + outBytes + ob, affineVector(b, s, t, act, slopes));
      v128.store(o0 + 2 * outBytes + ob, affineVector(c4, s, t, act, slopes));
      v128.store(o0 + 3 * outBytes + ob, affineVector(d, s, t, act, slopes));
    }
    o += 4;
  }
  // the last outC mod 4 channels, one by one
  for (; o < outC; o++) {
    const ob = <usize>o << 2;
    for (let i = 0; i < R; i++) {
      const xr = x0 + <usize>i * inBytes;
      let sum: f32 = 0;
      for (let c = 0; c < inC; c++) sum += load<f32>(xr + (<usize>c << 2)) * load<f32>(w + <usize>c * outBytes + ob);
      store<f32>(o0 + <usize>i * outBytes + ob, affineScalar(sum, load<f32>(scale + ob), load<f32>(shift + ob), act, slope));
    }
  }
}

/** out[c] = max over rows of x[r, c] (NaN never wins, as in the reference; −∞ for no rows). */
export function maxRows(x: usize, rows: i32, channels: i32, out: usize): void {
  const rowBytes = <usize>channels << 2;
  const end = x + <usize>rows * rowBytes;
  const low = f32x4.splat(-Infinity);
  let c = 0;
  // 16 channels at a time in registers; pmax(m, v) = m < v ? v : m skips NaN like `v > m`
  for (; c + 16 <= channels; c += 16) {
    let m0 = low, m1 = low, m2 = low, m3 = low;
    for (let p = x + (<usize>c << 2); p < end; p += rowBytes) {
      m0 = f32x4.pmax(m0, v128.load(p));
      m1 = f32x4.pmax(m1, v128.load(p, 16));
      m2 = f32x4.pmax(m2, v128.load(p, 32));
      m3 = f32x4.pmax(m3, v128.load(p, 48));
    }
    const dst = out + (<usize>c << 2);
    v128.store(dst, m0);
    v128.store(dst, m1, 16);
    v128.store(dst, m2, 32);
    v128.store(dst, m3, 48);
  }
  for (; c + 4 <= channels; c += 4) {
    let m = low;
    for (let p = x + (<usize>c << 2); p < end; p += rowBytes) m = f32x4.pmax(m, v128.load(p));
    v128.store(out + (<usize>c << 2), m);
  }
  for (; c < channels; c++) {
    let m: f32 = -Infinity;
    for (let p = x + (<usize>c << 2); p < end; p += rowBytes) {
      const v = load<f32>(p);
      if (v > m) m = v;
    }
    store<f32>(out + (<usize>c << 2), m);
  }
}

// ---- Sign bits ----

/** Bits (x ≥ 0) of 16 floats at p, bit i for float i (NaN → 0, −0 → 1). */
@inline
function signs16(p: usize): u64 {
  const zero = f32x4.splat(0);
  const m01 = i16x8.narrow_i32x4_s(f32x4.ge(v128.load(p), zero), f32x4.ge(v128.load(p, 16), zero));
  const m23 = i16x8.narrow_i32x4_s(f32x4.ge(v128.load(p, 32), zero), f32x4.ge(v128.load(p, 48), zero));
  return <u64>i8x16.bitmask(i8x16.narrow_i16x8_s(m01, m23));
}

/** out = sign bits of x [rows, channels]; every word of every row is written, padding bits 0. */
export function packSigns(x: usize, rows: i32, channels: i32, out: usize): void {
  const words = (channels + 63) >>> 6;
  const rowBytes = <usize>channels << 2;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * rowBytes;
    const dst = out + ((<usize>r * <usize>words) << 3);
    for (let k = 0; k < words; k++) {
      const base = row + (<usize>k << 8);
      const n = min(channels - (k << 6), 64);
      let bits: u64 = 0;
      let c = 0;
      for (; c + 16 <= n; c += 16) bits |= signs16(base + (<usize>c << 2)) << <u64>c;
      for (; c < n; c++) if (load<f32>(base + (<usize>c << 2)) >= 0) bits |= (<u64>1) << <u64>c;
      store<u64>(dst + (<usize>k << 3), bits);
    }
  }
}

// ---- Binary layers ----

/** popcount(a XOR b) over `words` words (any count): the general path. */
@inline
function popcountXor(a: usize, b: usize, words: i32): i32 {
  let s0: u64 = 0;
  let s1: u64 = 0;
  const end = a + (<usize>words << 3);
  // two accumulators so consecutive words do not wait on one another
  for (; a + 16 <= end; a += 16, b += 16) {
    s0 += popcnt<u64>(load<u64>(a) ^ load<u64>(b));
    s1 += popcnt<u64>(load<u64>(a, 8) ^ load<u64>(b, 8));
  }
  if (a < end) s0 += popcnt<u64>(load<u64>(a) ^ load<u64>(b));
  return <i32>(s0 + s1);
}

/** popcount(x XOR w) for a row already in locals x0..x3 (the first W of them count). */
@inline
function popcountRow(x0: u64, x1: u64, x2: u64, x3: u64, wp: usize, W: i32): i32 {
  let s = popcnt<u64>(x0 ^ load<u64>(wp));
  if (W >= 2) s += popcnt<u64>(x1 ^ load<u64>(wp, 8));
  if (W >= 3) s += popcnt<u64>(x2 ^ load<u64>(wp, 16));
  if (W >= 4) s += popcnt<u64>(x3 ^ load<u64>(wp, 24));
  return <i32>s;
}

/** Loads word i of a row when the row has more than i words (W constant after inlining). */
@inline
function wordOf(p: usize, i: i32, W: i32): u64 {
  return i < W ? load<u64>(p + (<usize>i << 3)) : 0;
}

/**
 * out[r, o] = act(scale[o]·dot + shift[o]), dot = inC − 2·popcount(x_r XOR w_o). One row at a
 * time against every output (the dominant use is a single pooled vector against a large layer).
 */
export function binaryDenseF32(x: usize, rows: i32, inC: i32, w: usize, outC: i32, scale: usize, shift: usize, act: i32, slope: f64, out: usize): void {
  const words = (inC + 63) >>> 6;
  if (words == 1) binaryDenseF32W(x, rows, inC, w, outC, scale, shift, act, slope, out, 1);
  else if (words == 2) binaryDenseF32W(x, rows, inC, w, outC, scale, shift, act, slope, out, 2);
  else if (words == 4) binaryDenseF32W(x, rows, inC, w, outC, scale, shift, act, slope, out, 4);
  else binaryDenseF32W(x, rows, inC, w, outC, scale, shift, act, slope, out, 0);
}

/** binaryDenseF32 for rows of W words (1, 2 or 4; 0 = any count, looped). */
@inline
function binaryDenseF32W(x: usize, rows: i32, inC: i32, w: usize, outC: i32, scale: usize, shift: usize, act: i32, slope: f64, out: usize, W: i32): void {
  const words = (inC + 63) >>> 6;
  const rowBytes = <usize>words << 3;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const x0 = wordOf(xr, 0, W), x1 = wordOf(xr, 1, W), x2 = wordOf(xr, 2, W), x3 = wordOf(xr, 3, W);
    const dst = out + ((<usize>r * <usize>outC) << 2);
    let wp = w;
    for (let o = 0; o < outC; o++) {
      const differences = W == 0 ? popcountXor(xr, wp, words) : popcountRow(x0, x1, x2, x3, wp, W);
      const ob = <usize>o << 2;
      store<f32>(dst + ob, affineScalar(<f64>(inC - 2 * differences), load<f32>(scale + ob), load<f32>(shift + ob), act, slope));
      wp += rowBytes;
    }
  }
}

/**
 * bit[r, o] = direction[o]·dot ≥ threshold[o], for all rows; out rows are bitWords64(outC) words,
 * padding bits 0. For rows of up to 3 words the test is moved to count space once per output
 * (countBound), so four outputs × two rows of counts, packed in bytes as in binaryDenseMinMax,
 * are compared at once and i8x16.bitmask gives their output bits. Other word counts and the last
 * outC mod 4 outputs compare each dot directly.
 */
export function binaryDenseSign(x: usize, rows: i32, inC: i32, w: usize, outC: i32, direction: usize, threshold: usize, out: usize): void {
  const words = (inC + 63) >>> 6;
  const outWords = (outC + 63) >>> 6;
  memory.fill(out, 0, (<usize>rows * <usize>outWords) << 3);
  let o = 0;
  if (words == 1) for (; o + 4 <= outC; o += 4) sign4Outputs(x, rows, inC, w, o, direction, threshold, out, outWords, 1);
  else if (words == 2) for (; o + 4 <= outC; o += 4) sign4Outputs(x, rows, inC, w, o, direction, threshold, out, outWords, 2);
  else if (words == 3) for (; o + 4 <= outC; o += 4) sign4Outputs(x, rows, inC, w, o, direction, threshold, out, outWords, 3);
  if (o == outC) return;
  if (words == 1) signOutputs(x, rows, inC, w, o, outC, direction, threshold, out, outWords, 1);
  else if (words == 2) signOutputs(x, rows, inC, w, o, outC, direction, threshold, out, outWords, 2);
  else if (words == 4) signOutputs(x, rows, inC, w, o, outC, direction, threshold, out, outWords, 4);
  else signOutputs(x, rows, inC, w, o, outC, direction, threshold, out, outWords, 0);
}

@inline
function floorDiv(a: i64, b: i64): i64 {
  const q = a / b;
  return a % b != 0 && (a ^ b) < 0 ? q - 1 : q;
}

@inline
function ceilDiv(a: i64, b: i64): i64 {
  return -floorDiv(-a, b);
}

/**
 * direction·(inC − 2·count) ≥ threshold rewritten as (count < U) XOR flip; returns U, clamped to
 * [0, 255] (counts of ≤ 3 words never exceed 192, so 255 still means "always"), | flip << 8.
 */
@inline
function countBound(inC: i32, direction: i32, threshold: i32): i32 {
  const d = <i64>direction;
  const t = <i64>threshold;
  let u: i64 = 0;
  let flip = 0;
  if (d > 0) {
    // dot ≥ ⌈t/d⌉ =: T  ⇔  count ≤ ⌊(inC − T)/2⌋
    u = floorDiv(<i64>inC - (d == 1 ? t : ceilDiv(t, d)), 2) + 1;
  } else if (d < 0) {
    // dot ≤ ⌊t/d⌋ =: T  ⇔  count ≥ ⌈(inC − T)/2⌉  ⇔  !(count < ⌈(inC − T)/2⌉)
    u = ceilDiv(<i64>inC - (d == -1 ? -t : floorDiv(t, d)), 2);
    flip = 1;
  } else {
    // 0 ≥ t alone decides (count < 0 is never true)
    flip = t <= 0 ? 1 : 0;
  }
  const clamped = u < 0 ? 0 : u > 255 ? 255 : <i32>u;
  return clamped | (flip << 8);
}

/** Outputs o .. o+3 of binaryDenseSign for rows of W ≤ 3 words, two rows per step. */
@inline
function sign4Outputs(x: usize, rows: i32, inC: i32, w: usize, o: i32, direction: usize, threshold: usize, out: usize, outWords: i32, W: i32): void {
  const rowBytes = <usize>W << 3;
  const outRowBytes = <usize>outWords << 3;
  const wa = w + <usize>o * rowBytes;
  const wb = wa + rowBytes, wc = wb + rowBytes, wd = wc + rowBytes;
  const a0 = load<u64>(wa), a1 = wordOf(wa, 1, W), a2 = wordOf(wa, 2, W);
  const b0 = load<u64>(wb), b1 = wordOf(wb, 1, W), b2 = wordOf(wb, 2, W);
  const c0 = load<u64>(wc), c1 = wordOf(wc, 1, W), c2 = wordOf(wc, 2, W);
  const d0 = load<u64>(wd), d1 = wordOf(wd, 1, W), d2 = wordOf(wd, 2, W);
  // bytes j and 4 + j: bound and flip mask of output o + j (for both rows of a step)
  let bounds: u64 = 0;
  let flips: u64 = 0;
  for (let j = 0; j < 4; j++) {
    const bound = countBound(inC, load<i32>(direction + (<usize>(o + j) << 2)), load<i32>(threshold + (<usize>(o + j) << 2)));
    bounds |= (<u64>(bound & 0xff) * 0x100000001) << (<u64>j << 3);
    flips |= (<u64>(bound >>> 8) * 0x000000ff000000ff) << (<u64>j << 3);
  }
  const boundVector = i64x2.splat(bounds);
  const flipVector = i64x2.splat(flips);
  // the 4 bits land in the low or high half of byte o/8 of each output row
  const at = out + (<usize>o >>> 3);
  const shift = o & 4;
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const p = x + <usize>r * rowBytes;
    const counts = i64x2.splat(packedCounts8(p, p + rowBytes, a0, a1, a2, b0, b1, b2, c0, c1, c2, d0, d1, d2, W));
    const bits = i8x16.bitmask(v128.xor(i8x16.lt_u(counts, boundVector), flipVector));
    const dst = at + <usize>r * outRowBytes;
    store<u8>(dst, load<u8>(dst) | ((bits & 0xf) << shift));
    store<u8>(dst + outRowBytes, load<u8>(dst + outRowBytes) | (((bits >>> 4) & 0xf) << shift));
  }
  if (r < rows) {
    const p = x + <usize>r * rowBytes;
    const counts = i64x2.splat(packedCounts8(p, p, a0, a1, a2, b0, b1, b2, c0, c1, c2, d0, d1, d2, W));
    const bits = i8x16.bitmask(v128.xor(i8x16.lt_u(counts, boundVector), flipVector));
    const dst = at + <usize>r * outRowBytes;
    store<u8>(dst, load<u8>(dst) | ((bits & 0xf) << shift));
  }
}

/**
 * Outputs from .. to−1 of binaryDenseSign, any word count (W = 1, 2, 4 unrolled; 0 = looped), row
 * by row, comparing direction·dot ≥ threshold in i64 (exact, like the reference's doubles).
 */
@inline
function signOutputs(x: usize, rows: i32, inC: i32, w: usize, from: i32, to: i32, direction: usize, threshold: usize, out: usize, outWords: i32, W: i32): void {
  const words = (inC + 63) >>> 6;
  const rowBytes = <usize>words << 3;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const x0 = wordOf(xr, 0, W), x1 = wordOf(xr, 1, W), x2 = wordOf(xr, 2, W), x3 = wordOf(xr, 3, W);
    const dst = out + ((<usize>r * <usize>outWords) << 3);
    let bits: u64 = 0;
    for (let o = from; o < to; o++) {
      const wp = w + <usize>o * rowBytes;
      const differences = W == 0 ? popcountXor(xr, wp, words) : popcountRow(x0, x1, x2, x3, wp, W);
      const dot = <i64>(inC - 2 * differences);
      const on = <i64>load<i32>(direction + (<usize>o << 2)) * dot >= <i64>load<i32>(threshold + (<usize>o << 2));
      bits |= <u64>on << <u64>(o & 63);
      if ((o & 63) == 63 || o == to - 1) {
        // OR: a word may already hold bits of the packed path
        const word = dst + (<usize>(o >>> 6) << 3);
        store<u64>(word, load<u64>(word) | bits);
        bits = 0;
      }
    }
  }
}

/**
 * max[o], min[o] of dot = inC − 2·popcount(x_r XOR w_o) over all rows. The minimum and maximum
 * count are tracked instead (max dot = inC − 2·min count). Counts of up to 3 words (≤ 192) fit a
 * byte: four outputs × two rows are packed into one i64 and reduced by i8x16.min_u/max_u, which
 * costs less than scalar compare-and-select pairs. 4 words use 16-bit lanes; more loop one output
 * at a time.
 */
export function binaryDenseMinMax(x: usize, rows: i32, inC: i32, w: usize, outC: i32, max: usize, min: usize): void {
  if (rows <= 0) {
    for (let o = 0; o < outC; o++) {
      store<i32>(max + (<usize>o << 2), -0x7fffffff);
      store<i32>(min + (<usize>o << 2), 0x7fffffff);
    }
    return;
  }
  const words = (inC + 63) >>> 6;
  let o = 0;
  if (words == 1) for (; o + 4 <= outC; o += 4) minMax8Bit(x, rows, inC, w, o, max, min, 1);
  else if (words == 2) for (; o + 4 <= outC; o += 4) minMax8Bit(x, rows, inC, w, o, max, min, 2);
  else if (words == 3) for (; o + 4 <= outC; o += 4) minMax8Bit(x, rows, inC, w, o, max, min, 3);
  else if (words == 4) for (; o + 2 <= outC; o += 2) minMax16Bit(x, rows, inC, w, o, max, min);
  for (; o < outC; o++) minMaxOne(x, rows, inC, w, o, max, min);
}

/** Counts of rows p and q against the four weight rows (W words each) in locals, packed in bytes. */
@inline
function packedCounts8(p: usize, q: usize, a0: u64, a1: u64, a2: u64, b0: u64, b1: u64, b2: u64, c0: u64, c1: u64, c2: u64, d0: u64, d1: u64, d2: u64, W: i32): u64 {
  const x0 = load<u64>(p), x1 = wordOf(p, 1, W), x2 = wordOf(p, 2, W);
  const y0 = load<u64>(q), y1 = wordOf(q, 1, W), y2 = wordOf(q, 2, W);
  return counts3(x0, x1, x2, a0, a1, a2, W)
    | (counts3(x0, x1, x2, b0, b1, b2, W) << 8)
    | (counts3(x0, x1, x2, c0, c1, c2, W) << 16)
    | (counts3(x0, x1, x2, d0, d1, d2, W) << 24)
    | (counts3(y0, y1, y2, a0, a1, a2, W) << 32)
    | (counts3(y0, y1, y2, b0, b1, b2, W) << 40)
    | (counts3(y0, y1, y2, c0, c1, c2, W) << 48)
    | (counts3(y0, y1, y2, d0, d1, d2, W) << 56);
}

@inline
function counts3(x0: u64, x1: u64, x2: u64, w0: u64, w1: u64, w2: u64, W: i32): u64 {
  let s = popcnt<u64>(x0 ^ w0);
  if (W >= 2) s += popcnt<u64>(x1 ^ w1);
  if (W >= 3) s += popcnt<u64>(x2 ^ w2);
  return s;
}

/** Outputs o .. o+3 of binaryDenseMinMax for rows of W ≤ 3 words. */
@inline
function minMax8Bit(x: usize, rows: i32, inC: i32, w: usize, o: i32, max: usize, min: usize, W: i32): void {
  const rowBytes = <usize>W << 3;
  const wa = w + <usize>o * rowBytes;
  const wb = wa + rowBytes, wc = wb + rowBytes, wd = wc + rowBytes;
  const a0 = load<u64>(wa), a1 = wordOf(wa, 1, W), a2 = wordOf(wa, 2, W);
  const b0 = load<u64>(wb), b1 = wordOf(wb, 1, W), b2 = wordOf(wb, 2, W);
  const c0 = load<u64>(wc), c1 = wordOf(wc, 1, W), c2 = wordOf(wc, 2, W);
  const d0 = load<u64>(wd), d1 = wordOf(wd, 1, W), d2 = wordOf(wd, 2, W);
  let high = i8x16.splat(0);
  let low = i8x16.splat(-1);
  const pairsEnd = x + <usize>(rows & ~1) * rowBytes;
  let p = x;
  for (; p < pairsEnd; p += rowBytes << 1) {
    const v = i64x2.splat(packedCounts8(p, p + rowBytes, a0, a1, a2, b0, b1, b2, c0, c1, c2, d0, d1, d2, W));
    high = i8x16.max_u(high, v);
    low = i8x16.min_u(low, v);
  }
  if (rows & 1) {
    // the odd last row, counted twice
    const v = i64x2.splat(packedCounts8(p, p, a0, a1, a2, b0, b1, b2, c0, c1, c2, d0, d1, d2, W));
    high = i8x16.max_u(high, v);
    low = i8x16.min_u(low, v);
  }
  // bytes 0..3 and 4..7 are the two rows of each pair: fold, widen to i32, map to dots
  high = i8x16.max_u(high, i32x4.shuffle(high, high, 1, 0, 3, 2));
  low = i8x16.min_u(low, i32x4.shuffle(low, low, 1, 0, 3, 2));
  storeDots(inC, o, max, min, i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(low)), i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(high)));
}

/** max[o..o+3] = inC − 2·minCount, min[o..o+3] = inC − 2·maxCount. */
@inline
function storeDots(inC: i32, o: i32, max: usize, min: usize, minCount: v128, maxCount: v128): void {
  const n = i32x4.splat(inC);
  v128.store(max + (<usize>o << 2), i32x4.sub(n, i32x4.shl(minCount, 1)));
  v128.store(min + (<usize>o << 2), i32x4.sub(n, i32x4.shl(maxCount, 1)));
}

/** Outputs o, o+1 of binaryDenseMinMax for 4-word rows: two outputs × two rows in 16-bit lanes. */
@inline
function minMax16Bit(x: usize, rows: i32, inC: i32, w: usize, o: i32, max: usize, min: usize): void {
  const wa = w + (<usize>o << 5);
  const a0 = load<u64>(wa), a1 = load<u64>(wa, 8), a2 = load<u64>(wa, 16), a3 = load<u64>(wa, 24);
  const b0 = load<u64>(wa, 32), b1 = load<u64>(wa, 40), b2 = load<u64>(wa, 48), b3 = load<u64>(wa, 56);
  let high = i16x8.splat(0);
  let low = i16x8.splat(-1);
  const end = x + (<usize>rows << 5);
  for (let p = x; p < end; p += 64) {
    // the odd last row is paired with itself
    const q = p + 32 < end ? p + 32 : p;
    const x0 = load<u64>(p), x1 = load<u64>(p, 8), x2 = load<u64>(p, 16), x3 = load<u64>(p, 24);
    const y0 = load<u64>(q), y1 = load<u64>(q, 8), y2 = load<u64>(q, 16), y3 = load<u64>(q, 24);
    const packed = counts4(x0, x1, x2, x3, a0, a1, a2, a3)
      | (counts4(x0, x1, x2, x3, b0, b1, b2, b3) << 16)
      | (counts4(y0, y1, y2, y3, a0, a1, a2, a3) << 32)
      | (counts4(y0, y1, y2, y3, b0, b1, b2, b3) << 48);
    const v = i64x2.splat(packed);
    high = i16x8.max_u(high, v);
    low = i16x8.min_u(low, v);
  }
  high = i16x8.max_u(high, i32x4.shuffle(high, high, 1, 0, 3, 2));
  low = i16x8.min_u(low, i32x4.shuffle(low, low, 1, 0, 3, 2));
  // lanes 0, 1 are outputs o, o+1
  const n = inC;
  store<i32>(max + (<usize>o << 2), n - 2 * <i32>i16x8.extract_lane_u(low, 0));
  store<i32>(max + (<usize>o << 2), n - 2 * <i32>i16x8.extract_lane_u(low, 1), 4);
  store<i32>(min + (<usize>o << 2), n - 2 * <i32>i16x8.extract_lane_u(high, 0));
  store<i32>(min + (<usize>o << 2), n - 2 * <i32>i16x8.extract_lane_u(high, 1), 4);
}

@inline
function counts4(x0: u64, x1: u64, x2: u64, x3: u64, w0: u64, w1: u64, w2: u64, w3: u64): u64 {
  return popcnt<u64>(x0 ^ w0) + popcnt<u64>(x1 ^ w1) + popcnt<u64>(x2 ^ w2) + popcnt<u64>(x3 ^ w3);
}

/** Output o of binaryDenseMinMax, any word count: the general path and the tail of the above. */
function minMaxOne(x: usize, rows: i32, inC: i32, w: usize, o: i32, max: usize, min: usize): void {
  const words = (inC + 63) >>> 6;
  const rowBytes = <usize>words << 3;
  const wo = w + <usize>o * rowBytes;
  let high: i32 = 0;
  let low: i32 = 0x7fffffff;
  const end = x + <usize>rows * rowBytes;
  for (let p = x; p < end; p += rowBytes) {
    const count = popcountXor(p, wo, words);
    high = count > high ? count : high;
    low = count < low ? count : low;
  }
  store<i32>(max + (<usize>o << 2), inC - 2 * low);
  store<i32>(min + (<usize>o << 2), inC - 2 * high);
}
