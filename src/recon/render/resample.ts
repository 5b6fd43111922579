// Resampling a photo into the canonical crop (crop.png and the structure map's detail layer): every crop
// pixel is mapped through the inverse of the alignment's similarity transform and filtered to its footprint.
//
// Pixel convention (as warp.ts): continuous coordinates with pixel (i, j) covering [i, i+1) × [j, j+1), so
// crop pixel (u, v) is sampled at the image point toImage(u + 0.5, v + 0.5).
// Filtering, by k = image pixels per crop pixel:
//   k < 1 (the face is enlarged)  Catmull-Rom bicubic, one 4×4 tap per pixel (sharp, no ringing to speak of);
//   k ≥ 1 (the face is reduced)   the region under the crop is first box-reduced by f = round(k) (each reduced
//                                 pixel averages an f×f block, so every source pixel counts once: no aliasing
//                                 however large the photo), then one bilinear tap at the remaining scale
//                                 k/f ∈ [0.67, 1.5) (a mip-map lookup with an exact level). Measured 1.3 ms
//                                 for 256² (k = 1.5) against 4.9 ms for 2×2 supersampled bilinear taps.
// Outside the photo is black; `valid` (optional output) marks crop pixels whose centre lies inside it.
import { invertAffine, type Affine } from '../geometry.js';
import type { RgbImage } from '../types.js';

export interface ResampleTarget {
  /** size² × 3 RGB. */
  rgb: Uint8Array;
  /** size², 1 where the pixel centre maps inside the photo. */
  valid?: Uint8Array;
}

/** The photo warped into a size×size frame by `toCrop` (image pixels → crop pixels). */
export function resampleToCrop(image: RgbImage, toCrop: Affine, size: number, target?: ResampleTarget): Required<ResampleTarget> {
  const valid = target?.valid ?? new Uint8Array(size * size);
  const rgb = warp(image, toCrop, size, target?.rgb ?? new Uint8Array(size * size * 3), valid);
  return { rgb, valid };
}

/** resampleToCrop's pixels alone (size² × 3 RGB), without the `valid` pass. */
export function resampleRgb(image: RgbImage, toCrop: Affine, size: number, rgb: Uint8Array = new Uint8Array(size * size * 3)): Uint8Array {
  return warp(image, toCrop, size, rgb);
}

function warp(image: RgbImage, toCrop: Affine, size: number, rgb: Uint8Array, valid?: Uint8Array): Uint8Array {
  const toImage = invertAffine(toCrop);
  const [a, b, , d, e] = toImage;
  const k = Math.sqrt(Math.abs(a * e - b * d)); // image pixels per crop pixel (uniform for a similarity)
  if (k < 1) {
    bicubic(image, toImage, size, rgb, valid);
    return rgb;
  }
  const f = Math.round(k);
  const src = f > 1 ? reduce(image, toImage, size, f) : { img: image, x0: 0, y0: 0, f: 1 };
  // Image coordinates → reduced coordinates: (x − x0)/f.
  const m: Affine = [a / src.f, b / src.f, (toImage[2] - src.x0) / src.f, d / src.f, e / src.f, (toImage[5] - src.y0) / src.f];
  bilinear(src.img, m, size, rgb);
  if (valid) markValid(image, toImage, size, valid);
  return rgb;
}

function markValid(image: RgbImage, toImage: Affine, size: number, valid: Uint8Array): void {
  const [a, b, c, d, e, f] = toImage;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const x = a * (u + 0.5) + b * (v + 0.5) + c;
      const y = d * (u + 0.5) + e * (v + 0.5) + f;
      valid[v * size + u] = x >= 0 && y >= 0 && x < image.width && y < image.height ? 1 : 0;
    }
  }
}

