// The quality verdict (architecture note §6): each check measures one thing, compares it with a threshold
// and says, in words a modeller understands, what was wrong and what to do. Thresholds live here, in one
// table, are documented in docs/quality.md with their reasoning, and can be overridden per call.
import { canonicalAlignment, eyeCentres, type Alignment } from './align.js';
import type { FaceResult, RgbImage, Vec2, Vec3 } from './types.js';
import { MIRROR_68 } from './landmarks68.js';
import { warpToTensor } from './warp.js';
import type { Affine } from './geometry.js';

export type Severity = 'info' | 'warn' | 'fail';
export type Verdict = 'pass' | 'warn' | 'fail';

export const QualityCodes = [
  'NO_FACE',
  'MULTIPLE_FACES',
  'LOW_CONFIDENCE',
  'POSE_TOO_LARGE',
  'LOW_RESOLUTION',
  'BLURRY',
  'UNDER_EXPOSED',
  'OVER_EXPOSED',
  'ASYMMETRIC',
  'IMAGE_TOO_LARGE',
  'IMAGE_DECODE_FAILED',
  'UNSUPPORTED_FORMAT',
] as const;
export type QualityCode = (typeof QualityCodes)[number];

export interface QualityCheck {
  code: QualityCode;
  severity: Severity;
  /** What was measured (unit in the message); null when the check could not be measured. */
  value: number | null;
  /** The limit the value was compared with (for warn/fail: the one it crossed). */
  threshold: number | null;
  message: string;
  hint: string;
}

export interface QualityReport {
  verdict: Verdict;
  checks: QualityCheck[];
}

/** Every threshold, with its default. `warn`/`fail` pairs: crossing `warn` warns, crossing `fail` fails. */
export interface QualityThresholds {
  /** FaceMesh face-presence probability below which the fit is doubtful. */
  minPresence: number;
  /** |yaw| in degrees (our estimate; see docs/quality.md on its scale). */
  yawWarn: number;
  yawFail: number;
  /** |pitch| in degrees. */
  pitchWarn: number;
  pitchFail: number;
  /** Pupil distance in source pixels (measured in 3-D, so it does not shrink as the head turns). */
  ipdWarn: number;
  ipdFail: number;
  /** Sharpness: variance of the Laplacian over variance of the grey level, face region, 128-px canonical crop. */
  sharpnessWarn: number;
  sharpnessFail: number;
  /** Mean face luminance (0–255). */
  minLuminance: number;
  maxLuminance: number;
  /** Share of face pixels at or above 250 (clipped highlights). */
  maxClipped: number;
  /** Mean mirror-pair deviation of the 68 landmarks, in pupil distances, on faces with |yaw| below `asymmetryMaxYaw`. */
  asymmetryWarn: number;
  asymmetryMaxYaw: number;
}

export const DEFAULT_THRESHOLDS: QualityThresholds = {
  minPresence: 0.8,
  yawWarn: 30,
  yawFail: 75,
  pitchWarn: 25,
  pitchFail: 45,
  ipdWarn: 36,
  ipdFail: 12,
  sharpnessWarn: 0.06,
  sharpnessFail: 0.03,
  minLuminance: 45,
  maxLuminance: 215,
  maxClipped: 0.2,
  asymmetryWarn: 0.2,
  asymmetryMaxYaw: 10,
};

