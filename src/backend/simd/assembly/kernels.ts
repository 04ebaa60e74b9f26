// AssemblyScript, compiled to WebAssembly with SIMD (see ../build.ts). These kernels run inside
// the tfjs wasm backend's own memory (imported), on tensors at the byte offsets tfjs gives them,
// so nothing is copied. Rows × channels layout, channels last; tails that do not fill a 4-lane
// vector are done one by one.

/** sum[c] += Σ_r (x[r,c] − shift[c]) and sumsq[c] += Σ_r (x[r,c] − shift[c])², accumulated in f64. */
export function momentsShifted(x: usize, rows: i32, channels: i32, shift: usize, sum: usize, sumsq: usize): void {
  const vectorChannels = channels & ~3;
  for (let r = 0; r < rows; r++) {
    const row = x + ((<usize>r * <usize>channels) << 2);
    let c = 0;
    for (; c < vectorChannels; c += 4) {
      const d = f32x4.sub(v128.load(row + (<usize>c << 2)), v128.load(shift + (<usize>c << 2)));
      const sq = f32x4.mul(d, d);
      const s0 = sum + (<usize>c << 3);
      const q0 = sumsq + (<usize>c << 3);
      v128.store(s0, f64x2.add(v128.load(s0), f64x2.promote_low_f32x4(d)));
      v128.store(s0 + 16, f64x2.add(v128.load(s0 + 16), f64x2.promote_low_f32x4(i32x4.shuffle(d, d, 2, 3, 0, 1))));
      v128.store(q0, f64x2.add(v128.load(q0), f64x2.promote_low_f32x4(sq)));
      v128.store(q0 + 16, f64x2.add(v128.load(q0 + 16), f64x2.promote_low_f32x4(i32x4.shuffle(sq, sq, 2, 3, 0, 1))));
    }
    for (; c < channels; c++) {
      const d = <f64>(load<f32>(row + (<usize>c << 2)) - load<f32>(shift + (<usize>c << 2)));
      store<f64>(sum + (<usize>c << 3), load<f64>(sum + (<usize>c << 3)) + d);
      store<f64>(sumsq + (<usize>c << 3), load<f64>(sumsq + (<usize>c << 3)) + d * d);
    }
  }
}

/** y[r,c] = x[r,c]·scale[c] + bias[c]; with `relu`, max(·, 0). */
export function affine(x: usize, y: usize, rows: i32, channels: i32, scale: usize, bias: usize, relu: bool): void {
  const vectorChannels = channels & ~3;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const offset = (<usize>r * <usize>channels) << 2;
    let c = 0;
    for (; c < vectorChannels; c += 4) {
      const k = <usize>c << 2;
      let v = f32x4.add(f32x4.mul(v128.load(x + offset + k), v128.load(scale + k)), v128.load(bias + k));
      if (relu) v = f32x4.max(v, zero);
      v128.store(y + offset + k, v);
    }
    for (; c < channels; c++) {
      const k = <usize>c << 2;
      let v = load<f32>(x + offset + k) * load<f32>(scale + k) + load<f32>(bias + k);
      if (relu && v < 0) v = 0;
      store<f32>(y + offset + k, v);
    }
  }
}

/**
 * With `mask` (the forward output of a fused ReLU, or 0 for none): g = dy where mask > 0, else 0.
 * sumDy[c] += Σ g, sumDyX[c] += Σ g·x  (f64). Returns nothing; g is not stored.
 */
export function backwardSums(dy: usize, x: usize, mask: usize, rows: i32, channels: i32, sumDy: usize, sumDyX: usize): void {
  const vectorChannels = channels & ~3;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const offset = (<usize>r * <usize>channels) << 2;
    let c = 0;
    for (; c < vectorChannels; c += 4) {
      const k = <usize>c << 2;
      let g = v128.load(dy + offset + k);
      if (mask) g = v128.and(g, f32x4.gt(v128.load(mask + offset + k), zero));
      const gx = f32x4.mul(g, v128.load(x + offset + k));
      const s0 = sumDy + (<usize>c << 3);
      const q0 = sumDyX + (<usize>c << 3);
      v128.store(s0, f64x2.add(v128.load(s0), f64x2.promote_low_f32x4(g)));
      v128.store(s0 + 16, f64x2.add(v128.load(s0 + 16), f64x2.promote_low_f32x4(i32x4.shuffle(g, g, 2, 3, 0, 1))));
      v128.store(q0, f64x2.add(v128.load(q0), f64x2.promote_low_f32x4(gx)));
      v128.store(q0 + 16, f64x2.add(v128.load(q0 + 16), f64x2.promote_low_f32x4(i32x4.shuffle(gx, gx, 2, 3, 0, 1))));
    }
    for (; c < channels; c++) {
      const k = <usize>c << 2;
      let g = load<f32>(dy + offset + k);
      if (mask && !(load<f32>(mask + offset + k) > 0)) g = 0;
      store<f64>(sumDy + (<usize>c << 3), load<f64>(sumDy + (<usize>c << 3)) + <f64>g);
      store<f64>(sumDyX + (<usize>c << 3), load<f64>(sumDyX + (<usize>c << 3)) + <f64>(g * load<f32>(x + offset + k)));
    }
  }
}