/** Box-reduce the part of the image under the crop by an integer factor f. */
function reduce(image: RgbImage, toImage: Affine, size: number, f: number): { img: RgbImage; x0: number; y0: number; f: number } {
  const [a, b, c, d, e, g] = toImage;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [u, v] of [
    [0, 0],
    [size, 0],
    [0, size],
    [size, size],
  ]) {
    const x = a * u + b * v + c;
    const y = d * u + e * v + g;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  // Align the region to the block grid of the image so blocks are the same whatever the crop.
  const x0 = Math.max(0, Math.floor((minX - 2 * f) / f) * f);
  const y0 = Math.max(0, Math.floor((minY - 2 * f) / f) * f);
  const x1 = Math.min(image.width, Math.ceil((maxX + 2 * f) / f) * f);
  const y1 = Math.min(image.height, Math.ceil((maxY + 2 * f) / f) * f);
  const w = Math.max(1, Math.ceil((x1 - x0) / f));
  const h = Math.max(1, Math.ceil((y1 - y0) / f));
  const out = new Uint8Array(w * h * 3);
  if (x1 <= x0 || y1 <= y0) return { img: { data: out, width: w, height: h }, x0, y0, f };
  const acc = new Uint32Array(w * 3);
  const src = image.data;
  const W = image.width;
  const last = x1 - x0; // pixels per row in the region
  for (let by = 0; by < h; by++) {
    acc.fill(0);
    const ys = y0 + by * f;
    const ye = Math.min(y1, ys + f);
    for (let y = ys; y < ye; y++) {
      // One pass along the row; the block index advances every f pixels.
      let s = (y * W + x0) * 3;
      let k = 0;
      let inBlock = 0;
      for (let x = 0; x < last; x++, s += 3) {
        acc[k] += src[s];
        acc[k + 1] += src[s + 1];
        acc[k + 2] += src[s + 2];
        if (++inBlock === f) {
          inBlock = 0;
          k += 3;
        }
      }
    }
    const rowsIn = ye - ys;
    for (let bx = 0; bx < w; bx++) {
      const count = rowsIn * Math.min(f, x1 - (x0 + bx * f));
      const o = (by * w + bx) * 3;
      out[o] = acc[3 * bx] / count + 0.5;
      out[o + 1] = acc[3 * bx + 1] / count + 0.5;
      out[o + 2] = acc[3 * bx + 2] / count + 0.5;
    }
  }
  return { img: { data: out, width: w, height: h }, x0, y0, f };
}

/**
 * One bilinear tap per pixel centre; black outside the image. Positions step incrementally along a row, and
 * taps whose 2×2 neighbourhood lies inside the image (all but the border ones) skip the bounds checks.
 */
function bilinear(img: RgbImage, m: Affine, size: number, out: Uint8Array): void {
  const { data, width, height } = img;
  const [a, b, c, d, e, f] = m;
  const stride = width * 3;
  const xMax = width - 1;
  const yMax = height - 1;
  let o = 0;
  for (let v = 0; v < size; v++) {
    // Continuous image coordinates (pixel centres at +0.5) of the centre of pixel (0, v), minus the half pixel.
    let x = a * 0.5 + b * (v + 0.5) + c - 0.5;
    let y = d * 0.5 + e * (v + 0.5) + f - 0.5;
    for (let u = 0; u < size; u++, o += 3, x += a, y += d) {
      // ⌊x⌋ ≥ 0 ⇔ x ≥ 0 and ⌊x⌋ < xMax ⇔ x < xMax, and there truncation is the floor.
      if (x >= 0 && y >= 0 && x < xMax && y < yMax) {
        const x0 = x | 0;
        const y0 = y | 0;
        const fx = x - x0;
        const fy = y - y0;
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        const p = y0 * stride + x0 * 3;
        const q = p + stride;
        out[o] = w00 * data[p] + w10 * data[p + 3] + w01 * data[q] + w11 * data[q + 3] + 0.5;
        out[o + 1] = w00 * data[p + 1] + w10 * data[p + 4] + w01 * data[q + 1] + w11 * data[q + 4] + 0.5;
        out[o + 2] = w00 * data[p + 2] + w10 * data[p + 5] + w01 * data[q + 2] + w11 * data[q + 5] + 0.5;
        continue;
      }
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let k = 0; k < 4; k++) {
        const xi = x0 + (k & 1);
        const yi = y0 + (k >> 1);
        if (xi < 0 || yi < 0 || xi >= width || yi >= height) continue;
        const w = k === 0 ? w00 : k === 1 ? w10 : k === 2 ? w01 : w11;
        const p = yi * stride + xi * 3;
        r += w * data[p];
        g += w * data[p + 1];
        bl += w * data[p + 2];
      }
      out[o] = r + 0.5;
      out[o + 1] = g + 0.5;
      out[o + 2] = bl + 0.5;
    }
  }
}