export function verdictOf(checks: QualityCheck[]): Verdict {
  if (checks.some((c) => c.severity === 'fail')) return 'fail';
  if (checks.some((c) => c.severity === 'warn')) return 'warn';
  return 'pass';
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/** A failure before any face was measured (no face, undecodable file…): one failing check. */
export function failureReport(code: QualityCode, message: string, hint: string): QualityReport {
  return { verdict: 'fail', checks: [{ code, severity: 'fail', value: null, threshold: null, message, hint }] };
}

export interface QualityInput {
  image: RgbImage;
  faces: FaceResult[];
  /** Index of the reconstructed face in `faces`. */
  face: number;
  /** True when the caller chose the face (no MULTIPLE_FACES warning then). */
  faceChosen: boolean;
}

export function assessQuality(input: QualityInput, overrides: Partial<QualityThresholds> = {}): QualityReport {
  const t = { ...DEFAULT_THRESHOLDS, ...overrides };
  const f = input.faces[input.face];
  const points = f.points!;
  const pose = f.pose!;
  const checks: QualityCheck[] = [];
  const ok = (code: QualityCode, value: number | null, threshold: number | null, message: string): void => {
    checks.push({ code, severity: 'info', value: value === null ? null : r3(value), threshold, message, hint: '' });
  };
  const bad = (code: QualityCode, severity: Severity, value: number | null, threshold: number | null, message: string, hint: string): void => {
    checks.push({ code, severity, value: value === null ? null : r3(value), threshold, message, hint });
  };

  const n = input.faces.length;
  if (n > 1) {
    if (input.faceChosen) ok('MULTIPLE_FACES', n, 1, `${n} faces found; face ${input.face} was reconstructed as asked`);
    else
      bad('MULTIPLE_FACES', 'warn', n, 1, `${n} faces found; the largest was reconstructed`, 'To reconstruct another one, pass its index (face / --face N; 0 is the largest).');
  } else ok('MULTIPLE_FACES', n, 1, 'one face found');

  if (f.presence < t.minPresence)
    bad('LOW_CONFIDENCE', 'warn', f.presence, t.minPresence, `The landmark model is unsure this is a face (presence ${f.presence.toFixed(2)})`, 'Use a clearer photo of the face: unobstructed, in focus, not heavily made up or masked.');
  else ok('LOW_CONFIDENCE', f.presence, t.minPresence, 'face presence is high');

  const yaw = Math.abs(pose.yaw);
  const pitch = Math.abs(pose.pitch);
  const poseSev: Severity = yaw > t.yawFail || pitch > t.pitchFail ? 'fail' : yaw > t.yawWarn || pitch > t.pitchWarn ? 'warn' : 'info';
  if (poseSev === 'info') ok('POSE_TOO_LARGE', Math.max(yaw, pitch), t.yawWarn, `head pose is within limits (yaw ${pose.yaw.toFixed(0)}°, pitch ${pose.pitch.toFixed(0)}°)`);
  else {
    const yawWorse = yaw / t.yawWarn >= pitch / t.pitchWarn;
    const limit = yawWorse ? (poseSev === 'fail' ? t.yawFail : t.yawWarn) : poseSev === 'fail' ? t.pitchFail : t.pitchWarn;
    const turned = `yaw ${pose.yaw.toFixed(0)}°, pitch ${pose.pitch.toFixed(0)}°`;
    bad(
      'POSE_TOO_LARGE',
      poseSev,
      yawWorse ? yaw : pitch,
      limit,
      poseSev === 'fail'
        ? `The head is turned too far to reconstruct reliably (${turned}; limit ${limit}°)`
        : `The head is turned (${turned}; above ${limit}°): the side the camera did not see is completed from the side it saw`,
      poseSev === 'fail'
        ? 'Use a photo where the person faces the camera more: beyond this angle most of the face is hidden and guessed.'
        : 'For the most faithful result use a photo where the person faces the camera; a three-quarter view works but its far side is mirrored.',
    );
  }

  const [re, le] = eyeCentres(points);
  // In 3-D (z is on the x/y pixel scale), so a turned face is not taken for a small one.
  const ipd = Math.hypot(le[0] - re[0], le[1] - re[1], le[2] - re[2]);
  if (ipd < t.ipdFail)
    bad('LOW_RESOLUTION', 'fail', ipd, t.ipdFail, `The face is too small: ${ipd.toFixed(0)} px between the pupils (minimum ${t.ipdFail})`, 'Use a photo where the face is larger: crop closer or use a higher-resolution original.');
  else if (ipd < t.ipdWarn)
    bad('LOW_RESOLUTION', 'warn', ipd, t.ipdWarn, `The face is small: ${ipd.toFixed(0)} px between the pupils (${t.ipdWarn} or more gives full detail)`, 'Outputs are upsampled and soft; use a higher-resolution photo for fine detail.');
  else ok('LOW_RESOLUTION', ipd, t.ipdWarn, `face resolution is good (${ipd.toFixed(0)} px between the pupils)`);

  const stats = faceRegionStats(input.image, points);
  if (ipd < t.ipdWarn) ok('BLURRY', null, t.sharpnessWarn, 'sharpness not judged: the face is too small to tell blur from low resolution');
  else if (stats.sharpness < t.sharpnessFail)
    bad('BLURRY', 'fail', stats.sharpness, t.sharpnessFail, `The face is very blurred (sharpness ${stats.sharpness.toFixed(3)}, minimum ${t.sharpnessFail})`, 'Use a sharp photo: hold the camera still, focus on the eyes, avoid motion blur.');
  else if (stats.sharpness < t.sharpnessWarn)
    bad('BLURRY', 'warn', stats.sharpness, t.sharpnessWarn, `The face looks blurred (sharpness ${stats.sharpness.toFixed(3)}, ${t.sharpnessWarn} or more is sharp)`, 'A sharper photo keeps fine detail (eyelids, lips) in the structure map.');
  else ok('BLURRY', stats.sharpness, t.sharpnessWarn, 'the face is sharp');

  if (stats.luminance < t.minLuminance)
    bad('UNDER_EXPOSED', 'warn', stats.luminance, t.minLuminance, `The face is too dark (mean level ${stats.luminance.toFixed(0)} of 255)`, 'Use a brighter photo or light the face evenly from the front.');
  else ok('UNDER_EXPOSED', stats.luminance, t.minLuminance, 'the face is bright enough');
  if (stats.luminance > t.maxLuminance || stats.clipped > t.maxClipped) {
    const byClip = stats.clipped > t.maxClipped;
    bad(
      'OVER_EXPOSED',
      'warn',
      byClip ? stats.clipped : stats.luminance,
      byClip ? t.maxClipped : t.maxLuminance,
      byClip ? `${(stats.clipped * 100).toFixed(0)} % of the face is blown out to white` : `The face is too bright (mean level ${stats.luminance.toFixed(0)} of 255)`,
      'Use a photo without flash glare or direct sun on the face.',
    );
  } else ok('OVER_EXPOSED', stats.luminance, t.maxLuminance, 'the face is not over-exposed');

  if (f.landmarks68 && yaw < t.asymmetryMaxYaw) {
    const a = asymmetry(f.landmarks68, points);
    if (a > t.asymmetryWarn)
      bad('ASYMMETRIC', 'warn', a, t.asymmetryWarn, `The face's landmarks are unusually asymmetric for a frontal face (${a.toFixed(2)} pupil distances)`, 'Check for occlusion (hair, hands, glasses), a strong expression, or a wrong fit in overlay.png.');
    else ok('ASYMMETRIC', a, t.asymmetryWarn, 'landmarks are symmetric');
  } else ok('ASYMMETRIC', null, t.asymmetryWarn, 'symmetry not judged on a turned face');

  return { verdict: verdictOf(checks), checks };
}

const STATS_SIZE = 128;

/** Sharpness and exposure over the face's central region (brows to mouth, outer eye corners across), measured on a 128-px canonical crop. */
export function faceRegionStats(image: RgbImage, points: ReadonlyArray<Vec3>): { sharpness: number; luminance: number; clipped: number } {
  const a: Alignment = canonicalAlignment(points, STATS_SIZE);
  const m = a.matrix;
  // Inverse of image→crop, for the warp (crop pixel → image pixel).
  const det = m[0] * m[4] - m[1] * m[3];
  const inv: Affine = [m[4] / det, -m[1] / det, 0, -m[3] / det, m[0] / det, 0];
  inv[2] = -(inv[0] * m[2] + inv[1] * m[5]);
  inv[5] = -(inv[3] * m[2] + inv[4] * m[5]);
  const rgb = warpToTensor(image, inv, STATS_SIZE, { scale: 1, offset: 0 });
  const grey = new Float32Array(STATS_SIZE * STATS_SIZE);
  for (let i = 0; i < grey.length; i++) grey[i] = 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
  // Region: the box of brows (105, 334), outer eye corners (33, 263) and lower lip (17) in the crop.
  const crop = (i: number): Vec2 => [m[0] * points[i][0] + m[1] * points[i][1] + m[2], m[3] * points[i][0] + m[4] * points[i][1] + m[5]];
  const xs = [33, 263].map((i) => crop(i)[0]);
  const ys = [105, 334, 17].map((i) => crop(i)[1]);
  const x0 = Math.max(1, Math.floor(Math.min(...xs)));
  const x1 = Math.min(STATS_SIZE - 2, Math.ceil(Math.max(...xs)));
  const y0 = Math.max(1, Math.floor(Math.min(...ys)));
  const y1 = Math.min(STATS_SIZE - 2, Math.ceil(Math.max(...ys)));
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  let lap = 0;
  let lap2 = 0;
  let clipped = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const i = y * STATS_SIZE + x;
      const g = grey[i];
      const l = grey[i - 1] + grey[i + 1] + grey[i - STATS_SIZE] + grey[i + STATS_SIZE] - 4 * g;
      n++;
      sum += g;
      sum2 += g * g;
      lap += l;
      lap2 += l * l;
      if (g >= 250) clipped++;
    }
  }
  if (!n) return { sharpness: 0, luminance: 0, clipped: 0 };
  const mean = sum / n;
  const varG = Math.max(1e-6, sum2 / n - mean * mean);
  const varL = lap2 / n - (lap / n) ** 2;
  return { sharpness: varL / varG, luminance: mean, clipped: clipped / n };
}

