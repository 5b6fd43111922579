// The mesh's colour texture: the photo projected onto the face. Each triangle is rasterised in UV space and
// every texel it covers is sampled (bilinear) from the photo at the point with the same barycentric
// coordinates in the triangle's photo-space corners — the texel shows exactly the photo pixel the vertex
// positions put there. Texels outside the UV layout are padded by dilation (each ring takes the mean of
// its filled neighbours) so mip-mapping and bilinear filtering at the seams don't pull in unrelated colour;
// the rest of the square is the face's mean colour, so even the coarsest mip levels stay skin-coloured.
// Limitation: no visibility test — a triangle hidden in the photo (the far side of the nose on a turned
// face) receives the colour of whatever covers it there.
import { invalidOption } from '../errors.js';
import { encodePng as writePng } from '../outputs/png.js';
import type { RgbImage } from '../types.js';

export interface TextureOptions {
  /**
   * Texture width and height in texels: an integer 64–4096 (powers of two mip-map best), or 'auto' (default):
   * the smallest power of two that keeps the photo's own pixel density on the face, clamped to 256–1024 — no
   * detail lost, at most 2× more texels than the photo can fill, and a PNG that encodes inside the output
   * budget (docs/mesh-export.md).
   */
  size?: number | 'auto';
  /** Rings of dilation around the UV layout, integer 0–64 (default 8). */
  padding?: number;
}

export const TEXTURE_DEFAULTS = { size: 'auto', padding: 8, autoMin: 256, autoMax: 1024 } as const;

/**
 * The 'auto' texture size for a face: √(photo area / UV area) over the mesh is the photo pixels per UV unit,
 * i.e. the texture size at which one texel covers one photo pixel on average; rounded up to a power of two
 * and clamped to 256–1024.
 */
export function autoTextureSize(imagePoints: ReadonlyArray<ArrayLike<number>>, uvs: ArrayLike<number>, triangles: ArrayLike<number>): number {
  let imageArea = 0;
  let uvArea = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const a = triangles[t];
    const b = triangles[t + 1];
    const c = triangles[t + 2];
    const pa = imagePoints[a];
    const pb = imagePoints[b];
    const pc = imagePoints[c];
    imageArea += Math.abs((pb[0] - pa[0]) * (pc[1] - pa[1]) - (pb[1] - pa[1]) * (pc[0] - pa[0]));
    uvArea += Math.abs((uvs[2 * b] - uvs[2 * a]) * (uvs[2 * c + 1] - uvs[2 * a + 1]) - (uvs[2 * b + 1] - uvs[2 * a + 1]) * (uvs[2 * c] - uvs[2 * a]));
  }
  const density = uvArea > 0 ? Math.sqrt(imageArea / uvArea) : 0;
  const pow = density > 1 ? 2 ** Math.ceil(Math.log2(density) - 1e-9) : TEXTURE_DEFAULTS.autoMin;
  return Math.min(TEXTURE_DEFAULTS.autoMax, Math.max(TEXTURE_DEFAULTS.autoMin, pow));
}

/**
 * Project `image` onto a mesh. `imagePoints[i]` is vertex i's position in the photo (image pixels, x, y first;
 * a z, if present, is ignored), `uvs` its texture coordinate (v up), `triangles` vertex-index triples.
 * Returns a square RGB image (`width` = `height` = the size used), rows top (v = 1) to bottom (v = 0).
 */
