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

/**
 * As maxGradMiddle, but a maximum reached by m elements gives each of them dy/m (TensorFlow's rule
 * for reduce_max), so the gradient of a max over quantized features, where ties are common, is not
 * multiplied by the number of ties. `counts` is scratch for `inner` f32 values.
 */
export function maxGradMiddleShared(x: usize, y: usize, dy: usize, dx: usize, outer: i32, reduced: i32, inner: i32, counts: usize): void {
  for (let o = 0; o < outer; o++) {
    const rowBase = (<usize>o * <usize>inner) << 2;
    for (let i = 0; i < inner; i++) store<f32>(counts + (<usize>i << 2), 0);
    for (let r = 0; r < reduced; r++) {
      const offset = ((<usize>o * <usize>reduced + <usize>r) * <usize>inner) << 2;
      for (let i = 0; i < inner; i++) {
        const k = <usize>i << 2;
        if (load<f32>(x + offset + k) == load<f32>(y + rowBase + k)) store<f32>(counts + k, load<f32>(counts + k) + 1);
      }
    }
    for (let r = 0; r < reduced; r++) {
      const offset = ((<usize>o * <usize>reduced + <usize>r) * <usize>inner) << 2;
      for (let i = 0; i < inner; i++) {
        const k = <usize>i << 2;
        const tie = load<f32>(x + offset + k) == load<f32>(y + rowBase + k);
        store<f32>(dx + offset + k, tie ? load<f32>(dy + rowBase + k) / load<f32>(counts + k) : 0);
      }
    }
  }
}

// ---- Graph kernels (DGCNN): rows of [R, C] tensors looked up by int32 flat row indices. ----
// Edge e = i·k + m is the m-th neighbour of point i; see ../../kernels/neighbours.ts.

