// Small pure 2-D geometry used by the stages: affine maps between image and model-input pixels, and
// rotated square regions of interest (the MediaPipe "rect" of a face or an eye).
import type { Vec2 } from './types.js';

/** Row-major 2×3 affine map [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f. */
export type Affine = [number, number, number, number, number, number];

export function applyAffine(m: Affine, x: number, y: number): Vec2 {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) throw new Error('affine map is singular');
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** A square region of the image, rotated by `angle` radians (its x axis at `angle` from the image x axis). */
export interface Roi {
  cx: number;
  cy: number;
  size: number;
  angle: number;
}

/** The map from model-input pixels (0…inputSize) of a crop of `roi` to image pixels. */
export function roiToImage(roi: Roi, inputSize: number, flip = false): Affine {
  const s = roi.size / inputSize;
  const cos = Math.cos(roi.angle) * s;
  const sin = Math.sin(roi.angle) * s;
  const fx = flip ? -1 : 1;
  const h = inputSize / 2;
  // image = centre + R·s·(u − h, v − h), with u mirrored when flipped.
  return [fx * cos, -sin, roi.cx - fx * cos * h + sin * h, fx * sin, cos, roi.cy - fx * sin * h - cos * h];
}

/** Normalise an angle to (−π, π]. */
export function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** Bounding square of points in a frame rotated by `angle`, scaled by `scale` (MediaPipe's rect transform). */
export function roiFromPoints(points: ReadonlyArray<readonly number[]>, angle: number, scale: number): Roi {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  let minU = Infinity;
  let maxU = -Infinity;
  let minV = Infinity;
  let maxV = -Infinity;
  for (const p of points) {
    // Coordinates in the rotated frame.
    const u = cos * p[0] + sin * p[1];
    const v = -sin * p[0] + cos * p[1];
    minU = Math.min(minU, u);
    maxU = Math.max(maxU, u);
    minV = Math.min(minV, v);
    maxV = Math.max(maxV, v);
  }
  const cu = (minU + maxU) / 2;
  const cv = (minV + maxV) / 2;
  return {
    cx: cos * cu - sin * cv,
    cy: sin * cu + cos * cv,
    size: Math.max(maxU - minU, maxV - minV) * scale,
    angle,
  };
}