export function projectTexture(
  image: RgbImage,
  imagePoints: ReadonlyArray<ArrayLike<number>>,
  uvs: ArrayLike<number>,
  triangles: ArrayLike<number>,
  options: TextureOptions = {},
): RgbImage {
  const sizeOption = options.size ?? TEXTURE_DEFAULTS.size;
  const padding = options.padding ?? TEXTURE_DEFAULTS.padding;
  if (sizeOption !== 'auto' && !(Number.isInteger(sizeOption) && sizeOption >= 64 && sizeOption <= 4096)) {
    throw invalidOption('size', '"auto" or an integer 64–4096', sizeOption);
  }
  if (!Number.isInteger(padding) || padding < 0 || padding > 64) throw invalidOption('padding', 'an integer 0–64', padding);
  const vertexCount = uvs.length / 2;
  if (imagePoints.length < vertexCount) {
    throw invalidOption('imagePoints', `one point per UV (${vertexCount})`, `${imagePoints.length} points`);
  }
  for (let t = 0; t < triangles.length; t++) {
    if (!(triangles[t] < vertexCount)) throw invalidOption('triangles', `vertex indices below ${vertexCount}`, triangles[t]);
  }

  const size = sizeOption === 'auto' ? autoTextureSize(imagePoints, uvs, triangles) : sizeOption;
  const out = new Uint8Array(size * size * 3);
  const filled = new Uint8Array(size * size);
  fillColour(out, meanColour(image, imagePoints, uvs, triangles));
  rasteriseTexture(image, imagePoints, uvs, triangles, size, out, filled);
  dilate(out, filled, size, padding, uvs, triangles);
  return { data: out, width: size, height: size };
}

/**
 * The face's mean colour in the photo, area-weighted in UV space: each triangle's photo colour at its
 * centroid, weighted by its UV area (a few thousand samples instead of a pass over the texture).
 */
function meanColour(image: RgbImage, imagePoints: ReadonlyArray<ArrayLike<number>>, uvs: ArrayLike<number>, triangles: ArrayLike<number>): [number, number, number] {
  const { data, width, height } = image;
  let r = 0;
  let g = 0;
  let b = 0;
  let total = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const ia = triangles[t];
    const ib = triangles[t + 1];
    const ic = triangles[t + 2];
    const area = Math.abs(
      (uvs[2 * ib] - uvs[2 * ia]) * (uvs[2 * ic + 1] - uvs[2 * ia + 1]) - (uvs[2 * ib + 1] - uvs[2 * ia + 1]) * (uvs[2 * ic] - uvs[2 * ia]),
    );
    const x = Math.floor((imagePoints[ia][0] + imagePoints[ib][0] + imagePoints[ic][0]) / 3);
    const y = Math.floor((imagePoints[ia][1] + imagePoints[ib][1] + imagePoints[ic][1]) / 3);
    const q = (Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))) * 3;
    r += data[q] * area;
    g += data[q + 1] * area;
    b += data[q + 2] * area;
    total += area;
  }
  return total > 0 ? [Math.round(r / total), Math.round(g / total), Math.round(b / total)] : [0, 0, 0];
}

/** Fill an RGB buffer with one colour by doubling copies (memcpy speed). */
function fillColour(out: Uint8Array, [r, g, b]: [number, number, number]): void {
  if (out.length < 3) return;
  out[0] = r;
  out[1] = g;
  out[2] = b;
  for (let len = 3; len < out.length; len *= 2) out.copyWithin(len, 0, Math.min(len, out.length - len));
}

export interface PngOptions {
  /** zlib level 0–9 (default 1; see outputs/png.ts — with its run-length strategy the level barely matters). */
  compressionLevel?: number;
}

export const PNG_DEFAULTS = { compressionLevel: 1 } as const;

