// The head fit and the hidden-side completion (src/recon/head-fit.ts, hidden-side.ts, math3.ts): pure maths,
// checked on synthetic views of the head model whose pose is known.
import { describe, expect, it } from 'vitest';
import { fitHead, head, HEAD_VERTICES, yawOf } from '../src/recon/head-fit.js';
import { completeHiddenSide, completionWeight, yawCorrection } from '../src/recon/hidden-side.js';
import { apply3, applySimilarity, det3, mul3, procrustes, rotationY, svd3, transpose3, type Mat3 } from '../src/recon/math3.js';
import { isFace } from '../src/recon/face-verify.js';
import { JAW_DEPTH, landmarks68From } from '../src/recon/landmarks68.js';
import type { Vec3 } from '../src/recon/types.js';

const DEG = Math.PI / 180;
const rotX = (a: number): Mat3 => [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
const rotZ = (a: number): Mat3 => [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];

/** Head → camera rotation, pose.ts signs (yaw > 0 turns the face towards the image's right, pitch > 0 tilts it chin-up): yaw, then pitch, then roll. */
const rotation = (yawDeg: number, pitchDeg = 0, rollDeg = 0): Mat3 => mul3(rotZ(rollDeg * DEG), mul3(rotX(-pitchDeg * DEG), rotationY(-yawDeg * DEG)));

/** The head model seen under `rotation(...)`, scaled to `s` px per eye-corner distance. */
function view(yawDeg: number, pitchDeg = 0, rollDeg = 0, s = 100): Vec3[] {
  const { shape } = head();
  const r = rotation(yawDeg, pitchDeg, rollDeg);
  const out: Vec3[] = [];
  for (let i = 0; i < HEAD_VERTICES; i++) {
    const q = apply3(r, [shape[3 * i], shape[3 * i + 1], shape[3 * i + 2]]);
    out.push([400 + s * q[0], 300 + s * q[1], s * q[2]]);
  }
  return out;
}

describe('math3', () => {
  it('recovers a known similarity with procrustes', () => {
    const r = mul3(rotZ(0.3), mul3(rotX(-0.2), rotationY(0.7)));
    const truth = { s: 2.5, r, t: [10, -4, 7] as [number, number, number] };
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = [Math.sin(i * 1.3), Math.cos(i * 0.7) * 2, (i % 5) - 2];
      x.push(...p);
      y.push(...applySimilarity(truth, p));
    }
    const f = procrustes(x, y, new Array(20).fill(1));
    expect(f.s).toBeCloseTo(2.5, 9);
    for (let k = 0; k < 9; k++) expect(f.r[k]).toBeCloseTo(r[k], 9);
    for (let k = 0; k < 3; k++) expect(f.t[k]).toBeCloseTo(truth.t[k], 9);
  });

  it('decomposes a rank-deficient matrix into orthonormal factors', () => {
    const a: Mat3 = [1, 2, 3, 2, 4, 6, 1, 0, 1];
    const { u, s, v } = svd3(a);
    expect(s[0]).toBeGreaterThanOrEqual(s[1]);
    expect(s[2]).toBeLessThan(1e-6);
    const back = mul3(mul3(u, [s[0], 0, 0, 0, s[1], 0, 0, 0, s[2]]), transpose3(v));
    for (let k = 0; k < 9; k++) expect(back[k]).toBeCloseTo(a[k], 6);
    expect(Math.abs(det3(u))).toBeCloseTo(1, 6);
  });
});

describe('head model', () => {
  it('has a mirror map that is an involution, with the 28 midline vertices of the FaceMesh topology', () => {
    const { mirror } = head();
    expect(mirror).toHaveLength(468);
    for (let i = 0; i < 468; i++) expect(mirror[mirror[i]]).toBe(i);
    const midline = [...mirror].flatMap((j, i) => (j === i ? [i] : []));
    expect(midline).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 94, 151, 152, 164, 168, 175, 195, 197, 199, 200]);
    // The well-known pairs: outer and inner eye corners, mouth corners, cheeks.
    expect([mirror[33], mirror[133], mirror[61], mirror[234]]).toEqual([263, 362, 291, 454]);
  });

  it('is mirror-symmetric about x = 0, with the outer eye corners one unit apart', () => {
    const { shape, mirror } = head();
    for (let i = 0; i < 468; i++) {
      const j = mirror[i];
      expect(shape[3 * i]).toBeCloseTo(-shape[3 * j], 3);
      expect(shape[3 * i + 1]).toBeCloseTo(shape[3 * j + 1], 3);
      expect(shape[3 * i + 2]).toBeCloseTo(shape[3 * j + 2], 3);
    }
    expect(shape[3 * 263] - shape[3 * 33]).toBeCloseTo(1, 3);
  });
});

