// One manifest line per input file, and what it is made from: the summary of each face folder a runner wrote
// (read from its result.json, the same file whoever wrote it), the batch's filters, and the layout's paths.
// Plain data only; no I/O except reading a result.json.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Verdict } from '../recon/quality.js';
import { verdictAtLeast, type BatchOptions } from './options.js';

export interface Pose {
  yaw: number;
  pitch: number;
  roll: number;
}

export interface FaceSize {
  /** Detection box in source pixels (after EXIF orientation). */
  width: number;
  height: number;
  /** Distance between the pupils in source pixels (the LOW_RESOLUTION measure). */
  ipd: number | null;
}

export interface ErrorInfo {
  code: string;
  message: string;
  hint: string;
}

/** What one face folder holds, read from its result.json. */
export interface FaceSummary {
  /** Index of the face in the photo (0 = largest). */
  face: number;
  verdict: Verdict | null;
  /** Codes of the checks that warned or failed. */
  codes: string[];
  pose: Pose | null;
  faceSize: FaceSize | null;
  /** Output kind → file name inside the folder (result.json's `outputs`). */
  files: Record<string, string>;
}

/** What a runner reports for one photo. Folder i of the task's folder holds perFace[i]. */
export interface PhotoOutcome {
  /** Faces found in the photo (null when it could not be read). */
  faces: number | null;
  image: { width: number; height: number; format: string } | null;
  /** Engine and output stage timings of the first face, ms. */
  timings: Record<string, number>;
  perFace: FaceSummary[];
  error?: ErrorInfo;
  /** Wall time the runner spent on the photo, ms. */
  ms: number;
}

export type Status = 'ok' | 'warned' | 'failed' | 'filtered';

export interface FaceRecord {
  face: number;
  status: Status;
  verdict: Verdict | null;
  codes: string[];
  pose: Pose | null;
  faceSize: FaceSize | null;
  filteredBy?: string[];
  outputs: Record<string, string>;
}

/** One line of manifest.jsonl. Top-level face fields describe the largest face (face 0). */
export interface ManifestRecord {
  /** Path relative to the input root, "/" separators. */
  source: string;
  sha256: string | null;
  status: Status;
  verdict: Verdict | null;
  codes: string[];
  /** Faces found. */
  faces: number | null;
  pose: Pose | null;
  faceSize: FaceSize | null;
  /** ms per stage (decode, detect, landmarks, pose, render, mesh, overlay, outputs, total) plus `batch`: the photo's wall time in the runner. */
  timings: Record<string, number>;
  /** Output kind → path relative to the output folder. */
  outputs: Record<string, string>;
  /** Why the photo's images were not kept: `min-verdict`, `max-yaw`. */
  filteredBy?: string[];
  /** `--faces all`: every other face, each like the top-level fields. */
  extraFaces?: FaceRecord[];
  error?: ErrorInfo;
}

const r1 = (v: number): number => Math.round(v * 10) / 10;

/** Summarise a result.json (a success or a failure body). */
export function summariseResult(json: Record<string, unknown>, fallbackFace = 0): FaceSummary & { faces: number | null; image: PhotoOutcome['image']; timings: Record<string, number>; error?: ErrorInfo } {
  const faces = (json.faces as Array<{ box?: number[]; pose?: Pose }> | undefined) ?? undefined;
  const quality = json.quality as { verdict?: Verdict; checks?: Array<{ code: string; severity: string; value: number | null }> } | undefined;
  const faceIndex = typeof json.reconstructedFace === 'number' ? json.reconstructedFace : fallbackFace;
  const face = faces?.[faceIndex];
  const checks = quality?.checks ?? [];
  const error = json.error as ErrorInfo | undefined;
  const codes = checks.filter((c) => c.severity === 'warn' || c.severity === 'fail').map((c) => c.code);
  if (error && !codes.includes(error.code)) codes.unshift(error.code);
  const ipd = checks.find((c) => c.code === 'LOW_RESOLUTION')?.value ?? null;
  const image = json.image as { width: number; height: number; format: string } | undefined;
  return {
    face: faceIndex,
    verdict: quality?.verdict ?? (error ? 'fail' : null),
    codes,
    pose: face?.pose ? { yaw: face.pose.yaw, pitch: face.pose.pitch, roll: face.pose.roll } : null,
    faceSize: face?.box ? { width: r1(face.box[2]), height: r1(face.box[3]), ipd: ipd === null ? null : r1(ipd) } : null,
    files: (json.outputs as Record<string, string> | undefined) ?? {},
    faces: faces ? faces.length : error ? (error.code === 'NO_FACE' ? 0 : null) : null,
    image: image ? { width: image.width, height: image.height, format: image.format } : null,
    timings: (json.timings as Record<string, number> | undefined) ?? {},
    ...(error ? { error: { code: error.code, message: error.message, hint: error.hint } } : {}),
  };
}

