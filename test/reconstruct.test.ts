// The engine end to end on real photos with the real models.
import fs from 'node:fs';
import sharp from 'sharp';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import { ReconError } from '../src/recon/errors.js';
import { casePath, landmarkPhoto } from './helpers/paths.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(async () => {
  await engine.dispose();
});

const dist = (a: number[], b: number[]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);

describe('detection', () => {
  it('finds both faces of a two-person photo, largest first, with six keypoints inside each box', async () => {
    const r = await engine.reconstruct(casePath('two_people.jpg'), { faces: 'all' });
    expect(r.faces).toHaveLength(2);
    const [a, b] = r.faces;
    expect(a.box[2] * a.box[3]).toBeGreaterThanOrEqual(b.box[2] * b.box[3]);
    // One face on each half of the picture.
    const centres = r.faces.map((f) => f.box[0] + f.box[2] / 2).sort((p, q) => p - q);
    expect(centres[0]).toBeLessThan(r.image.width / 2);
    expect(centres[1]).toBeGreaterThan(r.image.width / 2);
    for (const f of r.faces) {
      expect(f.score).toBeGreaterThan(0.5);
      expect(f.keypoints).toHaveLength(6);
      const [x, y, w, h] = f.box;
      for (const p of f.keypoints.slice(0, 4)) {
        expect(p[0]).toBeGreaterThan(x);
        expect(p[0]).toBeLessThan(x + w);
        expect(p[1]).toBeGreaterThan(y);
        expect(p[1]).toBeLessThan(y + h);
      }
    }
    expect(r.reconstructed).toEqual([0, 1]);
  });

  it('finds every annotated face of a group photo', async () => {
    const gt = JSON.parse(fs.readFileSync(landmarkPhoto('landmarks.json'), 'utf8'))['dlib_2007_007763.jpg'];
    const r = await engine.reconstruct(landmarkPhoto('dlib_2007_007763.jpg'), { faces: 'all' });
    for (const face of gt.faces as Array<{ bbox_landmarks: number[] }>) {
      const [x, y, w, h] = face.bbox_landmarks;
      const hit = r.faces.some((f) => dist([f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2], [x + w / 2, y + h / 2]) < Math.max(w, h) / 2);
      expect(hit, `face at ${face.bbox_landmarks}`).toBe(true);
    }
  });

  it.each(['negative_cat_chelsea.png', 'negative_coffee.png'])('finds no face in %s', async (f) => {
    const r = await engine.reconstruct(casePath(f), { faces: 'all' });
    expect(r.faces).toEqual([]);
    expect(r.reconstructed).toEqual([]);
  });

  it('rejects a face index the photo does not have', async () => {
    const err = await engine.reconstruct(casePath('two_people.jpg'), { faces: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(ReconError);
    expect(err.code).toBe('FACE_INDEX_OUT_OF_RANGE');
    expect(err.message).toBe('Face index 2 was requested but the photo has 2 faces');
    expect(err.hint).toMatch(/0 to 1/);
  });

  it('validates options with one wording', async () => {
    const err = await engine.reconstruct(casePath('two_people.jpg'), { faces: -1 }).catch((e) => e);
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toBe('Expected "largest", "all" or a face index ≥ 0 for faces but received -1');
  });
});

describe('dense points', () => {
  it('gives 478 points, 68 landmarks and a pose for the largest face', async () => {
    const r = await engine.reconstruct(casePath('control_obama_official_portrait.jpg'));
    const f = r.faces[0];
    expect(f.points).toHaveLength(478);
    expect(f.landmarks68).toHaveLength(68);
    expect(f.presence).toBeGreaterThan(0.9);
    const [x, y, w, h] = f.box;
    // Nose tip (mesh 1) inside the box; iris centres (468, 473) near the eye keypoints.
    const nose = f.points![1];
    expect(nose[0]).toBeGreaterThan(x);
    expect(nose[0]).toBeLessThan(x + w);
    expect(nose[1]).toBeGreaterThan(y);
    expect(nose[1]).toBeLessThan(y + h);
    expect(dist(f.points![468], f.keypoints[0])).toBeLessThan(w * 0.08);
    expect(dist(f.points![473], f.keypoints[1])).toBeLessThan(w * 0.08);
    // z on the pixel scale: the nose tip is nearer the camera (smaller z) than the cheeks' edges.
    expect(nose[2]).toBeLessThan(f.points![234][2]);
    expect(nose[2]).toBeLessThan(f.points![454][2]);
    expect(Math.abs(f.pose!.yaw)).toBeLessThan(10);
    expect(Math.abs(f.pose!.roll)).toBeLessThan(10);
    for (const k of ['decode', 'detect', 'landmarks', 'pose', 'total'] as const) expect(r.timings[k]).toBeGreaterThan(0);
    expect(r.versions['recon-daemon']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('gives the same points for an EXIF-rotated file as for the upright photo', async () => {
    const upright = await engine.reconstruct(casePath('control_obama_official_portrait.jpg'));
    const rotated = await engine.reconstruct(casePath('exif_orientation6_obama.jpg'));
    expect(rotated.image.orientation).toBe(6);
    expect([rotated.image.width, rotated.image.height]).toEqual([upright.image.width, upright.image.height]);
    const a = upright.faces[0].points!;
    const b = rotated.faces[0].points!;
    const iod = dist(a[33], a[263]);
    let worst = 0;
    for (let i = 0; i < 478; i++) worst = Math.max(worst, dist(a[i], b[i]));
    expect(worst / iod).toBeLessThan(0.03);
  });

  it('reports yaw with the documented sign: a face turned to the image right has positive yaw', async () => {
    // The same photo and its mirror image: the turn flips, so yaw flips sign and keeps its size.
    const file = landmarkPhoto('aflw2000_image02616.jpg');
    const mirrored = await sharp(file).flop().png().toBuffer();
    const a = (await engine.reconstruct(file)).faces[0].pose!;
    const b = (await engine.reconstruct(mirrored)).faces[0].pose!;
    // In this photo the subject looks towards the image's left: negative yaw (AFLW2000 lists +38° in its own, opposite, convention).
    expect(a.yaw).toBeLessThan(-15);
    expect(b.yaw).toBeGreaterThan(15);
    expect(Math.abs(a.yaw + b.yaw)).toBeLessThan(6);
    expect(Math.abs(a.pitch - b.pitch)).toBeLessThan(4);
    expect(Math.sign(a.roll)).toBe(-Math.sign(b.roll));
  });

  it('reports positive pitch for a face tilted up', async () => {
    // aflw2000_image00430: the subject lifts the chin (AFLW2000 pitch +34°).
    const p = (await engine.reconstruct(landmarkPhoto('aflw2000_image00430.jpg'))).faces[0].pose!;
    expect(p.pitch).toBeGreaterThan(15);
  });

  it('honours a cancelled signal between stages', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await engine.reconstruct(casePath('two_people.jpg'), { signal: ac.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(ReconError);
    expect(err.code).toBe('CANCELLED');
  });
});
