// Image filters the map shaders share: separable box blurs by running sums (cost independent of the
// radius), repeated to approximate a Gaussian, and normalised convolution for blurring inside a mask.

/**
 * Box blur of a single-channel `width`×`height` image with a (2·radius+1)² window, `passes` times (three passes
 * approximate a Gaussian of σ ≈ radius). Outside the image counts as 0 and every window divides by its
 * full size, so blurring a signal and its weights alike and dividing (see `maskedBlur`) is exact at borders.
 * `out` may be `src`. `tmp` is scratch of the same length.
 */
export function boxBlur(
  src: Float32Array,
  width: number,
  height: number,
  radius: number,
  passes = 3,
  out: Float32Array = new Float32Array(src.length),
  tmp: Float32Array = new Float32Array(src.length),
): Float32Array {
  const r = Math.max(0, Math.round(radius));
  if (r === 0) {
    if (out !== src) out.set(src);
    return out;
  }
  let from = src;
  for (let k = 0; k < passes; k++) {
    horizontal(from, tmp, width, height, r);
    vertical(tmp, out, width, height, r);
    from = out;
  }
  return out;
}

function horizontal(src: Float32Array, dst: Float32Array, width: number, height: number, r: number): void {
  const inv = 1 / (2 * r + 1);
  // Three stretches per row so the inner loops carry no bounds tests: the window's right end still inside
  // the row and its left end before it, both inside, and the right end past the row.
  const a = Math.min(width, r); // from i = r on, each step drops the sample i − r on the left
  for (let j = 0; j < height; j++) {
    const row = j * width;
    let sum = 0;
    for (let i = 0; i <= r && i < width; i++) sum += src[row + i];
    let i = 0;
    for (; i < a; i++) {
      dst[row + i] = sum * inv;
      if (i + r + 1 < width) sum += src[row + i + r + 1];
    }
    const mid = width - r - 1;
    for (; i < mid; i++) {
      dst[row + i] = sum * inv;
      sum += src[row + i + r + 1] - src[row + i - r];
    }
    for (; i < width; i++) {
      dst[row + i] = sum * inv;
      if (i + r + 1 < width) sum += src[row + i + r + 1];
      sum -= src[row + i - r];
    }
  }
}

function vertical(src: Float32Array, dst: Float32Array, width: number, height: number, r: number): void {
  const inv = 1 / (2 * r + 1);
  const sums = new Float64Array(width);
  for (let j = 0; j <= r && j < height; j++) {
    const row = j * width;
    for (let i = 0; i < width; i++) sums[i] += src[row + i];
  }
  for (let j = 0; j < height; j++) {
    const row = j * width;
    const addRow = (j + r + 1) * width;
    const subRow = (j - r) * width;
    const add = j + r + 1 < height;
    const sub = j - r >= 0;
    if (add && sub) {
      for (let i = 0; i < width; i++) {
        dst[row + i] = sums[i] * inv;
        sums[i] += src[addRow + i] - src[subRow + i];
      }
      continue;
    }
    for (let i = 0; i < width; i++) {
      dst[row + i] = sums[i] * inv;
      if (add) sums[i] += src[addRow + i];
      if (sub) sums[i] -= src[subRow + i];
    }
  }
}

/**
 * Blur of `values` weighted by `weights` (0–1), renormalised by the blurred weights: the mean of the
 * weighted neighbourhood, so pixels outside the mask neither leak in nor dim the edge. Only pixels with a
 * positive weight get a result (others are 0). Work is confined to the weights' bounding box plus the blur's
 * reach, and a wide blur (radius ≥ 8) runs on a grid reduced by ⌊radius/4⌋ and is interpolated back
 * bilinearly (the blurred field is smooth, so this costs no visible accuracy and saves ~90 % of the time).
 * `values` is read only where the weight is positive (it may hold anything, even Infinity, elsewhere).
 */