/** Encode a texture as PNG (outputs/png.ts: Sub-filtered rows, deflated on libuv's thread pool). */
export async function encodePng(img: RgbImage, options: PngOptions = {}): Promise<Uint8Array> {
  const buf = await writePng({ data: img.data, width: img.width, height: img.height, channels: 3 }, { compressionLevel: options.compressionLevel ?? PNG_DEFAULTS.compressionLevel });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Encode a one-channel texture-sized image (the visibility mask) as an 8-bit grey PNG. */
export async function encodeGreyPng(img: { data: Uint8Array; width: number; height: number }, options: PngOptions = {}): Promise<Uint8Array> {
  const buf = await writePng({ data: img.data, width: img.width, height: img.height, channels: 1 }, { compressionLevel: options.compressionLevel ?? PNG_DEFAULTS.compressionLevel });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Texel states in the `filled` array: EMPTY and FILLED (by the rasteriser, or by a finished ring); QUEUED: in the
 * ring being coloured or the next one; SEEN: looked at by the outline walk and not in ring 1 (a later ring may
 * still take it). One array for all of them saves allocating and clearing a second texture-sized one.
 */
const EMPTY = 0;
const FILLED = 1;
const QUEUED = 2;
const SEEN = 3;

/**
 * Rasterise the mesh in UV space: each covered texel gets the photo's colour (bilinear) at its surface point,
 * `filled` marks it FILLED, and with `values`, `valuesOut` gets those per-vertex values interpolated.
 */
export function rasteriseTexture(
  image: RgbImage,
  imagePoints: ReadonlyArray<ArrayLike<number>>,
  uvs: ArrayLike<number>,
  triangles: ArrayLike<number>,
  size: number,
  out: Uint8Array,
  filled: Uint8Array,
  /** Per-vertex values (`channels` each, 1 or 2) to interpolate into `valuesOut` per texel, clamped to 0–1. */
  values?: ArrayLike<number>,
  valuesOut?: Float32Array,
  channels = 1,
): void {
  const { data, width, height } = image;
  const w1 = width - 1;
  const h1 = height - 1;
  const stride = width * 3;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // Texel (px, py) has its centre at u = (px + 0.5)/size, v = 1 − (py + 0.5)/size. A texel belongs to a
  // triangle when its centre is inside or within EPS (in barycentric units) of an edge: neighbours then
  // overlap by a hair instead of leaving cracks, and both write nearly the same colour.
  // A triangle covers ~30 texels in ~6 rows at the usual sizes, so the per-triangle and per-row work is
  // kept to scalars (no arrays, no calls). The arithmetic, including its evaluation order, is what fixes
  // the texels' values: change it and the texture changes in the last bit.
  const EPS = 1e-4;
  for (let t = 0; t < triangles.length; t += 3) {
    const ia = triangles[t];
    const ib = triangles[t + 1];
    const ic = triangles[t + 2];
    const ax = uvs[2 * ia] * size;
    const ay = (1 - uvs[2 * ia + 1]) * size;
    const bx = uvs[2 * ib] * size;
    const by = (1 - uvs[2 * ib + 1]) * size;
    const cx = uvs[2 * ic] * size;
    const cy = (1 - uvs[2 * ic + 1]) * size;
    const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (Math.abs(area) < 1e-12) continue;
    const inv = 1 / area;
    // Barycentric weights as affine functions of the texel centre (x, y): w = w0·x + w1·y + w2; c = 1 − a − b.
    const wa0 = (by - cy) * inv;
    const wa1 = (cx - bx) * inv;
    const wa2 = (bx * cy - cx * by) * inv;
    const wb0 = (cy - ay) * inv;
    const wb1 = (ax - cx) * inv;
    const wb2 = (cx * ay - ax * cy) * inv;
    const wc0 = -wa0 - wb0;
    const wc1 = -wa1 - wb1;
    const wc2 = 1 - wa2 - wb2;
    const pa = imagePoints[ia];
    const pb = imagePoints[ib];
    const pc = imagePoints[ic];
    // Photo position as an affine function of the texel centre too (minus 0.5: pixel centres at +0.5).
    const sxA = wa0 * pa[0] + wb0 * pb[0] + (-wa0 - wb0) * pc[0];
    const sxB = wa1 * pa[0] + wb1 * pb[0] + (-wa1 - wb1) * pc[0];
    const sxC = wa2 * pa[0] + wb2 * pb[0] + (1 - wa2 - wb2) * pc[0] - 0.5;
    const syA = wa0 * pa[1] + wb0 * pb[1] + (-wa0 - wb0) * pc[1];
    const syB = wa1 * pa[1] + wb1 * pb[1] + (-wa1 - wb1) * pc[1];
    const syC = wa2 * pa[1] + wb2 * pb[1] + (1 - wa2 - wb2) * pc[1] - 0.5;
    // The values as affine functions of the texel centre, like the photo position.
    let kA = 0, kB = 0, kC = 0, mA = 0, mB = 0, mC = 0;
    if (values) {
      const ka = values[channels * ia], kb = values[channels * ib], kc = values[channels * ic];
      kA = wa0 * ka + wb0 * kb + wc0 * kc;
      kB = wa1 * ka + wb1 * kb + wc1 * kc;
      kC = wa2 * ka + wb2 * kb + wc2 * kc;
      if (channels === 2) {
        const ma = values[2 * ia + 1], mb = values[2 * ib + 1], mc = values[2 * ic + 1];
        mA = wa0 * ma + wb0 * mb + wc0 * mc;
        mB = wa1 * ma + wb1 * mb + wc1 * mc;
        mC = wa2 * ma + wb2 * mb + wc2 * mc;
      }
    }

    const y0 = Math.max(0, Math.floor(Math.min(ay, by, cy) - 0.5));
    const y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by, cy) - 0.5));
    for (let py = y0; py <= y1; py++) {
      const y = py + 0.5;
      // The row's span: the x range where all three weights are ≥ −EPS (each bounds x on one side; a weight
      // constant along the row and below −EPS leaves it empty).
      let xl = 0.5;
      let xr = size - 0.5;
      let rest = wa1 * y + wa2 + EPS;
      if (wa0 > 1e-12) xl = Math.max(xl, -rest / wa0);
      else if (wa0 < -1e-12) xr = Math.min(xr, -rest / wa0);
      else if (rest < 0) continue;
      rest = wb1 * y + wb2 + EPS;
      if (wb0 > 1e-12) xl = Math.max(xl, -rest / wb0);
      else if (wb0 < -1e-12) xr = Math.min(xr, -rest / wb0);
      else if (rest < 0) continue;
      rest = wc1 * y + wc2 + EPS;
      if (wc0 > 1e-12) xl = Math.max(xl, -rest / wc0);
      else if (wc0 < -1e-12) xr = Math.min(xr, -rest / wc0);
      else if (rest < 0) continue;
      const x0 = Math.max(0, Math.ceil(xl - 0.5));
      const x1 = Math.min(size - 1, Math.floor(xr - 0.5));
      if (x1 < x0) continue;
      const x = x0 + 0.5;
      let sx = sxA * x + sxB * y + sxC;
      let sy = syA * x + syB * y + syC;
      const row = py * size;
      let q = (row + x0) * 3;
      const sxEnd = sx + (x1 - x0) * sxA;
      const syEnd = sy + (x1 - x0) * syA;
      if (valuesOut) {
        // Linear along the row: step by the x coefficient. (Values stay within their vertices' range up to the
        // EPS overlap at edges, so no clamp.)
        let k = kA * (x0 + 0.5) + kB * y + kC;
        if (channels === 2) {
          let m = mA * (x0 + 0.5) + mB * y + mC;
          for (let o = 2 * (row + x0), e = 2 * (row + x1); o <= e; o += 2, k += kA, m += mA) {
            valuesOut[o] = k;
            valuesOut[o + 1] = m;
          }
        } else for (let o = row + x0, e = row + x1; o <= e; o++, k += kA) valuesOut[o] = k;
      }
      if (sx >= 0.001 && sx < w1 - 0.001 && sxEnd >= 0.001 && sxEnd < w1 - 0.001 && sy >= 0.001 && sy < h1 - 0.001 && syEnd >= 0.001 && syEnd < h1 - 0.001) {
        // Every tap of the row is inside the photo (positions are monotonic along the row, and summing drifts
        // far less than the 0.001 margin), so the clamps below are no-ops and are left out. The four taps are
        // read as two 6-byte runs (32 + 16 bits through a DataView): a third of the loads and bounds checks.
        // Bilinear in 8-bit fixed point (measured ~1.6× faster than floats here).
        for (let px = x0; px <= x1; px++, q += 3, sx += sxA, sy += syA) {
          filled[row + px] = FILLED;
          const ix = (sx * 256) | 0;
          const iy = (sy * 256) | 0;
          const fx = ix & 255;
          const fy = iy & 255;
          const gx = 256 - fx;
          const gy = 256 - fy;
          const p0 = (iy >> 8) * stride + (ix >> 8) * 3;
          const p1 = p0 + stride;
          const t0 = dv.getUint32(p0, true);
          const t1 = dv.getUint16(p0 + 4, true);
          const b0 = dv.getUint32(p1, true);
          const b1 = dv.getUint16(p1 + 4, true);
          out[q] = (((t0 & 255) * gx + (t0 >>> 24) * fx) * gy + ((b0 & 255) * gx + (b0 >>> 24) * fx) * fy + 32768) >> 16;
          out[q + 1] = ((((t0 >>> 8) & 255) * gx + (t1 & 255) * fx) * gy + (((b0 >>> 8) & 255) * gx + (b1 & 255) * fx) * fy + 32768) >> 16;
          out[q + 2] = ((((t0 >>> 16) & 255) * gx + (t1 >>> 8) * fx) * gy + (((b0 >>> 16) & 255) * gx + (b1 >>> 8) * fx) * fy + 32768) >> 16;
        }
        continue;
      }
      for (let px = x0; px <= x1; px++, q += 3, sx += sxA, sy += syA) {
        filled[row + px] = FILLED;
        // The same, clamped to the photo.
        const ix = ((sx < 0 ? 0 : sx > w1 ? w1 : sx) * 256) | 0;
        const iy = ((sy < 0 ? 0 : sy > h1 ? h1 : sy) * 256) | 0;
        const xi = ix >> 8;
        const yi = iy >> 8;
        const fx = ix & 255;
        const fy = iy & 255;
        const gx = 256 - fx;
        const gy = 256 - fy;
        const p0 = yi * stride + xi * 3;
        const dx = xi < w1 ? 3 : 0;
        const p1 = p0 + (yi < h1 ? stride : 0);
        out[q] = ((data[p0] * gx + data[p0 + dx] * fx) * gy + (data[p1] * gx + data[p1 + dx] * fx) * fy + 32768) >> 16;
        out[q + 1] = ((data[p0 + 1] * gx + data[p0 + dx + 1] * fx) * gy + (data[p1 + 1] * gx + data[p1 + dx + 1] * fx) * fy + 32768) >> 16;
        out[q + 2] = ((data[p0 + 2] * gx + data[p0 + dx + 2] * fx) * gy + (data[p1 + 2] * gx + data[p1 + dx + 2] * fx) * fy + 32768) >> 16;
      }
    }
  }
}

