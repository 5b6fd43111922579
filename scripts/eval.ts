// Accuracy evaluation: `npm run eval [-- --json out.json] [-- --no-doc]`.
//
// Runs the engine on every photo of ../shared/faces/landmarks/ (68-point ground truth) and
// ../shared/faces/cases/ (expected face counts), prints tables, and rewrites the section of
// docs/accuracy.md between `<!-- eval:begin -->` and `<!-- eval:end -->`. The photos are research-only
// test data: they are read from the shared folder, never copied into the repository.
//
// Matching rule: every annotated face is matched to at most one detection and vice versa. A pair is
// eligible when IoU(detection box, bbox_landmarks) ≥ 0.3, or when each box contains the other's centre;
// eligible pairs are assigned greedily by decreasing IoU. Unmatched annotated faces count as missed; an
// unmatched detection counts as a false positive only where the ground truth says all faces are annotated.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reconstruct } from '../src/recon/index.js';
import type { FaceResult, Vec2 } from '../src/recon/types.js';
import { centreInside, iou, mean, nmeBox, nmeInterocular, type Box } from '../src/recon/metrics.js';
import { fitHead } from '../src/recon/head-fit.js';
import { landmarks68From, MESH_TO_68_SOURCE } from '../src/recon/landmarks68.js';
import {
  mirroredPhoto,
  mirrorDisagreement,
  overlaps,
  PITCH_BIN_DEG,
  runHardConditions,
  runNoFace,
  unmirror68,
  YAW_BINS,
  type HardRecord,
  type NoFaceRecord,
} from './eval-extra.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(REPO, '..', 'shared', 'faces');
const LANDMARK_DIR = path.join(SHARED, 'landmarks');
const CASES_DIR = path.join(SHARED, 'cases');
const DOC = path.join(REPO, 'docs', 'accuracy.md');
const BEGIN = '<!-- eval:begin -->';
const END = '<!-- eval:end -->';

export const IOU_MIN = 0.3;
export const FRONTAL_YAW_DEG = 30;
/** Subsets whose ground truth is human annotation and that the accuracy targets apply to. */
const HUMAN_SUBSETS = new Set(['aflw2000', '300vw']);
const SUBSETS = ['aflw2000', '300vw', 'dlib', 'cocowb'] as const;
type Subset = (typeof SUBSETS)[number];

/** iBUG 68 regions, for per-region errors. */
const REGIONS: ReadonlyArray<readonly [string, number, number]> = [
  ['jaw', 0, 17],
  ['brows', 17, 27],
  ['nose', 27, 36],
  ['eyes', 36, 48],
  ['mouth', 48, 68],
];

// ---- ground truth -----------------------------------------------------------------------------------

interface GtFace {
  landmarks: Vec2[];
  bbox: Box | null;
  bbox_landmarks: Box;
}

interface GtEntry extends GtFace {
  subset: string;
  gt_type: string;
  width: number;
  height: number;
  all_faces_annotated: boolean;
  pose_deg_pitch_yaw_roll?: [number, number, number];
  faces?: GtFace[];
  primary_face_index?: number;
}

interface CaseEntry {
  file: string;
  expected_faces: number;
  expected: string;
  category: string;
}

function subsetOf(file: string): Subset {
  for (const s of SUBSETS) if (file.startsWith(`${s}_`)) return s;
  throw new Error(`unknown subset for ${file}`);
}

// ---- result records -----------------------------------------------------------------------------------

interface FaceRecord {
  file: string;
  subset: Subset;
  /** Index in the file's `faces[]` (0 when the file has one annotated face). */
  face: number;
  primary: boolean;
  human: boolean;
  gtBoxSize: number;
  matched: boolean;
  detection: number | null;
  iou: number | null;
  /** Box-normalised NME, fraction. */
  nmeBox: number | null;
  /** Inter-ocular NME, fraction. */
  nmeIo: number | null;
  /** Per-region mean point error / sqrt(w·h), fraction. */
  regions: Record<string, number> | null;
  /** Box NME of the same mesh with the jaw on the visible silhouette (`silhouette: true`), fraction. */
  nmeBoxSilhouette: number | null;
  yawDeg: number | null;
  yawSource: 'dataset' | 'estimate' | 'none';
  ourYawDeg: number | null;
  pitchDeg: number | null;
  /** Box NME between these landmarks and the unmirrored landmarks of the mirrored photo, fraction. */
  mirrorNme: number | null;
}