describe('fitHead', () => {
  it.each([0, 20, -35, 55, 70])('recovers the pose of a synthetic view turned %d° (pitched 8°, rolled −5°)', (yaw) => {
    const fit = fitHead(view(yaw, 8, -5));
    expect(fit.yawDeg).toBeCloseTo(yawOf(rotation(yaw, 8, -5)), 1);
    expect(Math.abs(fit.yawDeg - yaw)).toBeLessThan(1.5);
    expect(fit.s).toBeCloseTo(100, 1);
  });

  it('finds the far side of a turned face hidden and the near side visible', () => {
    const fit = fitHead(view(50));
    // yaw > 0: the nose turns towards the image's right, so the subject's left cheek (454, x > 0) turns away
    // and the right cheek (234) faces the camera.
    expect(fit.visibility[234]).toBeGreaterThan(0.3);
    expect(fit.visibility[454]).toBeLessThan(0);
    expect(fit.visibility[4]).toBeGreaterThan(0.3);
  });

  it('reads yaw with the sign of pose.ts', () => {
    expect(yawOf(rotationY(-30 * DEG))).toBeCloseTo(30, 9);
  });
});

describe('completeHiddenSide', () => {
  it('leaves a near-frontal face untouched', () => {
    const pts = view(10);
    expect(completeHiddenSide(pts, fitHead(pts))).toBe(pts);
    expect(completionWeight(20)).toBe(0);
    expect(completionWeight(-32.5)).toBeCloseTo(0.5, 9);
    expect(completionWeight(60)).toBe(1);
  });

  it('turns strongly turned faces further by half their yaw beyond 30°', () => {
    expect(yawCorrection(25)).toBe(0);
    expect(yawCorrection(50)).toBeCloseTo(10, 9);
    expect(yawCorrection(-70)).toBeCloseTo(-20, 9);
  });

  it('puts the squeezed far side of a turned face back where the seen side says it is', () => {
    const truth = view(50);
    // FaceMesh-like failure: the far side (hidden vertices) squeezed halfway towards the profile line.
    const fit0 = fitHead(truth);
    const squeezed = truth.map((p, i): Vec3 => (fit0.visibility[i] < 0 ? [p[0] + (truth[4][0] - p[0]) * 0.5, p[1], p[2]] : p));
    const hidden = [...fit0.visibility].flatMap((v, i) => (v < -0.2 ? [i] : []));
    expect(hidden.length).toBeGreaterThan(20);
    const err = (pts: Vec3[]): number => hidden.reduce((s, i) => s + Math.hypot(pts[i][0] - truth[i][0], pts[i][1] - truth[i][1]), 0) / hidden.length;
    const noBias = { fromDeg: 25, fullDeg: 40, yawBiasFromDeg: 90, yawBiasGain: 0 };
    const fixed = completeHiddenSide(squeezed, fitHead(squeezed), noBias);
    expect(err(squeezed)).toBeGreaterThan(5);
    expect(err(fixed)).toBeLessThan(err(squeezed) / 4);
  });
});

describe('isFace', () => {
  it('keeps a sure face, and a likely one only when both views agree and it is not tiny', () => {
    expect(isFace({ presence: 0.99, disagreement: 0.08 }, 10)).toBe(true);
    expect(isFace({ presence: 0.7, disagreement: 0.02 }, 40)).toBe(true);
    expect(isFace({ presence: 0.7, disagreement: 0.05 }, 40)).toBe(false);
    expect(isFace({ presence: 0.7, disagreement: 0.02 }, 15)).toBe(false);
    expect(isFace({ presence: 0.45, disagreement: 0.01 }, 100)).toBe(false);
    expect(isFace({ presence: 0.45, disagreement: 0.01 }, 100, 0.4)).toBe(true);
  });
});

describe('landmarks68From with the head pose', () => {
  it('moves the jaw of a chin-up face down to the mandible edge, and leaves frontal and chin-down faces alone', () => {
    for (const [pitch, moves] of [[0, false], [-20, false], [30, true]] as const) {
      const pts = view(0, pitch);
      const plain = landmarks68From(pts);
      const posed = landmarks68From(pts, { head: fitHead(pts) });
      expect(posed[8][1], `chin at pitch ${pitch}`).toBeCloseTo(plain[8][1], 6);
      for (let k = 17; k < 68; k++) expect(posed[k]).toEqual(plain[k]);
      const drop = posed[0][1] - plain[0][1];
      if (moves) {
        // 100 px per head unit, JAW_DEPTH units behind, seen at sin(30°).
        expect(drop).toBeCloseTo(100 * JAW_DEPTH * Math.sin(30 * DEG), 0);
        expect(posed[4][1] - plain[4][1]).toBeCloseTo(drop / 2, 1);
      } else expect(Math.abs(drop)).toBeLessThan(1e-6);
    }
  });
});
