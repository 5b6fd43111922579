// The parts of `npm run eval` beyond landmark error against ground truth (scripts/eval.ts runs them):
// - mirror consistency: the landmarks of a photo against the mirrored landmarks of its mirror image, a
//   pseudo ground truth that needs no labels (an engine that sees a face the same way turned left or right
//   agrees with itself; the disagreement grows where it guesses);
// - no-face photos: public-domain / CC0 photos and drawings without a human face (test/fixtures/no-face/,
//   sources and licences in its README) must give no face;
// - hard conditions: the annotated faces made dark, foggy, blurred, noisy, or partly covered, must still be
//   found (synthetic, from ../shared/faces/landmarks; nothing is written to disk).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { MIRROR_68 } from '../src/recon/landmarks68.js';
import { centreInside, iou, nmeBox, type Box } from '../src/recon/metrics.js';
import type { FaceResult, Vec2 } from '../src/recon/types.js';

export type RunEngine = (input: string | Uint8Array) => Promise<{ faces: FaceResult[]; ms: number; error?: string }>;

/** Pose bins of the accuracy tables (degrees; a face falls in the first bin that holds it). */
export const YAW_BINS: ReadonlyArray<readonly [string, number, number]> = [
  ['|yaw| 0–15°', 0, 15],
  ['|yaw| 15–30°', 15, 30],
  ['|yaw| 30–45°', 30, 45],
  ['|yaw| 45°+', 45, 181],
];
export const PITCH_BIN_DEG = 25;

export function overlaps(a: Box, b: Box): boolean {
  return iou(a, b) >= 0.3 || (centreInside(a, b) && centreInside(b, a));
}

/** Mirror a photo left-right. */
export async function mirroredPhoto(file: string): Promise<{ data: Uint8Array; width: number }> {
  const img = sharp(file).rotate();
  const { width } = await img.metadata();
  const data = await img.flop().png().toBuffer();
  // `rotate()` applied EXIF orientation; the landmark photos have none, so width is the stored width.
  return { data, width: width ?? 0 };
}

/** Landmarks of the mirror image mapped back onto the photo: x → W − x, and each point renamed (MIRROR_68). */
export function unmirror68(points: ReadonlyArray<Vec2>, width: number): Vec2[] {
  const out: Vec2[] = new Array(68);
  for (let k = 0; k < 68; k++) {
    const p = points[MIRROR_68[k]];
    out[k] = [width - p[0], p[1]];
  }
  return out;
}

/** Box-normalised disagreement between a face's landmarks and the unmirrored landmarks of the same face in the mirror image. */
export function mirrorDisagreement(direct: ReadonlyArray<Vec2>, mirroredBack: ReadonlyArray<Vec2>, box: Box): number {
  return nmeBox(mirroredBack, direct, box);
}

export interface NoFaceRecord {
  file: string;
  detections: number;
  ms: number;
  error?: string;
}

export const NO_FACE_DIR = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'no-face');

export function noFacePhotos(): string[] {
  return fs
    .readdirSync(NO_FACE_DIR)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()
    .map((f) => path.join(NO_FACE_DIR, f));
}

export async function runNoFace(run: RunEngine): Promise<NoFaceRecord[]> {
  const out: NoFaceRecord[] = [];
  for (const file of noFacePhotos()) {
    const r = await run(file);
    out.push({ file: path.basename(file), detections: r.faces.length, ms: r.ms, ...(r.error ? { error: r.error } : {}) });
  }
  return out;
}

/** Synthetic hard conditions, applied to a whole photo; `box` is the primary face's ground-truth box. */
export const HARD_CONDITIONS: ReadonlyArray<readonly [string, (img: sharp.Sharp, w: number, h: number, box: Box) => Promise<Buffer>]> = [
  ['dark (×0.18)', (img) => img.linear(0.18, 0).png().toBuffer()],
  ['fog (×0.35 + 150)', (img) => img.linear(0.35, 150).png().toBuffer()],
  ['blur (σ 3 px)', (img) => img.blur(3).png().toBuffer()],
  ['noise (±45)', (img) => noisy(img)],
  ['eyes covered (black bar)', (img, w, h, b) => cover(img, w, h, [b[0] - b[2] * 0.05, b[1] + b[3] * 0.18, b[2] * 1.1, b[3] * 0.2], 'black')],
  ['mouth covered (mask)', (img, w, h, b) => cover(img, w, h, [b[0] - b[2] * 0.05, b[1] + b[3] * 0.55, b[2] * 1.1, b[3] * 0.5], '#4060a0')],
];

async function noisy(img: sharp.Sharp): Promise<Buffer> {
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  let s = 1; // a fixed pseudo-random sequence (Park–Miller), so every run sees the same noise
  for (let k = 0; k < data.length; k++) {
    s = (s * 16807) % 2147483647;
    data[k] = Math.max(0, Math.min(255, Math.round(data[k] + (s / 2147483647 - 0.5) * 90)));
  }
  return sharp(data, { raw: info }).png().toBuffer();
}

function cover(img: sharp.Sharp, w: number, h: number, r: readonly number[], fill: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect x="${r[0]}" y="${r[1]}" width="${r[2]}" height="${r[3]}" fill="${fill}"/></svg>`;
  return img.composite([{ input: Buffer.from(svg) }]).png().toBuffer();
}

export interface HardRecord {
  condition: string;
  annotated: number;
  found: number;
}

/** Found = a detection overlaps the annotated face (the eval's matching rule). */
export async function runHardConditions(run: RunEngine, photos: ReadonlyArray<{ file: string; boxes: Box[]; primary: Box }>): Promise<HardRecord[]> {
  const out: HardRecord[] = [];
  for (const [condition, make] of HARD_CONDITIONS) {
    let annotated = 0;
    let found = 0;
    for (const p of photos) {
      const meta = await sharp(p.file).metadata();
      const data = await make(sharp(p.file), meta.width ?? 0, meta.height ?? 0, p.primary);
      const r = await run(data);
      for (const b of p.boxes) {
        annotated++;
        if (r.faces.some((f) => overlaps(b, f.box))) found++;
      }
    }
    out.push({ condition, annotated, found });
  }
  return out;
}