/** Read and summarise `<dir>/result.json`; undefined when there is none. */
export async function summariseFolder(dir: string, fallbackFace = 0): Promise<ReturnType<typeof summariseResult> | undefined> {
  try {
    return summariseResult(JSON.parse(await fs.readFile(path.join(dir, 'result.json'), 'utf8')) as Record<string, unknown>, fallbackFace);
  } catch {
    return undefined;
  }
}

/** Engine errors worth another try on the next run (the photo itself was not judged). */
export const RETRY_CODES: ReadonlySet<string> = new Set(['INTERNAL_ERROR', 'MODEL_UNAVAILABLE', 'FILE_NOT_FOUND', 'CANCELLED', 'REQUEST_CANCELLED']);

/** Kinds kept for a photo that is filtered out or failed: the explanation and the overlay, never maps or meshes. */
const KEPT_WHEN_DROPPED = new Set(['result', 'overlay']);

export interface Placed {
  record: ManifestRecord;
  /** [folder index in the task folder, file name inside it, destination relative to the output folder]. */
  moves: Array<[number, string, string]>;
}

/**
 * Turn a runner's outcome into the manifest line and the file moves that commit it: filters decide which
 * faces keep their images, `place` says where each kept file goes.
 */
export function buildRecord(
  source: string,
  sha256: string | null,
  outcome: PhotoOutcome,
  o: BatchOptions,
  place: (face: number, kind: string, file: string) => string,
): Placed {
  const moves: Placed['moves'] = [];
  const faces: FaceRecord[] = outcome.perFace.map((f, i) => {
    const filteredBy: string[] = [];
    const failed = Boolean(outcome.error) || f.verdict === 'fail';
    if (!failed && f.verdict && !verdictAtLeast(f.verdict, o.minVerdict)) filteredBy.push('min-verdict');
    if (!failed && o.maxYaw !== undefined && f.pose && Math.abs(f.pose.yaw) > o.maxYaw) filteredBy.push('max-yaw');
    const status: Status = failed ? 'failed' : filteredBy.length ? 'filtered' : f.verdict === 'warn' ? 'warned' : 'ok';
    const outputs: Record<string, string> = {};
    for (const [kind, file] of Object.entries(f.files)) {
      if (filteredBy.length && !KEPT_WHEN_DROPPED.has(kind)) continue;
      const dest = place(f.face, kind, file);
      outputs[kind] = dest;
      moves.push([i, file, dest]);
    }
    return {
      face: f.face,
      status,
      verdict: f.verdict,
      codes: f.codes,
      pose: f.pose,
      faceSize: f.faceSize,
      ...(filteredBy.length ? { filteredBy } : {}),
      outputs,
    };
  });
  const first = faces[0];
  const codes = first ? [...first.codes] : [];
  if (outcome.error && !codes.includes(outcome.error.code)) codes.unshift(outcome.error.code);
  const record: ManifestRecord = {
    source,
    sha256,
    status: outcome.error ? 'failed' : (first?.status ?? 'failed'),
    verdict: first?.verdict ?? (outcome.error ? 'fail' : null),
    codes,
    faces: outcome.faces,
    pose: first?.pose ?? null,
    faceSize: first?.faceSize ?? null,
    timings: { ...outcome.timings, batch: Math.round(outcome.ms) },
    outputs: first?.outputs ?? {},
    ...(first?.filteredBy ? { filteredBy: first.filteredBy } : {}),
    ...(o.faces === 'all' && faces.length > 1 ? { extraFaces: faces.slice(1) } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
  };
  // result.json files last: a face folder with a result.json is complete.
  moves.sort((a, b) => Number(a[1] === 'result.json') - Number(b[1] === 'result.json'));
  return { record, moves };
}

/** A manifest line for a file that could not even be read (hashing failed). */
export function unreadableRecord(source: string, error: ErrorInfo): ManifestRecord {
  return {
    source,
    sha256: null,
    status: 'failed',
    verdict: 'fail',
    codes: [error.code],
    faces: null,
    pose: null,
    faceSize: null,
    timings: {},
    outputs: {},
    error,
  };
}

/** Every output path a record names (all faces). */
export function recordFiles(r: ManifestRecord): string[] {
  return [...Object.values(r.outputs), ...(r.extraFaces ?? []).flatMap((f) => Object.values(f.outputs))];
}
