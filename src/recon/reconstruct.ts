// The engine's one entry point: bytes → image → faces → dense 3-D points and pose. The CLI, the daemon's
// workers and the tests all call this; each stage is timed and the timings are part of the result.
import { createRequire } from 'node:module';
import { decodeImage, DEFAULT_MAX_PIXELS } from './decode.js';
import { detectFaces, DETECT_DEFAULTS } from './detect.js';
import { ErrorCodes, invalidOption, ReconError, throwIfAborted } from './errors.js';
import { FACE_CHECK, isFace } from './face-verify.js';
import { fitHead, type HeadFit } from './head-fit.js';
import { completeHiddenSide } from './hidden-side.js';
import { landmarks68From } from './landmarks68.js';
import { refineEyelids, roiFromDetection, roiFromMesh, runIris, runMesh, runMeshFused, type MeshPass } from './landmarks.js';
import { ModelRuntime, type RuntimeOptions } from './models/runtime.js';
import { estimatePose } from './pose.js';
import { tuneProcessForEngine } from './process-tuning.js';
import type { Roi } from './geometry.js';
import type { DecodedImage, Detection, FaceResult, Vec3 } from './types.js';

export interface ReconstructOptions {
  /** Which faces get dense points: the largest (default), all, or one index into the size-sorted list. */
  faces?: 'largest' | 'all' | number;
  /** Minimum BlazeFace score (0–1), default 0.5. */
  minDetectionScore?: number;
  /**
   * Detections whose FaceMesh face presence (mean of the direct and mirrored refining passes) is below this
   * (0–1) are not faces (cats, patterns, objects), default 0.5; see face-verify.ts for the full rule.
   */
  minPresence?: number;
  /** Decoded-pixel limit, default 50 000 000. */
  maxPixels?: number;
  /** Second FaceMesh pass cropped from the first mesh, on the crop and its mirror image (default true). */
  refine?: boolean;
  /** Complete the hidden side of faces turned past 25° from the seen side, and correct their yaw (default true). */
  completeHidden?: boolean;
  /** Iris refinement (478 points; default true). Without it `points` has 468 entries. */
  iris?: boolean;
  signal?: AbortSignal;
  /** Called as each stage ends, with the share of the engine's work done so far (0–1). */
  onProgress?: (p: StageProgress) => void;
}

export interface StageProgress {
  stage: 'decode' | 'detect' | 'landmarks' | 'pose';
  fraction: number;
}

export interface StageTimings {
  decode: number;
  detect: number;
  landmarks: number;
  pose: number;
  total: number;
  [stage: string]: number;
}

export interface ReconstructResult {
  image: {
    width: number;
    height: number;
    format: string;
    orientation: number;
  };
  /** Every face found, largest box first. */
  faces: FaceResult[];
  /** Indices into `faces` of the faces that carry points, landmarks68 and pose. */
  reconstructed: number[];
  timings: StageTimings;
  versions: Record<string, string>;
}

export const DEFAULT_MIN_PRESENCE = FACE_CHECK.minPresence;
/** First-pass presence below which a detection is dropped without the (costlier) refining passes. */
const PREFILTER_PRESENCE = 0.2;

const PACKAGE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface Engine {
  reconstruct(input: string | Uint8Array, options?: ReconstructOptions): Promise<ReconstructResult & { decoded: DecodedImage }>;
  readonly runtime: ModelRuntime;
  dispose(): Promise<void>;
}

/** Load the models once; reuse the engine for every photo. */
export async function createEngine(options: RuntimeOptions = {}): Promise<Engine> {
  tuneProcessForEngine();
  const runtime = await ModelRuntime.load(options);
  return {
    runtime,
    reconstruct: (input, opts) => runPipeline(runtime, input, opts ?? {}),
    dispose: () => runtime.dispose(),
  };
}

let defaultEngine: Promise<Engine> | undefined;

/** Reconstruct with a process-wide engine created on first use. */
export async function reconstruct(input: string | Uint8Array, options: ReconstructOptions = {}): Promise<ReconstructResult> {
  defaultEngine ??= createEngine();
  const { decoded: _decoded, ...result } = await (await defaultEngine).reconstruct(input, options);
  return result;
}

function validate(o: ReconstructOptions): void {
  const f = o.faces;
  if (f !== undefined && f !== 'largest' && f !== 'all' && !(Number.isInteger(f) && (f as number) >= 0)) {
    throw invalidOption('faces', '"largest", "all" or a face index ≥ 0', f);
  }
  for (const key of ['minDetectionScore', 'minPresence'] as const) {
    const v = o[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) throw invalidOption(key, 'a number 0–1', v);
  }
}

