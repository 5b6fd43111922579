// The side of a turned face that the camera did not see, completed from the side it did see.
//
// FaceMesh is reliable on what it sees; on a face turned past ~30° it squeezes the far side of the mesh
// towards the visible outline (the far jaw, brow and eye end up near the profile line) and it turns the
// whole mesh back towards frontal: fitted to the 68 human-annotated points of the dev faces, our own head
// model gives 39°, 43° and 78° where the same fit to FaceMesh's points gives 32°, 40° and 57°
// (docs/accuracy.md). So, on turned faces only:
//  1. the points go into the head frame of the head fit (head-fit.ts);
//  2. each vertex is blended with the mirror image of its partner, weighted by how well the camera saw each
//     of the two (visibility², so the seen side decides), i.e. the hidden side becomes the seen side mirrored;
//  3. the head is turned a little further, by half the fitted yaw beyond 30°, and projected back, anchored on
//     the midline (nose, lips, chin) where FaceMesh placed it.
// Below 25° nothing changes; from 25° to 40° the result blends in linearly. Pure maths.
import { head, HEAD_VERTICES, toHead, type HeadFit } from './head-fit.js';
import { applySimilarity, mul3, rotationY, type V3 } from './math3.js';
import type { Vec3 } from './types.js';

/** |yaw| (degrees, of the head fit) from which the completed head starts to replace FaceMesh's points … */
export const HIDDEN_SIDE_FROM_DEG = 25;
/** … and from which it replaces them fully. */
export const HIDDEN_SIDE_FULL_DEG = 40;
/** Yaw beyond this is taken as under-estimated by FaceMesh … */
export const YAW_BIAS_FROM_DEG = 30;
/** … by this share of the excess (0.5: a fitted 50° becomes 60°). */
export const YAW_BIAS_GAIN = 0.5;

/** Midline vertices (nasion, nose bridge and tip, lips, chin) on which the turned head is re-anchored. */
const ANCHORS = [168, 6, 1, 4, 0, 13, 14, 17, 152];
const DEG = Math.PI / 180;

/** Mirror partner of a point of the 478-point topology (iris points: 468 + k ↔ 473 + k). */
function partner(i: number, mirror: Uint32Array): number {
  if (i < HEAD_VERTICES) return mirror[i];
  return i < 473 ? i + 5 : i - 5;
}

export interface HiddenSideOptions {
  fromDeg: number;
  fullDeg: number;
  yawBiasFromDeg: number;
  yawBiasGain: number;
}

export const HIDDEN_SIDE_DEFAULTS: HiddenSideOptions = {
  fromDeg: HIDDEN_SIDE_FROM_DEG,
  fullDeg: HIDDEN_SIDE_FULL_DEG,
  yawBiasFromDeg: YAW_BIAS_FROM_DEG,
  yawBiasGain: YAW_BIAS_GAIN,
};

/** Extra yaw (degrees, pose.ts sign) that undoes FaceMesh's pull towards frontal. */
export function yawCorrection(yawDeg: number, o: HiddenSideOptions = HIDDEN_SIDE_DEFAULTS): number {
  const excess = Math.abs(yawDeg) - o.yawBiasFromDeg;
  return excess > 0 ? Math.sign(yawDeg) * o.yawBiasGain * excess : 0;
}

/** The share of the completed head in the result for a head-fit yaw (0 frontal … 1 turned). */
export function completionWeight(yawDeg: number, o: HiddenSideOptions = HIDDEN_SIDE_DEFAULTS): number {
  return Math.max(0, Math.min(1, (Math.abs(yawDeg) - o.fromDeg) / (o.fullDeg - o.fromDeg)));
}

/**
 * 468 or 478 points (image x/y, FaceMesh z) → the same points with the hidden side completed and the yaw
 * corrected, or the input itself when the face is near frontal.
 */
export function completeHiddenSide(points: Vec3[], fit: HeadFit, o: HiddenSideOptions = HIDDEN_SIDE_DEFAULTS): Vec3[] {
  const blend = completionWeight(fit.yawDeg, o);
  if (blend <= 0) return points;
  const { mirror } = head();
  const n = points.length;
  const vis = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Iris points take the visibility of their eye's corners.
    vis[i] = i < HEAD_VERTICES ? fit.visibility[i] : i < 473 ? (fit.visibility[33] + fit.visibility[133]) / 2 : (fit.visibility[362] + fit.visibility[263]) / 2;
  }
  const h: V3[] = new Array(n);
  for (let i = 0; i < n; i++) h[i] = toHead(fit, points[i]);
  // Turn by the correction about the head's own vertical axis: R' = R·Ry(−Δ) raises the fitted yaw by Δ.
  const turned = { s: fit.s, r: mul3(fit.r, rotationY(-yawCorrection(fit.yawDeg, o) * DEG)), t: fit.t };
  const out: Vec3[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = partner(i, mirror);
    const a = Math.max(0, vis[i]) ** 2 + 1e-3;
    const b = Math.max(0, vis[j]) ** 2 + 1e-3;
    const m = h[j];
    const q = applySimilarity(turned, [(a * h[i][0] - b * m[0]) / (a + b), (a * h[i][1] + b * m[1]) / (a + b), (a * h[i][2] + b * m[2]) / (a + b)]);
    out[i] = q;
  }
  let dx = 0;
  let dy = 0;
  for (const i of ANCHORS) {
    dx += points[i][0] - out[i][0];
    dy += points[i][1] - out[i][1];
  }
  dx /= ANCHORS.length;
  dy /= ANCHORS.length;
  for (let i = 0; i < n; i++) {
    const p = points[i];
    const q = out[i];
    out[i] = [(1 - blend) * p[0] + blend * (q[0] + dx), (1 - blend) * p[1] + blend * (q[1] + dy), (1 - blend) * p[2] + blend * q[2]];
  }
  return out;
}
