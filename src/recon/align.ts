// The canonical frame every image output shares, and the metric mesh frame. Pure maths.
//
// Canonical crop (size S, default 256): a similarity transform of the photo with the eye line level, the
// midpoint of the pupils at (0.5·S, 0.4·S) and the pupil distance 0.28·S. Chin and forehead fit inside for
// faces with |pitch| up to ~25°.
// Mesh space (OBJ/GLB, architecture note §4): metres, right-handed, +X to the crop's right, +Y up, +Z out
// of the face towards the camera, origin at the pupils' midpoint, scaled so the pupil distance is 0.063 m
// (the mean adult IPD). It is the crop frame flipped and scaled, so an orthographic front view of the mesh
// lines up with the crop, the structure map and the other maps: the crop's pixel (u, v) is the mesh point
// X = (u − 0.5·S)·k, Y = (0.4·S − v)·k with k = 0.063 / (0.28·S) metres per pixel.
import type { Affine } from './geometry.js';
import type { Vec3 } from './types.js';

export const IPD_METRES = 0.063;
export const EYE_LINE_Y = 0.4;
export const IPD_FRACTION = 0.28;
export const DEFAULT_SIZE = 256;
export const MIN_SIZE = 128;
export const MAX_SIZE = 1024;

/** Iris centres (478-point topology) or, with 468 points, the mean of each eye's corners. Right eye first. */
export function eyeCentres(points: ReadonlyArray<Vec3>): [Vec3, Vec3] {
  if (points.length >= 478) return [points[468], points[473]];
  const mid = (a: Vec3, b: Vec3): Vec3 => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
  return [mid(points[33], points[133]), mid(points[362], points[263])];
}

export interface Alignment {
  size: number;
  /** Image pixels → crop pixels (row-major 2×3). */
  matrix: Affine;
  /** Crop pixels per image pixel. */
  scale: number;
  /** Radians the photo is rotated by (minus the eye line's angle). */
  rotation: number;
  /** Metres per crop pixel in mesh space. */
  metresPerPixel: number;
}

export function canonicalAlignment(points: ReadonlyArray<Vec3>, size = DEFAULT_SIZE): Alignment {
  const [r, l] = eyeCentres(points);
  const dx = l[0] - r[0];
  const dy = l[1] - r[1];
  const ipd = Math.hypot(dx, dy);
  const scale = (IPD_FRACTION * size) / ipd;
  const angle = Math.atan2(dy, dx);
  const c = Math.cos(-angle) * scale;
  const s = Math.sin(-angle) * scale;
  const mx = (r[0] + l[0]) / 2;
  const my = (r[1] + l[1]) / 2;
  // crop = R(−angle)·scale·(p − mid) + target
  const tx = 0.5 * size - (c * mx - s * my);
  const ty = EYE_LINE_Y * size - (s * mx + c * my);
  return { size, matrix: [c, -s, tx, s, c, ty], scale, rotation: -angle, metresPerPixel: IPD_METRES / (IPD_FRACTION * size) };
}

/** Image-space points (x, y pixels; z same scale, away from camera) → crop pixels (z scaled alike). */
export function toCrop(points: ReadonlyArray<Vec3>, a: Alignment): Vec3[] {
  const [m0, m1, m2, m3, m4, m5] = a.matrix;
  const [r, l] = eyeCentres(points);
  const z0 = (r[2] + l[2]) / 2;
  // Loops rather than map(arrow) here and below: a per-call arrow is recompiled after each full GC.
  const out: Vec3[] = [];
  for (const p of points) out.push([m0 * p[0] + m1 * p[1] + m2, m3 * p[0] + m4 * p[1] + m5, (p[2] - z0) * a.scale]);
  return out;
}

/** Crop-space points → mesh space (metres, +Y up, +Z towards the camera, origin between the pupils). */
export function cropToMesh(points: ReadonlyArray<Vec3>, a: Alignment): Vec3[] {
  const k = a.metresPerPixel;
  const ox = 0.5 * a.size;
  const oy = EYE_LINE_Y * a.size;
  const out: Vec3[] = [];
  for (const p of points) out.push([(p[0] - ox) * k, (oy - p[1]) * k, -p[2] * k]);
  return out;
}