async function runPipeline(
  runtime: ModelRuntime,
  input: string | Uint8Array,
  options: ReconstructOptions,
): Promise<ReconstructResult & { decoded: DecodedImage }> {
  validate(options);
  const { signal } = options;
  const timings: StageTimings = { decode: 0, detect: 0, landmarks: 0, pose: 0, total: 0 };
  const t0 = performance.now();
  throwIfAborted(signal);

  const img = await decodeImage(input, { maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS });
  const t1 = performance.now();
  timings.decode = t1 - t0;
  options.onProgress?.({ stage: 'decode', fraction: 0.25 });
  throwIfAborted(signal);

  const detections = await detectFaces(runtime, img, { minScore: options.minDetectionScore ?? DETECT_DEFAULTS.minScore });
  // Every detection gets one FaceMesh pass (one batch) on its box, then, unless its presence is already
  // hopeless, the refining pass cropped from that mesh, on the crop and on its mirror image (one batch). The
  // refined presences and the agreement of the two views tell faces from face-like things (face-verify.ts);
  // BlazeFace alone confuses them (a cat's face scores 0.75 there).
  const firstPass = await runMesh(runtime, img, detections.map(roiFromDetection));
  const minPresence = options.minPresence ?? DEFAULT_MIN_PRESENCE;
  const refine = options.refine ?? true;
  const candidates: { d: Detection; pass: MeshPass }[] = [];
  for (let k = 0; k < detections.length; k++) {
    if (firstPass[k].presence >= Math.min(PREFILTER_PRESENCE, minPresence)) candidates.push({ d: detections[k], pass: firstPass[k] });
  }
  const kept: { d: Detection; pass: MeshPass }[] = [];
  if (refine) {
    const rois: Roi[] = [];
    for (const c of candidates) rois.push(roiFromMesh(c.pass.points));
    const fused = await runMeshFused(runtime, img, rois);
    for (let k = 0; k < candidates.length; k++) if (isFace(fused[k], candidates[k].d.box[2], minPresence)) kept.push({ d: candidates[k].d, pass: fused[k] });
  } else {
    for (const c of candidates) if (c.pass.presence >= minPresence) kept.push(c);
  }
  const t2 = performance.now();
  timings.detect = t2 - t1;
  options.onProgress?.({ stage: 'detect', fraction: 0.5 });
  throwIfAborted(signal);

  const faces: FaceResult[] = [];
  for (const { d, pass } of kept) faces.push({ ...d, presence: round3(pass.presence) });
  const want = options.faces ?? 'largest';
  let chosen: number[];
  if (want === 'all') chosen = faces.map((_, k) => k);
  else if (want === 'largest') chosen = faces.length ? [0] : [];
  else {
    if (want >= faces.length) {
      throw new ReconError(
        ErrorCodes.FACE_INDEX_OUT_OF_RANGE,
        `Face index ${want} was requested but the photo has ${faces.length} face${faces.length === 1 ? '' : 's'}`,
        faces.length ? `Use a face index from 0 to ${faces.length - 1} (0 is the largest face).` : 'Use a photo with a visible face.',
        { faces: faces.length },
      );
    }
    chosen = [want];
  }

  const points: Vec3[][] = [];
  const fits: HeadFit[] = [];
  for (let c = 0; c < chosen.length; c++) {
    throwIfAborted(signal);
    let pts = kept[chosen[c]].pass.points.slice();
    if (options.iris ?? true) {
      const eyes = await runIris(runtime, img, pts);
      refineEyelids(pts, eyes.contours);
      pts.push(...eyes.iris);
    }
    let fit = fitHead(pts);
    if (options.completeHidden ?? true) {
      const completed = completeHiddenSide(pts, fit);
      if (completed !== pts) {
        pts = completed;
        fit = fitHead(pts);
      }
    }
    points.push(pts);
    fits.push(fit);
  }
  const t3 = performance.now();
  timings.landmarks = t3 - t2;
  options.onProgress?.({ stage: 'landmarks', fraction: 0.9 });

  for (let c = 0; c < chosen.length; c++) {
    const k = chosen[c];
    const pose = estimatePose(points[c]);
    faces[k].points = roundPoints3(points[c]);
    faces[k].pose = pose;
    faces[k].landmarks68 = roundPoints2(landmarks68From(points[c], { yawDeg: pose.yaw, head: fits[c] }));
  }
  const t4 = performance.now();
  timings.pose = t4 - t3;
  timings.total = t4 - t0;
  options.onProgress?.({ stage: 'pose', fraction: 1 });
  for (const k of Object.keys(timings)) timings[k] = Math.round(timings[k] * 100) / 100;

  return {
    image: { width: img.width, height: img.height, format: img.format, orientation: img.orientation },
    faces,
    reconstructed: chosen,
    timings,
    versions: { 'recon-daemon': PACKAGE_VERSION, ...runtime.versions() },
    decoded: img,
  };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

// Plain loops, not callbacks written inline: an inline arrow is a new function per photo, and V8 recompiles
// such a function after each full GC (docs/benchmarks.md, "A closer look").
function roundPoints3(ps: ReadonlyArray<Vec3>): Vec3[] {
  const out: Vec3[] = new Array(ps.length);
  for (let i = 0; i < ps.length; i++) out[i] = [round2(ps[i][0]), round2(ps[i][1]), round2(ps[i][2])];
  return out;
}

function roundPoints2(ps: ReadonlyArray<readonly [number, number]>): [number, number][] {
  const out: [number, number][] = new Array(ps.length);
  for (let i = 0; i < ps.length; i++) out[i] = [round2(ps[i][0]), round2(ps[i][1])];
  return out;
}
