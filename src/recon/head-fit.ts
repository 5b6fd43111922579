// The head fit: the pose of a rigid, mirror-symmetric mean head (src/recon/mesh/head-model.json) that best
// explains the FaceMesh points as an orthographic (weak-perspective) view, fitted to the points the camera
// sees. It gives each vertex a visibility (its normal against the view direction) and the frame in which
// the side of a turned face that the camera did not see can be completed from the side it did see
// (hidden-side.ts). Pure maths; docs/accuracy.md says why and what it measured.
import headModel from './mesh/head-model.json' with { type: 'json' };
import { faceTopology } from './mesh/topology.js';
import { apply3, applySimilarity, procrustes, transpose3, type Mat3, type Similarity, type V3 } from './math3.js';
import type { Vec3 } from './types.js';

export const HEAD_VERTICES = 468;

interface HeadModel {
  /** Flat xyz of the symmetric mean shape: x towards the subject's left, y down, z away from the camera. */
  shape: Float64Array;
  /** Mirror partner of each vertex (the face topology's map; midline vertices map to themselves). */
  mirror: Uint32Array;
  /** Outward unit normals of the shape, flat xyz (towards the camera, −z, on a frontal face). */
  normals: Float64Array;
}

let model: HeadModel | undefined;

/** The mirror-symmetric mean head, its mirror map and its vertex normals (computed once). */
export function head(): HeadModel {
  if (model) return model;
  const shape = Float64Array.from((headModel.shape as number[][]).flat());
  const { mirror, triangles: tris } = faceTopology();
  const normals = new Float64Array(shape.length);
  for (let t = 0; t < tris.length; t += 3) {
    const a = tris[t] * 3;
    const b = tris[t + 1] * 3;
    const c = tris[t + 2] * 3;
    const u = [shape[b] - shape[a], shape[b + 1] - shape[a + 1], shape[b + 2] - shape[a + 2]];
    const v = [shape[c] - shape[a], shape[c + 1] - shape[a + 1], shape[c + 2] - shape[a + 2]];
    const n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    for (const k of [a, b, c]) for (let d = 0; d < 3; d++) normals[k + d] += n[d];
  }
  // Orient outwards: the nose tip (vertex 4) faces the camera.
  const sign = normals[4 * 3 + 2] > 0 ? -1 : 1;
  for (let i = 0; i < HEAD_VERTICES; i++) {
    const l = Math.hypot(normals[3 * i], normals[3 * i + 1], normals[3 * i + 2]) || 1;
    for (let d = 0; d < 3; d++) normals[3 * i + d] *= sign / l;
  }
  model = { shape, mirror, normals };
  return model;
}

export interface HeadFit extends Similarity {
  /** Per vertex: how squarely its surface faces the camera (1 facing it, 0 edge-on, < 0 facing away). */
  visibility: Float64Array;
  /** Yaw of the fitted head in degrees, pose.ts convention (> 0: the face turns towards the image's right). */
  yawDeg: number;
}

/** Vertices count fully when they face the camera at least this squarely; weights fall to 0 at edge-on. */
const FULL_VISIBILITY = 0.3;
const ROUNDS = 3;
const ITERATIONS = 8;

/**
 * Fit s·R·X + t of the head model X to the first 468 points (x, y image pixels; z FaceMesh depth, used only to
 * start): the x/y error is minimised over the vertices the camera sees, by alternating Procrustes with the
 * depth taken from the current fit (an orthographic perspective-n-point solution).
 */
export function fitHead(points: ReadonlyArray<Vec3>): HeadFit {
  const { shape } = head();
  const y = new Float64Array(HEAD_VERTICES * 3);
  for (let i = 0; i < HEAD_VERTICES; i++) {
    y[3 * i] = points[i][0];
    y[3 * i + 1] = points[i][1];
    y[3 * i + 2] = points[i][2];
  }
  const w = new Float64Array(HEAD_VERTICES).fill(1);
  let fit = procrustes(shape, y, w);
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) {
      const vis = visibilityOf(fit.r);
      for (let i = 0; i < HEAD_VERTICES; i++) w[i] = Math.max(0, Math.min(1, vis[i] / FULL_VISIBILITY));
    }
    for (let k = 0; k < ITERATIONS; k++) {
      for (let i = 0; i < HEAD_VERTICES; i++) {
        const q = applySimilarity(fit, [shape[3 * i], shape[3 * i + 1], shape[3 * i + 2]]);
        y[3 * i + 2] = q[2];
      }
      fit = procrustes(shape, y, w);
    }
  }
  return { ...fit, visibility: visibilityOf(fit.r), yawDeg: yawOf(fit.r) };
}

/** Visibility of every model vertex under rotation `r` (head → camera): −(R·n)·z. */
export function visibilityOf(r: Mat3): Float64Array {
  const { normals } = head();
  const out = new Float64Array(HEAD_VERTICES);
  for (let i = 0; i < HEAD_VERTICES; i++) out[i] = -(r[6] * normals[3 * i] + r[7] * normals[3 * i + 1] + r[8] * normals[3 * i + 2]);
  return out;
}

/** Yaw (degrees, pose.ts convention) of a head → camera rotation: where the face's forward axis (−z) points. */
export function yawOf(r: Mat3): number {
  const f: V3 = [-r[2], -r[5], -r[8]];
  return (Math.atan2(f[0], -f[2]) * 180) / Math.PI;
}

/** Camera point → head frame (the inverse of the fit's similarity). */
export function toHead(fit: Similarity, p: ArrayLike<number>): V3 {
  const d = [(p[0] - fit.t[0]) / fit.s, (p[1] - fit.t[1]) / fit.s, (p[2] - fit.t[2]) / fit.s];
  return apply3(transpose3(fit.r), d);
}