/** Edges used by one triangle only (the UV layout's outline), as index pairs; cached per triangle array. */
const outlineCache = new WeakMap<object, Uint32Array>();

function outlineEdges(triangles: ArrayLike<number>): Uint32Array {
  const hit = outlineCache.get(triangles as object);
  if (hit) return hit;
  const count = new Map<number, number>();
  let nv = 0;
  for (let t = 0; t < triangles.length; t++) nv = Math.max(nv, triangles[t] + 1);
  for (let t = 0; t < triangles.length; t += 3) {
    for (let k = 0; k < 3; k++) {
      const a = triangles[t + k];
      const b = triangles[t + ((k + 1) % 3)];
      const key = a < b ? a * nv + b : b * nv + a;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  const edges: number[] = [];
  for (const [key, c] of count) if (c === 1) edges.push(Math.floor(key / nv), key % nv);
  const out = Uint32Array.from(edges);
  outlineCache.set(triangles as object, out);
  return out;
}

/**
 * Grow the filled region by `rings` texels (8-neighbourhood; each new texel is the mean of its filled
 * neighbours). Only the frontier is touched: ring 1 is found by walking the mesh outline in UV space (every
 * empty texel next to a filled one lies within √2 texels of an outline edge, since the mesh has no holes), not
 * by scanning the texture; each later ring is the empty neighbours of the one before.
 */
function dilate(out: Uint8Array, filled: Uint8Array, size: number, rings: number, uvs: ArrayLike<number>, triangles: ArrayLike<number>): void {
  if (rings <= 0) return;
  const last = size - 1;
  // The ring as (x, y) pairs: a division per texel to recover them from the index cost more than the rest.
  const ring1: number[] = [];
  // Sample each outline edge every half texel and look at the texels within 3 of each sample. An empty
  // texel next to a filled one is within √2 of the outline, so within 1.42 + 0.25 + 0.5 (sampling,
  // rounding) < 3 of a sample. Consecutive samples are at most one texel apart in x and in y, so after the
  // first only the strip the 7 × 7 window gained needs looking at (the rest was looked at a sample ago).
  const edges = outlineEdges(triangles);
  for (let e = 0; e < edges.length; e += 2) {
    const ax = uvs[2 * edges[e]] * size - 0.5;
    const ay = (1 - uvs[2 * edges[e] + 1]) * size - 0.5;
    const bx = uvs[2 * edges[e + 1]] * size - 0.5;
    const by = (1 - uvs[2 * edges[e + 1] + 1]) * size - 0.5;
    const steps = Math.max(1, Math.ceil(2 * Math.hypot(bx - ax, by - ay)));
    let pcx = -10;
    let pcy = -10;
    for (let k = 0; k <= steps; k++) {
      const cx = Math.round(ax + ((bx - ax) * k) / steps);
      const cy = Math.round(ay + ((by - ay) * k) / steps);
      if (cx === pcx && cy === pcy) continue;
      const first = k === 0;
      const ya = Math.max(0, cy - 3);
      const yb = Math.min(last, cy + 3);
      const xa = Math.max(0, cx - 3);
      const xb = Math.min(last, cx + 3);
      if (first || cx !== pcx) {
        // Whole window, or the columns it gained when moving in x.
        const ca = first ? xa : cx > pcx ? Math.max(xa, cx + 3) : xa;
        const cb = first ? xb : cx > pcx ? xb : Math.min(xb, cx - 3);
        for (let y = ya; y <= yb; y++) for (let x = ca; x <= cb; x++) visit(x, y);
      }
      if (!first && cy !== pcy) {
        // The row it gained when moving in y.
        const y = cy > pcy ? cy + 3 : cy - 3;
        if (y >= 0 && y <= last) for (let x = xa; x <= xb; x++) visit(x, y);
      }
      pcx = cx;
      pcy = cy;
    }
  }
  function visit(x: number, y: number): void {
    const i = y * size + x;
    if (filled[i] !== EMPTY) return;
    if (filledAround(filled, size, x, y)) {
      filled[i] = QUEUED;
      ring1.push(x, y);
    } else filled[i] = SEEN;
  }
  let frontier = ring1;
  for (let ring = 0; ring < rings && frontier.length > 0; ring++) {
    // Colour the whole ring from the rings before it, then mark it filled, so the result does not depend on
    // the order texels are visited; colours go straight into `out`, which is safe because only filled
    // texels are read. The same pass collects the next ring: the empty neighbours not already in one.
    const more = ring + 1 < rings;
    const next: number[] = [];
    for (let k = 0; k < frontier.length; k += 2) {
      const x = frontier[k];
      const y = frontier[k + 1];
      let r = 0;
      let g = 0;
      let b = 0;
      let m = 0;
      const xa = x > 0 ? x - 1 : 0;
      const xb = x < last ? x + 1 : last;
      for (let yy = y > 0 ? y - 1 : 0, ye = y < last ? y + 1 : last; yy <= ye; yy++) {
        for (let xx = xa, j = yy * size + xa; xx <= xb; xx++, j++) {
          const state = filled[j];
          if (state === FILLED) {
            r += out[3 * j];
            g += out[3 * j + 1];
            b += out[3 * j + 2];
            m++;
          } else if (more && state !== QUEUED) {
            filled[j] = QUEUED;
            next.push(xx, yy);
          }
        }
      }
      // Rounded mean (the store into the Uint8Array truncates).
      const i = 3 * (y * size + x);
      out[i] = r / m + 0.5;
      out[i + 1] = g / m + 0.5;
      out[i + 2] = b / m + 0.5;
    }
    for (let k = 0; k < frontier.length; k += 2) filled[frontier[k + 1] * size + frontier[k]] = FILLED;
    frontier = next;
  }
}

/** Whether any texel of the 3 × 3 block around (x, y) is FILLED. */
function filledAround(filled: Uint8Array, size: number, x: number, y: number): boolean {
  const last = size - 1;
  const xa = x > 0 ? x - 1 : 0;
  const xb = x < last ? x + 1 : last;
  for (let yy = y > 0 ? y - 1 : 0, ye = y < last ? y + 1 : last; yy <= ye; yy++) {
    for (let j = yy * size + xa, je = yy * size + xb; j <= je; j++) if (filled[j] === FILLED) return true;
  }
  return false;
}
