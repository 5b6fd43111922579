// Head pose from the dense mesh: face axes built from symmetric point pairs (eye corners, cheeks, mouth
// corners) and the forehead→chin line, orthonormalised; angles read off the rotation. Camera frame: x right,
// y down, z into the image (FaceMesh's z grows away from the camera), so a frontal face is the identity.
import type { Pose, Vec3 } from './types.js';

const PAIRS: Array<[number, number]> = [
  [33, 263], // outer eye corners
  [234, 454], // cheek extremes
  [61, 291], // mouth corners
];
const FOREHEAD = 10;
const CHIN = 152;

type V = [number, number, number];

const sub = (a: Vec3, b: Vec3): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V, b: V): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: V): V => {
  const l = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
};
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** Face axes in camera coordinates: x towards the subject's left (image right when frontal), y down the face, z to the back of the head. */
export function faceAxes(points: ReadonlyArray<Vec3>): { x: V; y: V; z: V } {
  let x: V = [0, 0, 0];
  for (const [r, l] of PAIRS) {
    const d = norm(sub(points[l], points[r]));
    x = [x[0] + d[0], x[1] + d[1], x[2] + d[2]];
  }
  x = norm(x);
  let y = norm(sub(points[CHIN], points[FOREHEAD]));
  const k = dot(y, x);
  y = norm([y[0] - k * x[0], y[1] - k * x[1], y[2] - k * x[2]]);
  return { x, y, z: cross(x, y) };
}

const DEG = 180 / Math.PI;

/**
 * Yaw > 0: the face turns towards the image's right (the subject's left; the nose points to +x).
 * Pitch > 0: the face tilts up (nose points up in the image). Roll > 0: the eye line turns clockwise in the image.
 */
export function estimatePose(points: ReadonlyArray<Vec3>): Pose {
  const { x, z } = faceAxes(points);
  const forward: V = [-z[0], -z[1], -z[2]]; // the direction the nose points
  return {
    yaw: round(Math.atan2(forward[0], -forward[2]) * DEG),
    pitch: round(Math.asin(Math.max(-1, Math.min(1, -forward[1]))) * DEG),
    roll: round(Math.atan2(x[1], x[0]) * DEG),
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