/** dx[r,c] = a[c]·g[r,c] + b[c]·x[r,c] + d[c], with g = dy masked as in backwardSums. */
export function backwardInput(dy: usize, x: usize, mask: usize, dx: usize, rows: i32, channels: i32, a: usize, b: usize, d: usize): void {
  const vectorChannels = channels & ~3;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const offset = (<usize>r * <usize>channels) << 2;
    let c = 0;
    for (; c < vectorChannels; c += 4) {
      const k = <usize>c << 2;
      let g = v128.load(dy + offset + k);
      if (mask) g = v128.and(g, f32x4.gt(v128.load(mask + offset + k), zero));
      const v = f32x4.add(f32x4.add(f32x4.mul(v128.load(a + k), g), f32x4.mul(v128.load(b + k), v128.load(x + offset + k))), v128.load(d + k));
      v128.store(dx + offset + k, v);
    }
    for (; c < channels; c++) {
      const k = <usize>c << 2;
      let g = load<f32>(dy + offset + k);
      if (mask && !(load<f32>(mask + offset + k) > 0)) g = 0;
      store<f32>(dx + offset + k, load<f32>(a + k) * g + load<f32>(b + k) * load<f32>(x + offset + k) + load<f32>(d + k));
    }
  }
}

/** out[o, i] = max_r x[o, r, i] over the middle axis of [outer, reduced, inner]; NaN propagates. */
export function maxMiddle(x: usize, out: usize, outer: i32, reduced: i32, inner: i32): void {
  const vectorInner = inner & ~3;
  for (let o = 0; o < outer; o++) {
    const base = x + ((<usize>o * <usize>reduced * <usize>inner) << 2);
    const dst = out + ((<usize>o * <usize>inner) << 2);
    memory.copy(dst, base, <usize>inner << 2);
    for (let r = 1; r < reduced; r++) {
      const row = base + ((<usize>r * <usize>inner) << 2);
      let i = 0;
      for (; i < vectorInner; i += 4) {
        const k = <usize>i << 2;
        const a = v128.load(dst + k);
        const b = v128.load(row + k);
        // f32x4.max propagates NaN, like the scalar rule below
        v128.store(dst + k, f32x4.max(a, b));
      }
      for (; i < inner; i++) {
        const k = <usize>i << 2;
        const a = load<f32>(dst + k);
        const b = load<f32>(row + k);
        if (b > a || b != b) store<f32>(dst + k, b);
      }
    }
  }
}

/** dx[o, r, i] = dy[o, i] where x[o, r, i] == y[o, i] (every tie receives it), else 0. */
export function maxGradMiddle(x: usize, y: usize, dy: usize, dx: usize, outer: i32, reduced: i32, inner: i32): void {
  const vectorInner = inner & ~3;
  for (let o = 0; o < outer; o++) {
    const rowBase = (<usize>o * <usize>inner) << 2;
    for (let r = 0; r < reduced; r++) {
      const offset = ((<usize>o * <usize>reduced + <usize>r) * <usize>inner) << 2;
      let i = 0;
      for (; i < vectorInner; i += 4) {
        const k = <usize>i << 2;
        const equal = f32x4.eq(v128.load(x + offset + k), v128.load(y + rowBase + k));
        v128.store(dx + offset + k, v128.and(v128.load(dy + rowBase + k), equal));
      }
      for (; i < inner; i++) {
        const k = <usize>i << 2;
        store<f32>(dx + offset + k, load<f32>(x + offset + k) == load<f32>(y + rowBase + k) ? load<f32>(dy + rowBase + k) : 0);
      }
    }
  }
}