/** dst[0..channels) = a[0..channels) + b[0..channels). */
@inline
function addRow(a: usize, b: usize, dst: usize, channels: i32): void {
  const vectorChannels = channels & ~3;
  let c = 0;
  for (; c < vectorChannels; c += 4) {
    const o = <usize>c << 2;
    v128.store(dst + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; c < channels; c++) {
    const o = <usize>c << 2;
    store<f32>(dst + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** dst[0..channels) += src[0..channels). */
@inline
function accumulateRow(src: usize, dst: usize, channels: i32): void {
  const vectorChannels = channels & ~3;
  let c = 0;
  for (; c < vectorChannels; c += 4) {
    const o = <usize>c << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; c < channels; c++) {
    const o = <usize>c << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/** out[e] = x[idx[e]] for `count` rows of `channels`. */
export function gatherRows(x: usize, indices: usize, out: usize, count: i32, channels: i32): void {
  const rowBytes = <usize>channels << 2;
  for (let e = 0; e < count; e++) {
    const from = x + <usize>load<i32>(indices + (<usize>e << 2)) * rowBytes;
    memory.copy(out + <usize>e * rowBytes, from, rowBytes);
  }
}

/** dx = 0, then dx[idx[e]] += dy[e]; dx has `rows` rows. */
export function scatterAddRows(dy: usize, indices: usize, dx: usize, count: i32, channels: i32, rows: i32): void {
  const rowBytes = <usize>channels << 2;
  memory.fill(dx, 0, <usize>rows * rowBytes);
  for (let e = 0; e < count; e++) {
    accumulateRow(dy + <usize>e * rowBytes, dx + <usize>load<i32>(indices + (<usize>e << 2)) * rowBytes, channels);
  }
}

/** out[i·k + m] = centre[i] + neighbour[idx[i·k + m]]. */
export function edgeSum(centre: usize, neighbour: usize, indices: usize, out: usize, points: i32, k: i32, channels: i32): void {
  const rowBytes = <usize>channels << 2;
  for (let i = 0; i < points; i++) {
    const c = centre + <usize>i * rowBytes;
    for (let m = 0; m < k; m++) {
      const e = <usize>i * <usize>k + <usize>m;
      addRow(c, neighbour + <usize>load<i32>(indices + (e << 2)) * rowBytes, out + e * rowBytes, channels);
    }
  }
}

/** dCentre[i] = Σₘ dy[i·k + m]; dNeighbour = 0, then dNeighbour[idx[e]] += dy[e] (`rows` rows). */
export function edgeSumGrad(dy: usize, indices: usize, dCentre: usize, dNeighbour: usize, points: i32, k: i32, channels: i32, rows: i32): void {
  const rowBytes = <usize>channels << 2;
  memory.fill(dNeighbour, 0, <usize>rows * rowBytes);
  memory.fill(dCentre, 0, <usize>points * rowBytes);
  for (let i = 0; i < points; i++) {
    const dc = dCentre + <usize>i * rowBytes;
    for (let m = 0; m < k; m++) {
      const e = <usize>i * <usize>k + <usize>m;
      const g = dy + e * rowBytes;
      accumulateRow(g, dc, channels);
      accumulateRow(g, dNeighbour + <usize>load<i32>(indices + (e << 2)) * rowBytes, channels);
    }
  }
}

/** out[e] = [x[i], x[idx[e]] − x[i]] (2·channels per edge). */
export function edgeFeatures(x: usize, indices: usize, out: usize, points: i32, k: i32, channels: i32): void {
  const rowBytes = <usize>channels << 2;
  const vectorChannels = channels & ~3;
  for (let i = 0; i < points; i++) {
    const xi = x + <usize>i * rowBytes;
    for (let m = 0; m < k; m++) {
      const e = <usize>i * <usize>k + <usize>m;
      const xj = x + <usize>load<i32>(indices + (e << 2)) * rowBytes;
      const dst = out + e * (rowBytes << 1);
      memory.copy(dst, xi, rowBytes);
      const diff = dst + rowBytes;
      let c = 0;
      for (; c < vectorChannels; c += 4) {
        const o = <usize>c << 2;
        v128.store(diff + o, f32x4.sub(v128.load(xj + o), v128.load(xi + o)));
      }
      for (; c < channels; c++) {
        const o = <usize>c << 2;
        store<f32>(diff + o, load<f32>(xj + o) - load<f32>(xi + o));
      }
    }
  }
}

/** dx = 0, then dx[i] += dyₐ − dy_b and dx[idx[e]] += dy_b for every edge e = (i, m); dx has `rows` rows. */
export function edgeFeaturesGrad(dy: usize, indices: usize, dx: usize, points: i32, k: i32, channels: i32, rows: i32): void {
  const rowBytes = <usize>channels << 2;
  const vectorChannels = channels & ~3;
  memory.fill(dx, 0, <usize>rows * rowBytes);
  for (let i = 0; i < points; i++) {
    const di = dx + <usize>i * rowBytes;
    for (let m = 0; m < k; m++) {
      const e = <usize>i * <usize>k + <usize>m;
      const dj = dx + <usize>load<i32>(indices + (e << 2)) * rowBytes;
      const ga = dy + e * (rowBytes << 1);
      const gb = ga + rowBytes;
      let c = 0;
      for (; c < vectorChannels; c += 4) {
        const o = <usize>c << 2;
        const b = v128.load(gb + o);
        v128.store(di + o, f32x4.add(v128.load(di + o), f32x4.sub(v128.load(ga + o), b)));
        v128.store(dj + o, f32x4.add(v128.load(dj + o), b));
      }
      for (; c < channels; c++) {
        const o = <usize>c << 2;
        const b = load<f32>(gb + o);
        store<f32>(di + o, load<f32>(di + o) + (load<f32>(ga + o) - b));
        store<f32>(dj + o, load<f32>(dj + o) + b);
      }
    }
  }
}

/** Inserts (score, j) into the descending list of `filled` entries, dropping the last when full. */
@inline
function insertBest(bestScore: usize, bestIndex: usize, filled: i32, k: i32, score: f32, j: i32): void {
  let p = filled < k ? filled : k - 1;
  // after every equal score: earlier indices win ties
  while (p > 0 && load<f32>(bestScore + (<usize>(p - 1) << 2)) < score) {
    store<f32>(bestScore + (<usize>p << 2), load<f32>(bestScore + (<usize>(p - 1) << 2)));
    store<i32>(bestIndex + (<usize>p << 2), load<i32>(bestIndex + (<usize>(p - 1) << 2)));
    p--;
  }
  store<f32>(bestScore + (<usize>p << 2), score);
  store<i32>(bestIndex + (<usize>p << 2), j);
}

/**
 * Selects the k largest of `points` scores (one row) into bestScore/bestIndex, descending, ties to
 * the lower index, NaN skipped; returns how many were found (k unless the row has NaNs).
 */
function selectRow(scores: usize, points: i32, k: i32, bestScore: usize, bestIndex: usize): i32 {
  let filled = 0;
  let j = 0;
  for (; j < points && filled < k; j++) {
    const score = load<f32>(scores + (<usize>j << 2));
    if (score != score) continue;
    insertBest(bestScore, bestIndex, filled, k, score, j);
    filled++;
  }
  if (filled < k) return filled;
  let threshold = load<f32>(bestScore + (<usize>(k - 1) << 2));
  const vectorEnd = j + ((points - j) & ~3);
  for (; j < vectorEnd; j += 4) {
    if (!v128.any_true(f32x4.gt(v128.load(scores + (<usize>j << 2)), f32x4.splat(threshold)))) continue;
    for (let jj = j; jj < j + 4; jj++) {
      const score = load<f32>(scores + (<usize>jj << 2));
      if (score > threshold) {
        insertBest(bestScore, bestIndex, k, k, score, jj);
        threshold = load<f32>(bestScore + (<usize>(k - 1) << 2));
      }
    }
  }
  for (; j < points; j++) {
    const score = load<f32>(scores + (<usize>j << 2));
    if (score > threshold) {
      insertBest(bestScore, bestIndex, k, k, score, j);
      threshold = load<f32>(bestScore + (<usize>(k - 1) << 2));
    }
  }
  return filled;
}

/** Writes the selected indices of one row, offset to flat rows; −1 where fewer than k were found. */
@inline
function writeRow(dst: usize, bestIndex: usize, filled: i32, k: i32, offset: i32): void {
  for (let q = 0; q < k; q++) {
    store<i32>(dst + (<usize>q << 2), q < filled ? load<i32>(bestIndex + (<usize>q << 2)) + offset : -1);
  }
}

/**
 * For each row i of each [points, points] Gram matrix, the flat indices (b·points + j) of the k
 * largest sᵢⱼ = 2·Gᵢⱼ − Gⱼⱼ (the nearest points), in descending order, into out [batch, points, k].
 * Returns the number of rows with fewer than k non-NaN scores (their missing entries are −1).
 * `scratch` holds 2·points + 2k words.
 */
export function knnSelect(gram: usize, out: usize, batch: i32, points: i32, k: i32, scratch: usize): i32 {
  const diagonal = scratch;
  const scores = diagonal + (<usize>points << 2);
  const bestScore = scores + (<usize>points << 2);
  const bestIndex = bestScore + (<usize>k << 2);
  const rowBytes = <usize>points << 2;
  const vectorPoints = points & ~3;
  const two = f32x4.splat(2);
  let shortRows = 0;
  for (let b = 0; b < batch; b++) {
    const base = gram + <usize>b * <usize>points * rowBytes;
    for (let j = 0; j < points; j++) store<f32>(diagonal + (<usize>j << 2), load<f32>(base + <usize>j * rowBytes + (<usize>j << 2)));
    for (let i = 0; i < points; i++) {
      const row = base + <usize>i * rowBytes;
      let j = 0;
      for (; j < vectorPoints; j += 4) {
        const o = <usize>j << 2;
        v128.store(scores + o, f32x4.sub(f32x4.mul(two, v128.load(row + o)), v128.load(diagonal + o)));
      }
      for (; j < points; j++) {
        const o = <usize>j << 2;
        store<f32>(scores + o, <f32>2 * load<f32>(row + o) - load<f32>(diagonal + o));
      }
      const filled = selectRow(scores, points, k, bestScore, bestIndex);
      if (filled < k) shortRows++;
      writeRow(out + ((<usize>b * <usize>points + <usize>i) * <usize>k << 2), bestIndex, filled, k, b * points);
    }
  }
  return shortRows;
}

/**
 * The same selection straight from the features x [batch, points, channels] (no Gram matrix): the
 * cloud is first transposed to channels × points in scratch, then each row's scores
 * 2·xᵢ·xⱼ − ‖xⱼ‖² are four j at a time. For few channels (xyz) this is several times faster than
 * a matrix product, which cannot use its blocking on a 3-wide inner dimension.
 * `scratch` holds (channels + 2)·points + 2k words.
 */
export function knnDirect(x: usize, out: usize, batch: i32, points: i32, channels: i32, k: i32, scratch: usize): i32 {
  const planes = scratch;
  const squares = planes + ((<usize>channels * <usize>points) << 2);
  const scores = squares + (<usize>points << 2);
  const bestScore = scores + (<usize>points << 2);
  const bestIndex = bestScore + (<usize>k << 2);
  const vectorPoints = points & ~3;
  let shortRows = 0;
  for (let b = 0; b < batch; b++) {
    const cloud = x + ((<usize>b * <usize>points * <usize>channels) << 2);
    for (let j = 0; j < points; j++) {
      let square: f32 = 0;
      for (let c = 0; c < channels; c++) {
        const v = load<f32>(cloud + ((<usize>j * <usize>channels + <usize>c) << 2));
        store<f32>(planes + ((<usize>c * <usize>points + <usize>j) << 2), v);
        square += v * v;
      }
      store<f32>(squares + (<usize>j << 2), square);
    }
    for (let i = 0; i < points; i++) {
      const xi = cloud + ((<usize>i * <usize>channels) << 2);
      let j = 0;
      for (; j < vectorPoints; j += 4) {
        const o = <usize>j << 2;
        let dot = f32x4.splat(0);
        for (let c = 0; c < channels; c++) {
          dot = f32x4.add(dot, f32x4.mul(f32x4.splat(load<f32>(xi + (<usize>c << 2))), v128.load(planes + ((<usize>c * <usize>points) << 2) + o)));
        }
        v128.store(scores + o, f32x4.sub(f32x4.add(dot, dot), v128.load(squares + o)));
      }
      for (; j < points; j++) {
        let dot: f32 = 0;
        for (let c = 0; c < channels; c++) dot += load<f32>(xi + (<usize>c << 2)) * load<f32>(planes + ((<usize>c * <usize>points + <usize>j) << 2));
        store<f32>(scores + (<usize>j << 2), dot + dot - load<f32>(squares + (<usize>j << 2)));
      }
      const filled = selectRow(scores, points, k, bestScore, bestIndex);
      if (filled < k) shortRows++;
      writeRow(out + ((<usize>b * <usize>points + <usize>i) * <usize>k << 2), bestIndex, filled, k, b * points);
    }
  }
  return shortRows;
}

/** dx = dy where x > 0, else alpha·dy (the gradient of LeakyReLU), over `count` values. */
export function leakyReluGrad(x: usize, dy: usize, dx: usize, count: i32, alpha: f32): void {
  const vectorCount = count & ~3;
  const zero = f32x4.splat(0);
  const slope = f32x4.splat(alpha);
  let i = 0;
  for (; i < vectorCount; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(dy + o);
    v128.store(dx + o, v128.bitselect(g, f32x4.mul(g, slope), f32x4.gt(v128.load(x + o), zero)));
  }
  for (; i < count; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(x + o) > 0 ? g : g * alpha);
  }
}