interface ImageRecord {
  file: string;
  subset: Subset;
  detections: number;
  annotated: number;
  matched: number;
  falsePositives: number | null;
  ms: number;
  timings: Record<string, number>;
  error?: string;
}

interface CaseRecord {
  file: string;
  category: string;
  expected: number;
  zeroAcceptable: boolean;
  detected: number;
  agree: boolean;
  ms: number;
  error?: string;
}

interface Group {
  name: string;
  faces: number;
  matched: number;
  nmeBox: number;
  /** Same faces with the jaw on the visible silhouette (landmarks68From `silhouette: true`). */
  nmeBoxSilhouette: number;
  nmeIo: number;
  median: number;
  max: number;
}

// ---- engine -------------------------------------------------------------------------------------------

async function runEngine(file: string | Uint8Array): Promise<{ faces: FaceResult[]; ms: number; timings: Record<string, number>; error?: string }> {
  const t0 = performance.now();
  try {
    const r = await reconstruct(file, { faces: 'all' });
    return { faces: r.faces, ms: performance.now() - t0, timings: r.timings };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const ms = performance.now() - t0;
    if (code === 'NO_FACE') return { faces: [], ms, timings: {} };
    return { faces: [], ms, timings: {}, error: `${String(code ?? 'ERROR')}: ${(e as Error).message}` };
  }
}

/** Greedy one-to-one matching; returns for each annotated face the detection index or -1. */
export function matchFaces(gtBoxes: ReadonlyArray<Box>, detBoxes: ReadonlyArray<Box>): { det: number; iou: number }[] {
  const pairs: { g: number; d: number; v: number }[] = [];
  gtBoxes.forEach((g, gi) =>
    detBoxes.forEach((d, di) => {
      const v = iou(g, d);
      if (v >= IOU_MIN || (centreInside(g, d) && centreInside(d, g))) pairs.push({ g: gi, d: di, v });
    }),
  );
  pairs.sort((a, b) => b.v - a.v);
  const out = gtBoxes.map(() => ({ det: -1, iou: 0 }));
  const usedD = new Set<number>();
  for (const p of pairs) {
    if (out[p.g].det >= 0 || usedD.has(p.d)) continue;
    out[p.g] = { det: p.d, iou: p.v };
    usedD.add(p.d);
  }
  return out;
}

function regionErrors(pred: ReadonlyArray<Vec2>, gt: ReadonlyArray<Vec2>, box: Box): Record<string, number> {
  const norm = Math.sqrt(box[2] * box[3]);
  const out: Record<string, number> = {};
  for (const [name, a, b] of REGIONS) {
    let s = 0;
    for (let i = a; i < b; i++) s += Math.hypot(pred[i][0] - gt[i][0], pred[i][1] - gt[i][1]);
    out[name] = s / (b - a) / norm;
  }
  return out;
}

// ---- formatting ---------------------------------------------------------------------------------------

