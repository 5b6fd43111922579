// Dense 3-D face points: FaceMesh (468 points) on a crop rotated so the eyes are level, a second pass
// cropped from the first mesh (run on the crop and on its mirror image, fused), then Iris on each eye
// (10 more points → 478, MediaPipe's refined topology).
// Crop rules follow MediaPipe's face_landmark and iris_landmark graphs: face ROI = detection box (or mesh
// bounds) × 1.5, square, rotated by the eye line; eye ROI = eye-corner distance × 2.3, square, and the
// model sees the left eye as the right one mirrored.
import { applyAffine, roiFromPoints, roiToImage, type Affine, type Roi } from './geometry.js';
import { head } from './head-fit.js';
import type { ModelRuntime } from './models/runtime.js';
import type { Detection, RgbImage, Vec3 } from './types.js';
import { warpToTensor } from './warp.js';

export const MESH_INPUT = 192;
export const IRIS_INPUT = 64;
const FACE_SCALE = 1.5;
const EYE_SCALE = 2.3;

/** Mesh indices used to place crops: outer eye corners (subject's right = image left for a frontal face). */
export const RIGHT_EYE_OUTER = 33;
export const RIGHT_EYE_INNER = 133;
export const LEFT_EYE_INNER = 362;
export const LEFT_EYE_OUTER = 263;

export interface MeshPass {
  points: Vec3[]; // 468, image pixels
  presence: number;
  roi: Roi;
}

export interface FusedMeshPass extends MeshPass {
  /** Face presence of the direct and of the mirrored crop. */
  presences: [number, number];
  /** Mean distance between the two passes' points, as a share of the face size (ROI size / 1.5). */
  disagreement: number;
}

/** ROI of a detection: its box, square, ×1.5, rotated by the line from the right eye to the left eye keypoint. */
export function roiFromDetection(d: Detection): Roi {
  const [re, le] = d.keypoints;
  const angle = Math.atan2(le[1] - re[1], le[0] - re[0]);
  const [x, y, w, h] = d.box;
  return { cx: x + w / 2, cy: y + h / 2, size: Math.max(w, h) * FACE_SCALE, angle };
}

/** ROI of a previous mesh: its bounds in the eye-line frame, square, ×1.5. */
export function roiFromMesh(points: Vec3[]): Roi {
  const a = points[RIGHT_EYE_OUTER];
  const b = points[LEFT_EYE_OUTER];
  return roiFromPoints(points, Math.atan2(b[1] - a[1], b[0] - a[0]), FACE_SCALE);
}

/** Run FaceMesh on several ROIs of one image in one batch. */
export async function runMesh(runtime: ModelRuntime, img: RgbImage, rois: Roi[]): Promise<MeshPass[]> {
  return runMeshBatch(runtime, img, rois, null);
}

/**
 * FaceMesh on each ROI and on its mirror image, in one batch, fused. The mirrored crop shows the network the
 * same face turned the other way; its points, mirrored back (vertex i ↔ its partner), are a second, partly
 * independent estimate, and their mean is more accurate than either (docs/accuracy.md). How far the two
 * disagree, and both presences, tell a face from a face-like pattern.
 */
export async function runMeshFused(runtime: ModelRuntime, img: RgbImage, rois: Roi[]): Promise<FusedMeshPass[]> {
  if (!rois.length) return [];
  const flips: boolean[] = [];
  const both: Roi[] = [];
  for (const roi of rois) {
    both.push(roi, roi);
    flips.push(false, true);
  }
  const passes = await runMeshBatch(runtime, img, both, flips);
  const { mirror } = head();
  const out: FusedMeshPass[] = [];
  for (let k = 0; k < rois.length; k++) {
    const a = passes[2 * k].points;
    const b = passes[2 * k + 1].points;
    const size = rois[k].size / FACE_SCALE;
    const points: Vec3[] = new Array(468);
    let gap = 0;
    for (let i = 0; i < 468; i++) {
      // The mirrored pass's vertex j sits where the face's vertex mirror[j] is.
      const q = b[mirror[i]];
      const p = a[i];
      points[i] = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2];
      gap += Math.hypot(p[0] - q[0], p[1] - q[1]);
    }
    const presences: [number, number] = [passes[2 * k].presence, passes[2 * k + 1].presence];
    out.push({ points, presence: (presences[0] + presences[1]) / 2, presences, disagreement: gap / 468 / size, roi: rois[k] });
  }
  return out;
}

async function runMeshBatch(runtime: ModelRuntime, img: RgbImage, rois: Roi[], flips: boolean[] | null): Promise<MeshPass[]> {
  if (!rois.length) return [];
  const per = MESH_INPUT * MESH_INPUT * 3;
  const input = runtime.buffers.acquire(per * rois.length);
  for (let k = 0; k < rois.length; k++) {
    warpToTensor(img, roiToImage(rois[k], MESH_INPUT, flips ? flips[k] : false), MESH_INPUT, { scale: 1 / 255, offset: 0 }, input, k * per);
  }
  let out;
  try {
    out = await runtime.run('facemesh', input, [rois.length, MESH_INPUT, MESH_INPUT, 3]);
  } finally {
    runtime.buffers.release(input);
  }
  const mesh = out.Identity_2.data;
  const flag = out.Identity_1.data;
  // Plain loops over the ROIs (here and in runIris): a callback written inline is a new function per photo,
  // and V8 recompiles it after each full GC.
  const passes: MeshPass[] = [];
  for (let k = 0; k < rois.length; k++) {
    const roi = rois[k];
    const m = roiToImage(roi, MESH_INPUT, flips ? flips[k] : false);
    const s = roi.size / MESH_INPUT;
    const points: Vec3[] = [];
    for (let i = 0; i < 468; i++) {
      const o = k * 1404 + i * 3;
      const [x, y] = applyAffine(m, mesh[o], mesh[o + 1]);
      points.push([x, y, mesh[o + 2] * s]);
    }
    passes.push({ points, presence: flag[k], roi });
  }
  return passes;
}

