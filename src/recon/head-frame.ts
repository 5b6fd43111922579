// The head frame (architecture note §11; docs/outputs.md, "The front view"): the reconstructed face turned to
// look straight at the camera, yaw = pitch = roll = 0. Defined here and nowhere else; pure maths.
//
// From the engine's 478 image-space points (x, y pixels, z on the same scale, away from the camera) and its pose:
// 1. Rotation. The pose (pose.ts: yaw, pitch, roll) as the rotation R whose columns are the face's axes in image
//    space: x towards the subject's left, y down the face, z to the back of the head (identity for a frontal
//    face). Undoing it, q = Rᵀ·p, turns the head to the front. Only the pose's three angles are used, so a
//    better pose estimate changes the frame without touching this module.
// 2. Level. A small turn about the view axis so the two eye centres are level. An eye centre is the midpoint of
//    the eye's corners (FaceMesh 33 + 133, 362 + 263): the pupils move with the gaze, the corners do not.
// 3. Centre. The rotation centre and the frame's origin: on the face's midline (the median x of FaceMesh's 28
//    midline vertices: nose ridge, lips, chin, forehead), at the eye centres' mean height and depth — the point
//    between the eyes. Rotating about any other point would differ by a shift only; this one is where the
//    front view puts the eyes.
// 4. Completion. On a turned face the far side is predicted, not seen, and FaceMesh flattens it. Each surface
//    vertex the photo saw much worse than its mirror twin (its normal turned further from the camera) moves
//    towards the twin's mirror image, by COMPLETION weights that are 0 on a frontal face and reach 1 on the
//    hidden side: the hidden side takes the visible side's shape.
// 5. Scale. The eye centres 0.28·S apart in the front view, i.e. 0.063 m in mesh space (align.ts).
// Front-view crop pixels (x right, y down, z away): u = 0.5·S + s·q_x, v = 0.4·S + s·q_y, z = s·q_z, with q the
// rotated, levelled, centred point. Mesh space (metres, +Y up, +Z to the viewer) follows as for the camera view
// (align.ts cropToMesh), so the canonical mesh seen orthographically along −Z is exactly the front view.
import { EYE_LINE_Y, IPD_FRACTION, IPD_METRES, DEFAULT_SIZE, eyeCentres, type Alignment } from './align.js';
import { faceTriangles, vertexNormals } from './mesh/build.js';
import { faceTopology, MESH_VERTEX_COUNT } from './mesh/topology.js';
import type { Pose, Vec3 } from './types.js';

import type { Mat3 } from './math3.js';
export type { Mat3 };
/** Row-major 4×4 matrix (affine: the last row is 0, 0, 0, 1). */
export type Mat4 = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

/** Completion weight of a vertex from how much better its mirror twin faces the camera (cosines). */
export const COMPLETION = { from: 0.1, to: 0.35, seenFrom: 0.3, seenTo: 0.6 } as const;

const RIGHT_EYE = [33, 133] as const;
const LEFT_EYE = [362, 263] as const;

export interface HeadFrame {
  /** The pose the frame undoes (degrees, pose.ts conventions). */
  pose: Pose;
  /** Image space → head axes: q = rotation·(p − centre) (row-major; rows are the head's x, y, z axes in image space, levelled). */
  rotation: Mat3;
  /** The rotation centre, image space (x, y pixels, z FaceMesh depth): between the eyes, on the midline. */
  centre: Vec3;
  /** Front-view crop pixels per image pixel. */
  scale: number;
  /** Front-view size S (pixels). */
  size: number;
  /** Metres per front-view crop pixel (0.063 / (0.28·S)). */
  metresPerPixel: number;
  /** Per surface vertex (468), 0–1: how far it was moved to its mirror twin's mirror image (step 4). */
  completion: Float32Array;
  /** The 478 points in front-view crop pixels, completion applied to the 468 surface vertices (not to the irises). */
  points: Vec3[];
}

