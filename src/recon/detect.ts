// Face detection with BlazeFace (the 256×256 "back camera" variant that @vladmandic/human ships).
// Facts from MediaPipe's face_detection graph for this model (checked against its calculator options):
// input RGB in [−1, 1], letterboxed (aspect kept, padded); SSD anchors with strides 16, 32, 32, 32 and
// 2 anchors per layer at fixed size, same-stride layers merged → a 16×16×2 grid then an 8×8×6 grid
// (896 anchors); each regressor row is [dx, dy, w, h, 6 × (kx, ky)] in input pixels relative to the anchor
// centre; scores are logits; weighted non-maximum suppression at IoU 0.3.
import type { Affine } from './geometry.js';
import { applyAffine } from './geometry.js';
import type { ModelRuntime } from './models/runtime.js';
import type { Detection, RgbImage, Vec2 } from './types.js';
import { warpToTensor } from './warp.js';

export const DETECT_INPUT = 256;

export interface DetectOptions {
  /** Minimum detection score (0–1). */
  minScore?: number;
  /** IoU above which detections are merged. */
  iouThreshold?: number;
  /** At most this many faces. */
  maxFaces?: number;
}

export const DETECT_DEFAULTS: Required<DetectOptions> = { minScore: 0.5, iouThreshold: 0.3, maxFaces: 20 };

interface Anchor {
  x: number;
  y: number;
}

let anchorCache: Anchor[] | undefined;

/** Anchor centres in input pixels, in the model's output order. */
export function anchors(): Anchor[] {
  if (anchorCache) return anchorCache;
  const out: Anchor[] = [];
  for (const [stride, perCell] of [
    [16, 2],
    [32, 6],
  ] as const) {
    const n = DETECT_INPUT / stride;
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++) for (let k = 0; k < perCell; k++) out.push({ x: (x + 0.5) * stride, y: (y + 0.5) * stride });
  }
  anchorCache = out;
  return out;
}

/** The letterbox map from detector input pixels to image pixels (image centred, aspect kept). */
export function letterbox(width: number, height: number): Affine {
  const s = Math.max(width, height) / DETECT_INPUT;
  return [s, 0, (width - DETECT_INPUT * s) / 2, 0, s, (height - DETECT_INPUT * s) / 2];
}

interface RawDetection {
  box: [number, number, number, number]; // x0, y0, x1, y1 in input pixels
  score: number;
  keypoints: Vec2[];
}

export async function detectFaces(runtime: ModelRuntime, img: RgbImage, options: DetectOptions = {}): Promise<Detection[]> {
  const opts = { ...DETECT_DEFAULTS, ...options };
  const toImage = letterbox(img.width, img.height);
  const input = warpToTensor(img, toImage, DETECT_INPUT, { scale: 1 / 127.5, offset: -1 }, runtime.buffers.acquire(DETECT_INPUT * DETECT_INPUT * 3));
  let out;
  try {
    out = await runtime.run('blazeface', input, [1, DETECT_INPUT, DETECT_INPUT, 3]);
  } finally {
    runtime.buffers.release(input);
  }
  // Output names follow the TF graph: Identity/Identity_2 = 16×16 grid scores/boxes, Identity_1/Identity_3 = 8×8 grid.
  const scores = concat(out.Identity.data, out.Identity_1.data);
  const boxes = concat(out.Identity_2.data, out.Identity_3.data);
  const raw = decodeDetections(scores, boxes, opts.minScore);
  const merged = weightedNms(raw, opts.iouThreshold).slice(0, opts.maxFaces);
  return merged
    .map((d) => toImageSpace(d, toImage, img.width, img.height))
    .sort((p, q) => q.box[2] * q.box[3] - p.box[2] * p.box[3]);
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const r = new Float32Array(a.length + b.length);
  r.set(a);
  r.set(b, a.length);
  return r;
}

export function decodeDetections(scores: Float32Array, boxes: Float32Array, minScore: number): RawDetection[] {
  const list = anchors();
  const logit = Math.log(minScore / (1 - minScore));
  const out: RawDetection[] = [];
  for (let i = 0; i < list.length; i++) {
    const s = scores[i];
    if (s < logit) continue;
    const a = list[i];
    const r = i * 16;
    const cx = boxes[r] + a.x;
    const cy = boxes[r + 1] + a.y;
    const w = boxes[r + 2];
    const h = boxes[r + 3];
    if (!(w > 0 && h > 0)) continue;
    const keypoints: Vec2[] = [];
    for (let k = 0; k < 6; k++) keypoints.push([boxes[r + 4 + 2 * k] + a.x, boxes[r + 5 + 2 * k] + a.y]);
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score: 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, s)))), keypoints });
  }
  return out;
}

function iou(a: RawDetection['box'], b: RawDetection['box']): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** MediaPipe's weighted NMS: overlapping candidates are averaged, weighted by score, instead of dropped. */
export function weightedNms(dets: RawDetection[], threshold: number): RawDetection[] {
  const rest = [...dets].sort((a, b) => b.score - a.score);
  const out: RawDetection[] = [];
  while (rest.length) {
    const top = rest[0];
    const group: RawDetection[] = [];
    const keep: RawDetection[] = [];
    for (const d of rest) (iou(top.box, d.box) > threshold ? group : keep).push(d);
    if (!group.length) group.push(top);
    const total = group.reduce((n, d) => n + d.score, 0);
    const box: RawDetection['box'] = [0, 0, 0, 0];
    const keypoints: Vec2[] = top.keypoints.map(() => [0, 0]);
    for (const d of group) {
      const w = d.score / total;
      for (let k = 0; k < 4; k++) box[k] += d.box[k] * w;
      d.keypoints.forEach((p, k) => {
        keypoints[k][0] += p[0] * w;
        keypoints[k][1] += p[1] * w;
      });
    }
    out.push({ box, score: top.score, keypoints });
    rest.length = 0;
    rest.push(...keep.filter((d) => d !== top));
  }
  return out;
}

function toImageSpace(d: RawDetection, m: Affine, width: number, height: number): Detection {
  const [x0, y0] = applyAffine(m, d.box[0], d.box[1]);
  const [x1, y1] = applyAffine(m, d.box[2], d.box[3]);
  // Boxes of faces cut by the frame edge are clipped to the image.
  const cx0 = Math.max(0, x0);
  const cy0 = Math.max(0, y0);
  const cx1 = Math.min(width, x1);
  const cy1 = Math.min(height, y1);
  return {
    box: [cx0, cy0, Math.max(0, cx1 - cx0), Math.max(0, cy1 - cy0)],
    score: d.score,
    keypoints: d.keypoints.map((p) => applyAffine(m, p[0], p[1])),
  };
}