/** Eye ROIs (right eye first), from the mesh's eye corners. */
export function eyeRois(points: Vec3[]): [Roi, Roi] {
  const roi = (i: number, j: number): Roi => {
    const a = points[i];
    const b = points[j];
    return {
      cx: (a[0] + b[0]) / 2,
      cy: (a[1] + b[1]) / 2,
      size: Math.hypot(b[0] - a[0], b[1] - a[1]) * EYE_SCALE,
      angle: Math.atan2(b[1] - a[1], b[0] - a[0]),
    };
  };
  // Both ROIs run from the image-left corner to the image-right corner, so "angle" is the eye line's.
  return [roi(RIGHT_EYE_OUTER, RIGHT_EYE_INNER), roi(LEFT_EYE_INNER, LEFT_EYE_OUTER)];
}

/** Which eye the Iris model sees mirrored (it was trained on one eye). Chosen by measurement, see docs. */
export const IRIS_FLIP: [boolean, boolean] = [false, true];

export interface IrisResult {
  /** 10 points: right iris (centre + 4) then left iris, image pixels, z on the mesh's scale. */
  iris: Vec3[];
  /** 71 eye-contour points per eye from the Iris model, image pixels. */
  contours: [Vec3[], Vec3[]];
}

/** Run Iris on both eyes (one batch of 2). */
export async function runIris(runtime: ModelRuntime, img: RgbImage, points: Vec3[], flip = IRIS_FLIP): Promise<IrisResult> {
  const rois = eyeRois(points);
  const per = IRIS_INPUT * IRIS_INPUT * 3;
  const input = runtime.buffers.acquire(per * 2);
  rois.forEach((roi, k) => warpToTensor(img, roiToImage(roi, IRIS_INPUT, flip[k]), IRIS_INPUT, { scale: 1 / 255, offset: 0 }, input, k * per));
  let out: Float32Array;
  try {
    out = (await runtime.run('iris', input, [2, IRIS_INPUT, IRIS_INPUT, 3])).Identity.data;
  } finally {
    runtime.buffers.release(input);
  }
  const iris: Vec3[] = [];
  const contours: [Vec3[], Vec3[]] = [[], []];
  for (let k = 0; k < 2; k++) {
    const roi = rois[k];
    const m = roiToImage(roi, IRIS_INPUT, flip[k]);
    const s = roi.size / IRIS_INPUT;
    const base = k * 228;
    const corners = k === 0 ? [RIGHT_EYE_OUTER, RIGHT_EYE_INNER] : [LEFT_EYE_INNER, LEFT_EYE_OUTER];
    // Iris depth is relative to its own crop; anchor it to the mesh depth of the eye corners.
    let contourZ = 0;
    for (let i = 0; i < 71; i++) contourZ += out[base + i * 3 + 2];
    contourZ /= 71;
    const eyeZ = (points[corners[0]][2] + points[corners[1]][2]) / 2;
    for (let i = 0; i < 71; i++) contours[k].push(irisPoint(out, base + i * 3, m, eyeZ, contourZ, s));
    for (let i = 0; i < 5; i++) iris.push(irisPoint(out, base + 213 + i * 3, m, eyeZ, contourZ, s));
  }
  return { iris, contours };
}

/**
 * Iris model output point at offset o → image x/y, and its depth anchored to the eye corners' mesh depth.
 * Module-level rather than a closure in the per-photo code: V8 drops a dead closure's optimised code at the
 * next full GC and recompiles it.
 */
function irisPoint(out: Float32Array, o: number, toImage: Affine, eyeZ: number, contourZ: number, s: number): Vec3 {
  const [x, y] = applyAffine(toImage, out[o], out[o + 1]);
  return [x, y, eyeZ + (out[o + 2] - contourZ) * s];
}

/** Mesh indices of the first 16 Iris eye-contour points (lower lid outer→inner corner, then upper lid), per eye. */
export const IRIS_CONTOUR_TO_MESH: [number[], number[]] = [
  [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173],
  [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398],
];

/** Move the mesh's eyelid points to the Iris model's eye contour (image x/y; mesh depth kept), as MediaPipe's refined mesh does. */
export function refineEyelids(points: Vec3[], contours: IrisResult['contours']): void {
  for (let e = 0; e < 2; e++) {
    IRIS_CONTOUR_TO_MESH[e].forEach((m, i) => {
      points[m] = [contours[e][i][0], contours[e][i][1], points[m][2]];
    });
  }
}