/**
 * The head's rotation in image space from the engine's pose: columns are the face's x (subject's left), y (down
 * the face) and z (back of the head) axes, as pose.ts's faceAxes; estimatePose(R) reads back the same angles.
 */
export function headRotation(pose: Pose): Mat3 {
  const d = Math.PI / 180;
  const yaw = pose.yaw * d;
  const pitch = pose.pitch * d;
  const roll = pose.roll * d;
  // The direction the nose points (pose.ts: yaw = atan2(f_x, −f_z), pitch = asin(−f_y)).
  const f = [Math.sin(yaw) * Math.cos(pitch), -Math.sin(pitch), -Math.cos(yaw) * Math.cos(pitch)];
  const z = [-f[0], -f[1], -f[2]];
  // x ⟂ f whose image-plane direction is at the roll angle (roll = atan2(x_y, x_x)).
  let x = [Math.cos(roll), Math.sin(roll), -(Math.cos(roll) * f[0] + Math.sin(roll) * f[1]) / f[2]];
  const len = Math.hypot(x[0], x[1], x[2]);
  x = [x[0] / len, x[1] / len, x[2] / len];
  const y = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
  return [x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]];
}

let midline: number[] | undefined;
let rings: number[][] | undefined;

/** The head frame of one face and its points in the front view (steps 1–5 of the header). */
export function headFrame(points: ReadonlyArray<Vec3>, pose: Pose, size = DEFAULT_SIZE): HeadFrame {
  if (points.length < MESH_VERTEX_COUNT) throw new RangeError(`headFrame needs at least ${MESH_VERTEX_COUNT} points, got ${points.length}`);
  const R = headRotation(pose);
  // Rows of Rᵀ are R's columns: q = Rᵀ·p.
  let rot: Mat3 = [R[0], R[3], R[6], R[1], R[4], R[7], R[2], R[5], R[8]];
  const eye = (ids: readonly [number, number]): Vec3 => mid(apply(rot, points[ids[0]]), apply(rot, points[ids[1]]));
  const er = eye(RIGHT_EYE);
  const el = eye(LEFT_EYE);
  const a = -Math.atan2(el[1] - er[1], el[0] - er[0]);
  const level: Mat3 = [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
  rot = mul3(level, rot);

  const n = points.length;
  const q: Vec3[] = new Array(n);
  for (let i = 0; i < n; i++) q[i] = apply(rot, points[i]);
  midline ??= Array.from(faceTopology().mirror).flatMap((m, i) => (m === i ? [i] : []));
  const xs = midline.map((i) => q[i][0]).sort((s, t) => s - t);
  const x0 = (xs[(xs.length - 1) >> 1] + xs[xs.length >> 1]) / 2;
  const e1 = mid(q[RIGHT_EYE[0]], q[RIGHT_EYE[1]]);
  const e2 = mid(q[LEFT_EYE[0]], q[LEFT_EYE[1]]);
  const origin: Vec3 = [x0, (e1[1] + e2[1]) / 2, (e1[2] + e2[2]) / 2];
  for (let i = 0; i < n; i++) q[i] = [q[i][0] - origin[0], q[i][1] - origin[1], q[i][2] - origin[2]];
  // The centre in image space: origin = rot·centre.
  const start = applyT(rot, origin);

  const completion = completionWeights(points);
  const { mirror } = faceTopology();
  const done = q.slice();
  for (let i = 0; i < MESH_VERTEX_COUNT; i++) {
    const h = completion[i];
    if (h === 0) continue;
    const t = q[mirror[i]];
    done[i] = [(1 - h) * q[i][0] - h * t[0], (1 - h) * q[i][1] + h * t[1], (1 - h) * q[i][2] + h * t[2]];
  }
  // Completion moved the hidden eye a little: level the eyes again (a turn of a fraction of a degree, folded
  // into the frame's rotation so toFrontCrop and cameraToHead stay exact).
  let d1 = mid(done[RIGHT_EYE[0]], done[RIGHT_EYE[1]]);
  let d2 = mid(done[LEFT_EYE[0]], done[LEFT_EYE[1]]);
  const b = -Math.atan2(d2[1] - d1[1], d2[0] - d1[0]);
  if (b !== 0) {
    const relevel: Mat3 = [Math.cos(b), -Math.sin(b), 0, Math.sin(b), Math.cos(b), 0, 0, 0, 1];
    for (let i = 0; i < n; i++) done[i] = apply(relevel, done[i]);
    rot = mul3(relevel, rot);
    d1 = mid(done[RIGHT_EYE[0]], done[RIGHT_EYE[1]]);
    d2 = mid(done[LEFT_EYE[0]], done[LEFT_EYE[1]]);
  }
  // And put them back at the origin's height and depth (the centre moves with them, along the head's axes).
  const dy = (d1[1] + d2[1]) / 2;
  const dz = (d1[2] + d2[2]) / 2;
  for (let i = 0; i < n; i++) done[i] = [done[i][0], done[i][1] - dy, done[i][2] - dz];
  const shift = applyT(rot, [0, dy, dz]);
  const centre: Vec3 = [start[0] + shift[0], start[1] + shift[1], start[2] + shift[2]];
  const s = (IPD_FRACTION * size) / Math.abs(d2[0] - d1[0]);
  const out: Vec3[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = [0.5 * size + s * done[i][0], EYE_LINE_Y * size + s * done[i][1], s * done[i][2]];
  return { pose, rotation: rot, centre, scale: s, size, metresPerPixel: IPD_METRES / (IPD_FRACTION * size), completion, points: out };
}

/** Image-space points → front-view crop pixels by the frame's rotation, centre and scale (no completion). */
export function toFrontCrop(points: ReadonlyArray<Vec3>, frame: HeadFrame): Vec3[] {
  const { rotation: m, centre: c, scale: s, size } = frame;
  const out: Vec3[] = [];
  for (const p of points) {
    const q = apply(m, [p[0] - c[0], p[1] - c[1], p[2] - c[2]]);
    out.push([0.5 * size + s * q[0], EYE_LINE_Y * size + s * q[1], s * q[2]]);
  }
  return out;
}

/**
 * The affine map from the camera-view mesh (align.ts mesh space of `alignment`, metres) to the head-frame mesh
 * (metres), row-major 4×4: a rotation, a uniform scale (the camera view's scale comes from the pupils' distance
 * in the photo, the head frame's from the eye centres in 3-D) and a shift. Exact for every vertex the
 * completion left alone (completion 0).
 */
export function cameraToHead(points: ReadonlyArray<Vec3>, alignment: Alignment, frame: HeadFrame): Mat4 {
  // camera mesh = k·F·(σ·Θ·(p − p0)),  head mesh = k·F·(s·M·(p − c)),  F = diag(1, −1, −1)
  // ⇒ head = (s/σ)·F·M·Θᵀ·F·cam + k·s·F·M·(p0 − c)
  const [m0, m1, , m3, m4] = alignment.matrix;
  const sigma = alignment.scale;
  const theta: Mat3 = [m0 / sigma, m1 / sigma, 0, m3 / sigma, m4 / sigma, 0, 0, 0, 1];
  const [r, l] = eyeCentres(points);
  const p0: Vec3 = [(r[0] + l[0]) / 2, (r[1] + l[1]) / 2, (r[2] + l[2]) / 2];
  const F: Mat3 = [1, 0, 0, 0, -1, 0, 0, 0, -1];
  const thetaT: Mat3 = [theta[0], theta[3], theta[6], theta[1], theta[4], theta[7], theta[2], theta[5], theta[8]];
  const lin = mul3(F, mul3(frame.rotation, mul3(thetaT, F)));
  const k = frame.metresPerPixel;
  const ratio = (frame.scale / sigma) * (k / alignment.metresPerPixel);
  const shift = apply(mul3(F, frame.rotation), [p0[0] - frame.centre[0], p0[1] - frame.centre[1], p0[2] - frame.centre[2]]);
  const t = [k * frame.scale * shift[0], k * frame.scale * shift[1], k * frame.scale * shift[2]];
  return [
    ratio * lin[0], ratio * lin[1], ratio * lin[2], t[0],
    ratio * lin[3], ratio * lin[4], ratio * lin[5], t[1],
    ratio * lin[6], ratio * lin[7], ratio * lin[8], t[2],
    0, 0, 0, 1,
  ];
}

/**
 * Step 4's weights: 0 where a vertex faces the camera at least nearly as well as its mirror twin, rising to 1
 * where the twin faces it better by COMPLETION.to (cosines of the angle to the view axis, each averaged over the
 * vertex and its neighbours so one odd normal does not decide).
 */
export function completionWeights(points: ReadonlyArray<Vec3>): Float32Array {
  const pos = new Float64Array(MESH_VERTEX_COUNT * 3);
  for (let i = 0; i < MESH_VERTEX_COUNT; i++) {
    pos[3 * i] = points[i][0];
    pos[3 * i + 1] = points[i][1];
    pos[3 * i + 2] = points[i][2];
  }
  const normals = vertexNormals(pos, faceTriangles());
  rings ??= oneRings();
  const facing = new Float64Array(MESH_VERTEX_COUNT);
  for (let i = 0; i < MESH_VERTEX_COUNT; i++) {
    let sum = -normals[3 * i + 2];
    for (const j of rings[i]) sum -= normals[3 * j + 2];
    facing[i] = sum / (rings[i].length + 1);
  }
  const { mirror } = faceTopology();
  const out = new Float32Array(MESH_VERTEX_COUNT);
  for (let i = 0; i < MESH_VERTEX_COUNT; i++) {
    const poorer = smoothstep(COMPLETION.from, COMPLETION.to, facing[mirror[i]] - facing[i]);
    out[i] = poorer * (1 - smoothstep(COMPLETION.seenFrom, COMPLETION.seenTo, facing[i]));
  }
  // A midline vertex is its own twin: where its neighbours are completed it moves onto the midline plane
  // (weight ½ mirrors x to 0), so the completed side meets the kept side without a crease.
  for (let i = 0; i < MESH_VERTEX_COUNT; i++) {
    if (mirror[i] !== i) continue;
    let sum = 0;
    for (const j of rings[i]) sum += out[j];
    out[i] = Math.min(0.5, sum / rings[i].length);
  }
  return out;
}

function oneRings(): number[][] {
  const t = faceTriangles();
  const sets = Array.from({ length: MESH_VERTEX_COUNT }, () => new Set<number>());
  for (let k = 0; k < t.length; k += 3) {
    for (let e = 0; e < 3; e++) {
      sets[t[k + e]].add(t[k + ((e + 1) % 3)]);
      sets[t[k + e]].add(t[k + ((e + 2) % 3)]);
    }
  }
  return sets.map((s) => [...s]);
}

export function smoothstep(a: number, b: number, x: number): number {
  const u = x <= a ? 0 : x >= b ? 1 : (x - a) / (b - a);
  return u * u * (3 - 2 * u);
}

function mid(a: Vec3, b: Vec3): Vec3 {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
}

function apply(m: Mat3, p: Vec3): Vec3 {
  return [m[0] * p[0] + m[1] * p[1] + m[2] * p[2], m[3] * p[0] + m[4] * p[1] + m[5] * p[2], m[6] * p[0] + m[7] * p[1] + m[8] * p[2]];
}

/** mᵀ·p (the inverse of a rotation). */
function applyT(m: Mat3, p: Vec3): Vec3 {
  return [m[0] * p[0] + m[3] * p[1] + m[6] * p[2], m[1] * p[0] + m[4] * p[1] + m[7] * p[2], m[2] * p[0] + m[5] * p[1] + m[8] * p[2]];
}

export function mul3(a: Mat3, b: Mat3): Mat3 {
  const o = new Array(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) o[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  return o;
}