const pct = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(digits)} %`;
const num = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);

function mdTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function group(name: string, recs: FaceRecord[]): Group {
  const m = recs.filter((r) => r.matched);
  const box = m.map((r) => r.nmeBox as number);
  return {
    name,
    faces: recs.length,
    matched: m.length,
    nmeBox: mean(box),
    nmeBoxSilhouette: mean(m.map((r) => r.nmeBoxSilhouette as number)),
    nmeIo: mean(m.map((r) => r.nmeIo as number)),
    median: median(box),
    max: box.length ? Math.max(...box) : NaN,
  };
}

// ---- main ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const jsonOut = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  if (jsonAt >= 0 && !jsonOut) throw new Error('--json needs a file name');
  const writeDoc = !args.includes('--no-doc');

  const gt = JSON.parse(readFileSync(path.join(LANDMARK_DIR, 'landmarks.json'), 'utf8')) as Record<string, GtEntry>;
  const cases = (JSON.parse(readFileSync(path.join(CASES_DIR, 'cases.json'), 'utf8')) as { cases: CaseEntry[] }).cases;

  const faces: FaceRecord[] = [];
  const images: ImageRecord[] = [];

  for (const file of Object.keys(gt).sort()) {
    const e = gt[file];
    const subset = subsetOf(file);
    const human = HUMAN_SUBSETS.has(subset);
    const annotated: GtFace[] = e.faces && e.faces.length ? e.faces : [e];
    const primaryIndex = e.faces && e.faces.length ? (e.primary_face_index ?? 0) : 0;
    const run = await runEngine(path.join(LANDMARK_DIR, file));
    const match = matchFaces(
      annotated.map((a) => a.bbox_landmarks),
      run.faces.map((f) => f.box),
    );
    const usedDet = new Set<number>();
    annotated.forEach((a, i) => {
      const m = match[i];
      const hit = m.det >= 0 ? run.faces[m.det] : undefined;
      if (hit) usedDet.add(m.det);
      // faces 'all' gives every detection landmarks; one without them cannot be scored.
      const det =
        hit?.landmarks68 && hit.pose && hit.points ? { landmarks68: hit.landmarks68, pose: hit.pose, points: hit.points } : undefined;
      const datasetYaw = e.pose_deg_pitch_yaw_roll && annotated.length === 1 ? e.pose_deg_pitch_yaw_roll[1] : undefined;
      const ourYaw = det ? det.pose.yaw : null;
      faces.push({
        file,
        subset,
        face: i,
        primary: i === primaryIndex,
        human,
        gtBoxSize: Math.sqrt(a.bbox_landmarks[2] * a.bbox_landmarks[3]),
        matched: !!det,
        detection: det ? m.det : null,
        iou: det ? m.iou : null,
        nmeBox: det ? nmeBox(det.landmarks68, a.landmarks, a.bbox_landmarks) : null,
        nmeIo: det ? nmeInterocular(det.landmarks68, a.landmarks) : null,
        regions: det ? regionErrors(det.landmarks68, a.landmarks, a.bbox_landmarks) : null,
        nmeBoxSilhouette: det
          ? nmeBox(landmarks68From(det.points, { yawDeg: det.pose.yaw, silhouette: true, head: fitHead(det.points) }), a.landmarks, a.bbox_landmarks)
          : null,
        yawDeg: datasetYaw ?? ourYaw,
        yawSource: datasetYaw !== undefined ? 'dataset' : ourYaw !== null ? 'estimate' : 'none',
        ourYawDeg: ourYaw,
        pitchDeg: e.pose_deg_pitch_yaw_roll && annotated.length === 1 ? e.pose_deg_pitch_yaw_roll[0] : det ? det.pose.pitch : null,
        mirrorNme: null,
      });
    });
    // Mirror consistency: the same photo mirrored, its faces matched to the mirrored annotated boxes.
    const mirrored = await mirroredPhoto(path.join(LANDMARK_DIR, file));
    const mrun = await runEngine(mirrored.data);
    const recs = faces.slice(faces.length - annotated.length);
    annotated.forEach((a, i) => {
      const [x, y, w, h] = a.bbox_landmarks;
      const mbox: Box = [mirrored.width - x - w, y, w, h];
      const direct = recs[i].detection !== null ? run.faces[recs[i].detection as number].landmarks68 : undefined;
      const hit = mrun.faces.find((f) => f.landmarks68 && overlaps(mbox, f.box));
      if (direct && hit?.landmarks68) recs[i].mirrorNme = mirrorDisagreement(direct, unmirror68(hit.landmarks68, mirrored.width), a.bbox_landmarks);
    });
    images.push({
      file,
      subset,
      detections: run.faces.length,
      annotated: annotated.length,
      matched: match.filter((m) => m.det >= 0).length,
      falsePositives: e.all_faces_annotated ? run.faces.length - usedDet.size : null,
      ms: run.ms,
      timings: run.timings,
      ...(run.error ? { error: run.error } : {}),
    });
    process.stderr.write(`${file}: ${run.faces.length} detections, ${run.ms.toFixed(0)} ms${run.error ? ` (${run.error})` : ''}\n`);
  }

  const caseRecs: CaseRecord[] = [];
  for (const c of cases) {
    const run = await runEngine(path.join(CASES_DIR, c.file));
    const zeroAcceptable = /no usable face is acceptable/i.test(c.expected);
    const n = run.faces.length;
    caseRecs.push({
      file: c.file,
      category: c.category,
      expected: c.expected_faces,
      zeroAcceptable,
      detected: n,
      agree: !run.error && (n === c.expected_faces || (zeroAcceptable && n === 0)),
      ms: run.ms,
      ...(run.error ? { error: run.error } : {}),
    });
    process.stderr.write(`${c.file}: ${n} faces, ${run.ms.toFixed(0)} ms${run.error ? ` (${run.error})` : ''}\n`);
  }

  const noFace: NoFaceRecord[] = await runNoFace(runEngine);
  process.stderr.write(`no-face photos: ${noFace.filter((r) => r.detections > 0).length} of ${noFace.length} with a face\n`);
  const hard: HardRecord[] = await runHardConditions(
    runEngine,
    Object.keys(gt)
      .sort()
      .map((file) => ({
        file: path.join(LANDMARK_DIR, file),
        boxes: (gt[file].faces && gt[file].faces!.length ? gt[file].faces! : [gt[file]]).map((a) => a.bbox_landmarks),
        primary: gt[file].bbox_landmarks,
      })),
  );
  process.stderr.write(`hard conditions: ${hard.map((h) => `${h.found}/${h.annotated}`).join(' ')}\n`);

  // ---- groups ----
  const isFrontal = (r: FaceRecord): boolean => r.yawDeg !== null && Math.abs(r.yawDeg) < FRONTAL_YAW_DEG;
  const groups: Group[] = [
    group('all annotated faces', faces),
    ...SUBSETS.map((s) => group(`subset ${s}`, faces.filter((r) => r.subset === s))),
    group('human-annotated (AFLW2000 + 300-VW) — target ≤ 4.4 %', faces.filter((r) => r.human)),
    group('frontal human-annotated, |yaw| < 30° — target ≤ 3.0 %', faces.filter((r) => r.human && isFrontal(r))),
    group('human incl. the tiny COCO-WholeBody face', faces.filter((r) => r.human || r.subset === 'cocowb')),
    group('frontal, all subsets, |yaw| < 30°', faces.filter(isFrontal)),
    group('non-frontal, |yaw| ≥ 30°', faces.filter((r) => r.yawDeg !== null && !isFrontal(r))),
  ];
  const annotatedN = faces.length;
  const matchedN = faces.filter((r) => r.matched).length;
  const fpImages = images.filter((i) => i.falsePositives !== null);
  const fpN = fpImages.reduce((s, i) => s + (i.falsePositives ?? 0), 0);
  const humanRegions: Record<string, number> = {};
  for (const [name] of REGIONS) {
    humanRegions[name] = mean(faces.filter((r) => r.human && r.regions).map((r) => (r.regions as Record<string, number>)[name]));
  }

  // ---- tables ----
  const faceHeader = ['photo', 'face', 'box px', 'yaw°', 'yaw from', 'IoU', 'NME box', 'NME i-o', 'jaw', 'brows', 'nose', 'eyes', 'mouth'];
  const faceRows = faces.map((r) => [
    r.file,
    String(r.face) + (r.primary && r.file.startsWith('dlib_') ? ' (primary)' : ''),
    num(r.gtBoxSize, 0),
    num(r.yawDeg, 0),
    r.yawSource,
    r.matched ? num(r.iou, 2) : 'missed',
    pct(r.nmeBox),
    pct(r.nmeIo),
    ...REGIONS.map(([name]) => pct(r.regions?.[name] ?? null, 1)),
  ]);
  const groupHeader = ['set', 'faces', 'matched', 'NME box (mean)', 'NME box (median)', 'NME box (max)', 'NME i-o (mean)'];
  const groupRows = groups.map((g) => [g.name, String(g.faces), String(g.matched), pct(g.nmeBox), pct(g.median), pct(g.max), pct(g.nmeIo)]);
  const detHeader = ['photo', 'annotated', 'matched', 'detections', 'false positives', 'ms'];
  const detRows = images.map((i) => [
    i.file,
    String(i.annotated),
    String(i.matched),
    String(i.detections),
    i.falsePositives === null ? 'n/a (not all faces annotated)' : String(i.falsePositives),
    num(i.ms, 0),
  ]);
  const caseHeader = ['photo', 'category', 'expected', 'detected', 'verdict', 'ms'];
  const caseRows = caseRecs.map((c) => [
    c.file,
    c.category,
    String(c.expected) + (c.zeroAcceptable ? ' (0 acceptable)' : ''),
    String(c.detected),
    c.error ? `error: ${c.error}` : c.agree ? 'agree' : 'DISAGREE',
    num(c.ms, 0),
  ]);
  const convHeader = ['set', 'jaw at 3-D position (default, as shipped)', 'jaw on visible silhouette'];
  const convRows = groups.map((g) => [g.name, pct(g.nmeBox), pct(g.nmeBoxSilhouette)]);
  // Pose bins: every matched face, yaw/pitch from the dataset where it has one, else our estimate. "Own
  // convention" scores each subset in its annotation's convention: AFLW2000-3D with the jaw at its 3-D
  // position (as shipped), 300-VW / dlib / COCO-WholeBody with the far jaw on the visible silhouette.
  const frontalHumanMean = groups.find((g) => g.name.startsWith('frontal human-annotated'))?.nmeBox ?? NaN;
  const ownConvention = (r: FaceRecord): number => (r.subset === 'aflw2000' ? (r.nmeBox as number) : (r.nmeBoxSilhouette as number));
  const binRows: string[][] = [];
  const binGroups: { name: string; recs: FaceRecord[] }[] = [
    ...YAW_BINS.map(([name, lo, hi]) => ({ name, recs: faces.filter((r) => r.matched && r.yawDeg !== null && Math.abs(r.yawDeg) >= lo && Math.abs(r.yawDeg) < hi) })),
    { name: `|pitch| ≥ ${PITCH_BIN_DEG}°`, recs: faces.filter((r) => r.matched && r.pitchDeg !== null && Math.abs(r.pitchDeg) >= PITCH_BIN_DEG) },
  ];
  const poseBins = binGroups.map(({ name, recs }) => {
    const box = mean(recs.map((r) => r.nmeBox as number));
    const own = mean(recs.map(ownConvention));
    const mirror = mean(recs.filter((r) => r.mirrorNme !== null).map((r) => r.mirrorNme as number));
    const humanRecs = recs.filter((r) => r.human);
    binRows.push([
      name,
      String(recs.length),
      pct(box),
      recs.length ? `${(box / frontalHumanMean).toFixed(2)} ×` : '–',
      pct(own),
      `${humanRecs.length}: ${pct(mean(humanRecs.map((r) => r.nmeBox as number)))}`,
      pct(mirror),
    ]);
    return { name, faces: recs.length, nmeBox: box, ratioToFrontalHuman: box / frontalHumanMean, nmeOwnConvention: own, mirrorNme: mirror };
  });
  const binHeader = ['pose bin', 'faces', 'NME box (as shipped)', '÷ frontal human mean', 'NME box, each set in its own jaw convention', 'human-annotated: faces, NME', 'mirror disagreement'];
  const noFaceHeader = ['photo', 'faces found', 'ms'];
  const noFaceRows = noFace.map((r) => [r.file, r.error ? `error: ${r.error}` : String(r.detections), num(r.ms, 0)]);
  const falseFaces = noFace.filter((r) => r.detections > 0).length;
  const hardHeader = ['condition', 'annotated faces', 'found'];
  const hardRows = hard.map((h) => [h.condition, String(h.annotated), `${h.found} (${((100 * h.found) / h.annotated).toFixed(0)} %)`]);
  const regionHeader = ['region', 'points', 'mean error / sqrt(w·h), human-annotated faces'];
  const regionRows = REGIONS.map(([name, a, b]) => [name, `${a}–${b - 1}`, pct(humanRegions[name])]);
  const summary =
    `Detection rate: ${matchedN}/${annotatedN} annotated faces matched (${((100 * matchedN) / annotatedN).toFixed(0)} %); ` +
    `false positives: ${fpN} in the ${fpImages.length} photos where every face is annotated. ` +
    `Cases: ${caseRecs.filter((c) => c.agree).length}/${caseRecs.length} agree with the expected face count. ` +
    `No-face photos: ${falseFaces} of ${noFace.length} with a (false) face.`;

  const print = (title: string, h: string[], rows: string[][]): void => {
    console.log(`\n${title}\n${textTable(h, rows)}`);
  };
  print('Summary (box-normalised NME = mean point error / sqrt(w·h) of the ground-truth landmark box)', groupHeader, groupRows);
  print('Per face', faceHeader, faceRows);
  print('By pose (yaw/pitch from the dataset where given, else our estimate)', binHeader, binRows);
  print('Per region', regionHeader, regionRows);
  print('Jaw convention on turned faces (box NME mean)', convHeader, convRows);
  print('Detection', detHeader, detRows);
  print('Behaviour cases', caseHeader, caseRows);
  print('No-face photos (test/fixtures/no-face)', noFaceHeader, noFaceRows);
  print('Hard conditions (annotated photos, degraded)', hardHeader, hardRows);
  console.log(`\n${summary}`);

  const md = [
    BEGIN,
    '',
    `_Generated by \`npm run eval\` on ${new Date().toISOString().slice(0, 10)}; do not edit by hand between the markers._`,
    '',
    '### Summary',
    '',
    mdTable(groupHeader, groupRows),
    '',
    summary,
    '',
    '### By pose',
    '',
    '`yaw`/`pitch` from the AFLW2000-3D pose where given, else our own estimate of the matched face. ' +
      '"÷ frontal human mean" divides by the frontal human-annotated mean above. "Own jaw convention": AFLW2000-3D ' +
      'with the jaw at its 3-D position (as shipped), the other sets with the far jaw on the visible silhouette ' +
      '(`silhouette: true`), the convention their annotators used. Mirror disagreement: box NME between a face\'s ' +
      'landmarks and those of the same face in the mirrored photo, mapped back (no ground truth needed).',
    '',
    mdTable(binHeader, binRows),
    '',
    '### Per face',
    '',
    '`yaw from`: `dataset` = AFLW2000-3D pose, `estimate` = our own pose estimate of the matched detection. ' +
      'Region columns: mean error of that region’s points / sqrt(w·h).',
    '',
    mdTable(faceHeader, faceRows),
    '',
    '### Per region (human-annotated faces)',
    '',
    mdTable(regionHeader, regionRows),
    '',
    '### Jaw convention (box NME mean, same meshes)',
    '',
    'The shipped landmarks keep the far-side jaw points at their occluded 3-D position (AFLW2000-3D convention); ' +
      '`landmarks68From(points, { silhouette: true })` puts them on the visible outline (300-W / 300-VW / dlib convention).',
    '',
    mdTable(convHeader, convRows),
    '',
    '### Detection',
    '',
    mdTable(detHeader, detRows),
    '',
    '### Behaviour cases (`../shared/faces/cases/`)',
    '',
    mdTable(caseHeader, caseRows),
    '',
    '### No-face photos (`test/fixtures/no-face/`)',
    '',
    `Public-domain and CC0 photos and drawings without a human face (sources and licences in that folder's README): ${falseFaces} of ${noFace.length} give a face.`,
    '',
    mdTable(noFaceHeader, noFaceRows),
    '',
    '### Hard conditions',
    '',
    'The annotated photos of `../shared/faces/landmarks/`, degraded in memory (scripts/eval-extra.ts); a face is found when a detection overlaps it.',
    '',
    mdTable(hardHeader, hardRows),
    '',
    END,
  ].join('\n');

  if (writeDoc) {
    mkdirSync(path.dirname(DOC), { recursive: true });
    const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Landmark accuracy\n\n';
    const a = doc.indexOf(BEGIN);
    const b = doc.indexOf(END);
    const next = a >= 0 && b > a ? doc.slice(0, a) + md + doc.slice(b + END.length) : `${doc.trimEnd()}\n\n${md}\n`;
    writeFileSync(DOC, next);
    console.log(`\nwrote ${path.relative(REPO, DOC)}`);
  }
  if (jsonOut) {
    const out = {
      date: new Date().toISOString(),
      mapping: MESH_TO_68_SOURCE,
      rules: { iouMin: IOU_MIN, frontalYawDeg: FRONTAL_YAW_DEG, humanSubsets: [...HUMAN_SUBSETS] },
      groups,
      detection: { annotated: annotatedN, matched: matchedN, rate: matchedN / annotatedN, falsePositives: fpN },
      regionsHuman: humanRegions,
      poseBins,
      noFace,
      hardConditions: hard,
      faces,
      images,
      cases: caseRecs,
    };
    writeFileSync(path.resolve(process.cwd(), jsonOut), `${JSON.stringify(out, null, 1)}\n`);
    console.log(`wrote ${jsonOut}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