/** iBUG-68 mirror pairs (subject's right ↔ left). */
/** The 68 landmarks' mirror pairs (each pair once; midline points left out). */
const MIRROR_PAIRS: Array<[number, number]> = MIRROR_68.flatMap((j, i): Array<[number, number]> => (i < j ? [[i, j]] : []));

/** Mean distance between each landmark and its mirror partner reflected about the face's midline, in pupil distances (eye line made level first). */
export function asymmetry(l68: ReadonlyArray<Vec2>, points: ReadonlyArray<Vec3>): number {
  const [re, le] = eyeCentres(points);
  const ang = Math.atan2(le[1] - re[1], le[0] - re[0]);
  const ipd = Math.hypot(le[0] - re[0], le[1] - re[1]);
  const cx = (re[0] + le[0]) / 2;
  const cy = (re[1] + le[1]) / 2;
  const c = Math.cos(-ang);
  const s = Math.sin(-ang);
  const level = l68.map(([x, y]): Vec2 => [c * (x - cx) - s * (y - cy), s * (x - cx) + c * (y - cy)]);
  // The midline: mean x of nose bridge, nose tip and chin (27–30, 33, 8) — not the eye midpoint, so a turned
  // head's shift is not counted as asymmetry.
  const mid = [27, 28, 29, 30, 33, 8].reduce((t, i) => t + level[i][0], 0) / 6;
  let total = 0;
  for (const [i, j] of MIRROR_PAIRS) {
    total += Math.hypot(level[i][0] - mid + (level[j][0] - mid), level[i][1] - level[j][1]);
  }
  return total / MIRROR_PAIRS.length / ipd;
}