/** Catmull-Rom weights for the four taps around a fractional position t ∈ [0, 1). */
function cubicWeights(t: number, w: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  w[0] = (-t3 + 2 * t2 - t) / 2;
  w[1] = (3 * t3 - 5 * t2 + 2) / 2;
  w[2] = (-3 * t3 + 4 * t2 + t) / 2;
  w[3] = (t3 - t2) / 2;
}

function bicubic(img: RgbImage, m: Affine, size: number, out: Uint8Array, valid?: Uint8Array): void {
  const { data, width, height } = img;
  const [a, b, c, d, e, f] = m;
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const w1 = width - 1;
  const h1 = height - 1;
  const stride = width * 3;
  let o = 0;
  for (let v = 0; v < size; v++) {
    let X = a * 0.5 + b * (v + 0.5) + c;
    let Y = d * 0.5 + e * (v + 0.5) + f;
    for (let u = 0; u < size; u++, o += 3, X += a, Y += d) {
      const inside = X >= 0 && Y >= 0 && X < width && Y < height;
      if (valid) valid[o / 3] = inside ? 1 : 0;
      if (!inside) {
        out[o] = out[o + 1] = out[o + 2] = 0;
        continue;
      }
      const x = X - 0.5;
      const y = Y - 0.5;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      cubicWeights(x - x0, wx);
      cubicWeights(y - y0, wy);
      let r = 0;
      let g = 0;
      let bl = 0;
      if (x0 >= 1 && y0 >= 1 && x0 + 2 <= w1 && y0 + 2 <= h1) {
        // All 16 taps inside: no clamping.
        const x0w = wx[0], x1w = wx[1], x2w = wx[2], x3w = wx[3];
        let p = (y0 - 1) * stride + (x0 - 1) * 3;
        for (let j = 0; j < 4; j++, p += stride) {
          const wj = wy[j];
          r += wj * (x0w * data[p] + x1w * data[p + 3] + x2w * data[p + 6] + x3w * data[p + 9]);
          g += wj * (x0w * data[p + 1] + x1w * data[p + 4] + x2w * data[p + 7] + x3w * data[p + 10]);
          bl += wj * (x0w * data[p + 2] + x1w * data[p + 5] + x2w * data[p + 8] + x3w * data[p + 11]);
        }
      } else {
        for (let j = 0; j < 4; j++) {
          let yi = y0 - 1 + j;
          yi = yi < 0 ? 0 : yi > h1 ? h1 : yi;
          for (let i = 0; i < 4; i++) {
            let xi = x0 - 1 + i;
            xi = xi < 0 ? 0 : xi > w1 ? w1 : xi;
            const w = wx[i] * wy[j];
            const p = yi * stride + xi * 3;
            r += w * data[p];
            g += w * data[p + 1];
            bl += w * data[p + 2];
          }
        }
      }
      out[o] = r < 0 ? 0 : r > 255 ? 255 : r + 0.5;
      out[o + 1] = g < 0 ? 0 : g > 255 ? 255 : g + 0.5;
      out[o + 2] = bl < 0 ? 0 : bl > 255 ? 255 : bl + 0.5;
    }
  }
}
