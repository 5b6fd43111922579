// result.json: the documented contract (docs/result-format.md). Plain data only; version it when it changes.
import path from 'node:path';
import type { ReconstructResult } from './reconstruct.js';
import type { QualityReport } from './quality.js';
import { KEYPOINT_NAMES, type FaceResult, type Vec2 } from './types.js';

export const RESULT_SCHEMA = 'recon-daemon/result@1';

export interface ResultJsonFace {
  box: [number, number, number, number];
  score: number;
  presence: number;
  keypoints: Record<(typeof KEYPOINT_NAMES)[number], Vec2>;
  points?: FaceResult['points'];
  landmarks68?: FaceResult['landmarks68'];
  pose?: FaceResult['pose'];
}

export interface ResultJson {
  schema: typeof RESULT_SCHEMA;
  source: string;
  image: ReconstructResult['image'];
  faces: ResultJsonFace[];
  reconstructed: number[];
  timings: ReconstructResult['timings'];
  versions: ReconstructResult['versions'];
  /** Index into `faces` of the face the images and mesh were made from. */
  reconstructedFace?: number;
  /** The canonical frame: `matrix` maps image pixels to crop pixels (row-major 2×3). */
  alignment?: { size: number; matrix: number[]; metresPerPixel: number };
  quality?: QualityReport;
  /** The head frame (docs/outputs.md, "The front view"): the pose it undoes, its centre, rotation and scale. */
  headFrame?: {
    pose?: FaceResult['pose'];
    centre: number[];
    rotation: number[];
    scale: number;
    size: number;
    metresPerPixel: number;
    cameraToHead: number[];
    completed: number;
  };
  /** How depth.png values map to mesh-space metres (docs/outputs.md). */
  depthScale?: unknown;
  /** How front-depth.png values map to head-frame metres. */
  frontDepthScale?: unknown;
  /** How much of the front view's face the photo saw: shares of its area by where the detail comes from. */
  frontView?: { seen: { seen: number; mirrored: number; inpainted: number } };
  /** The exported mesh: units, view, frame, counts, eyes, pose, texture. */
  mesh?: Record<string, unknown>;
  /** overlay.png shows the photo region [x, y, w, h] (image pixels) scaled by `scale`. */
  overlay?: { region: [number, number, number, number]; scale: number };
  /** Output kind → file name in the photo's folder. */
  outputs?: Record<string, string>;
  /** Output kind → the frame its file is in: camera, front, uv or photo (docs/result-format.md). */
  frames?: Record<string, string>;
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

export function toResultJson(source: string, r: ReconstructResult): ResultJson {
  return {
    schema: RESULT_SCHEMA,
    source: path.basename(source),
    image: r.image,
    faces: r.faces.map((f) => ({
      box: f.box.map(r2) as ResultJsonFace['box'],
      score: Math.round(f.score * 1e4) / 1e4,
      presence: Math.round(f.presence * 1e4) / 1e4,
      keypoints: Object.fromEntries(KEYPOINT_NAMES.map((n, k) => [n, f.keypoints[k].map(r2)])) as ResultJsonFace['keypoints'],
      ...(f.points ? { points: f.points, landmarks68: f.landmarks68, pose: f.pose } : {}),
    })),
    reconstructed: r.reconstructed,
    timings: r.timings,
    versions: r.versions,
  };
}