export function maskedBlur(
  values: Float32Array,
  weights: Float32Array,
  width: number,
  height: number,
  radius: number,
  /** [x0, y0, x1, y1] inclusive, known to hold every positive weight (saves a scan). */
  hint?: readonly [number, number, number, number],
  /** Box passes: 3 ≈ Gaussian (default), 2 = a cheaper triangle-like kernel. */
  passes = 3,
  /** Where to write (width·height; cleared first) instead of a new array. */
  target?: Float32Array,
): Float32Array {
  if (target && target.length !== width * height) throw new RangeError(`maskedBlur: target has ${target.length} values, expected ${width * height}`);
  target?.fill(0);
  const out = target ?? new Float32Array(width * height);
  // Bounding box of the weights.
  let x0 = width;
  let x1 = -1;
  let y0 = height;
  let y1 = -1;
  const hx0 = hint ? Math.max(0, hint[0]) : 0;
  const hx1 = hint ? Math.min(width - 1, hint[2]) : width - 1;
  for (let j = hint ? Math.max(0, hint[1]) : 0, je = hint ? Math.min(height - 1, hint[3]) : height - 1; j <= je; j++) {
    const row = j * width;
    let first = -1;
    let lastI = -1;
    for (let i = hx0; i <= hx1; i++) {
      if (weights[row + i] > 0) {
        if (first < 0) first = i;
        lastI = i;
      }
    }
    if (first < 0) continue;
    if (first < x0) x0 = first;
    if (lastI > x1) x1 = lastI;
    if (j < y0) y0 = j;
    y1 = j;
  }
  if (x1 < 0) return out;
  const coarse = Math.floor(radius / 4);
  const f = radius >= 8 && width >= 2 * coarse && height >= 2 * coarse ? coarse : 1;
  const reach = passes * Math.ceil(radius) + 2 * f;
  // The working region, in whole cells of f×f pixels.
  const rx = Math.max(0, x0 - reach);
  const ry = Math.max(0, y0 - reach);
  const gw = Math.ceil((Math.min(width, x1 + 1 + reach) - rx) / f);
  const gh = Math.ceil((Math.min(height, y1 + 1 + reach) - ry) / f);
  const cells = gw * gh;
  const pool = scratch(3 * cells);
  const num = pool.subarray(0, cells);
  const den = pool.subarray(cells, 2 * cells);
  num.fill(0);
  den.fill(0);
  // Positive weights lie inside the bounding box, so only it is gathered; cells fill in row-major order, as
  // a scan of the whole region would, so the float sums are the same.
  const cellOf = f === 1 ? undefined : new Int32Array(x1 - x0 + 1);
  if (cellOf) for (let i = x0; i <= x1; i++) cellOf[i - x0] = ((i - rx) / f) | 0;
  for (let j = y0; j <= y1; j++) {
    const row = j * width;
    const g = (((j - ry) / f) | 0) * gw;
    for (let i = x0; i <= x1; i++) {
      const w = weights[row + i];
      if (w > 0) {
        const k = g + (cellOf ? cellOf[i - x0] : i - rx);
        num[k] += values[row + i] * w;
        den[k] += w;
      }
    }
  }
  const tmp = pool.subarray(2 * cells, 3 * cells);
  boxBlur(num, gw, gh, radius / f, passes, num, tmp);
  boxBlur(den, gw, gh, radius / f, passes, den, tmp);
  if (f === 1) {
    for (let j = y0; j <= y1; j++) {
      const row = j * width;
      const g = (j - ry) * gw - rx;
      for (let i = x0; i <= x1; i++) {
        if (weights[row + i] === 0) continue;
        const k = g + i;
        out[row + i] = den[k] > 1e-6 ? num[k] / den[k] : 0;
      }
    }
    return out;
  }
  // Cell centres sit at (rx + (ci + 0.5)·f, ry + (cj + 0.5)·f) in pixel-centre coordinates (+0.5). The
  // column's cell and fraction are the same on every row: tabulated once.
  const nx = x1 - x0 + 1;
  const colCell = new Int32Array(nx);
  const colFrac = new Float64Array(nx);
  for (let i = x0; i <= x1; i++) {
    let gx = (i + 0.5 - rx) / f - 0.5;
    gx = gx < 0 ? 0 : gx > gw - 1 ? gw - 1 : gx;
    const ci = Math.min(gw - 2, Math.floor(gx));
    colCell[i - x0] = ci;
    colFrac[i - x0] = gx - ci;
  }
  for (let j = y0; j <= y1; j++) {
    let gy = (j + 0.5 - ry) / f - 0.5;
    gy = gy < 0 ? 0 : gy > gh - 1 ? gh - 1 : gy;
    const cj = Math.min(gh - 2, Math.floor(gy));
    const fy = gy - cj;
    const row = j * width;
    const g = cj * gw;
    for (let i = x0; i <= x1; i++) {
      const p = row + i;
      if (weights[p] === 0) continue;
      const fx = colFrac[i - x0];
      const k = g + colCell[i - x0];
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      const n = w00 * num[k] + w10 * num[k + 1] + w01 * num[k + gw] + w11 * num[k + gw + 1];
      const dd = w00 * den[k] + w10 * den[k + 1] + w01 * den[k + gw] + w11 * den[k + gw + 1];
      out[p] = dd > 1e-6 ? n / dd : 0;
    }
  }
  return out;
}

// The blur grids of maskedBlur, kept between calls: allocating (and zeroing) them cost more than the blur.
// Filters run synchronously, so one buffer per thread suffices.
let pool = new Float32Array(0);
function scratch(length: number): Float32Array {
  if (pool.length < length) pool = new Float32Array(Math.max(length, Math.ceil(pool.length * 1.5)));
  return pool;
}
