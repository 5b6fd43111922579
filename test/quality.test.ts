// The quality verdict on real photos with the real models.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import { assessQuality, DEFAULT_THRESHOLDS, type QualityReport, type QualityThresholds } from '../src/recon/quality.js';
import { casePath, landmarkPhoto } from './helpers/paths.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine.dispose());

async function quality(input: string | Uint8Array, overrides: Partial<QualityThresholds> = {}): Promise<QualityReport> {
  const r = await engine.reconstruct(input);
  return assessQuality({ image: r.decoded, faces: r.faces, face: 0, faceChosen: false }, overrides);
}
const check = (q: QualityReport, code: string) => q.checks.find((c) => c.code === code)!;

describe('quality verdict', () => {
  it('passes a well-lit frontal portrait, with every check measured and explained', async () => {
    const q = await quality(casePath('control_obama_official_portrait.jpg'));
    expect(q.verdict).toBe('pass');
    for (const code of ['MULTIPLE_FACES', 'LOW_CONFIDENCE', 'POSE_TOO_LARGE', 'LOW_RESOLUTION', 'BLURRY', 'UNDER_EXPOSED', 'OVER_EXPOSED', 'ASYMMETRIC']) {
      const c = check(q, code);
      expect(c, code).toBeDefined();
      expect(c.severity).toBe('info');
      expect(c.message.length).toBeGreaterThan(5);
    }
    expect(check(q, 'BLURRY').value).toBeGreaterThan(DEFAULT_THRESHOLDS.sharpnessWarn);
  });

  it.each([
    ['aflw2000_image02420.jpg', landmarkPhoto('aflw2000_image02420.jpg')],
    ['cameraman_greyscale.png', casePath('cameraman_greyscale.png')],
  ])('warns about a strongly turned face (%s) and says its far side is completed; fails it past yawFail', async (_n, file) => {
    const q = await quality(file);
    const c = check(q, 'POSE_TOO_LARGE');
    expect(c.severity).toBe('warn');
    expect(c.value).toBeGreaterThan(55);
    expect(c.value).toBeLessThan(DEFAULT_THRESHOLDS.yawFail);
    expect(c.threshold).toBe(DEFAULT_THRESHOLDS.yawWarn);
    expect(c.message).toMatch(/completed from the side it saw/);
    const strict = check(await quality(file, { yawFail: 50 }), 'POSE_TOO_LARGE');
    expect(strict.severity).toBe('fail');
    expect(strict.threshold).toBe(50);
    expect(strict.message).toMatch(/turned too far/);
    expect(strict.hint).toMatch(/faces the camera/);
  });

  it('measures the pupil distance in 3-D, so a turned face is not taken for a small one', async () => {
    const c = check(await quality(casePath('cameraman_greyscale.png')), 'LOW_RESOLUTION');
    expect(c.severity).not.toBe('fail');
  });

  it('warns about a moderately turned face and lets the limit be overridden', async () => {
    const file = landmarkPhoto('aflw2000_image02616.jpg');
    expect(check(await quality(file), 'POSE_TOO_LARGE').severity).toBe('warn');
    expect(check(await quality(file, { yawWarn: 45 }), 'POSE_TOO_LARGE').severity).toBe('info');
  });

  it('flags a small face as LOW_RESOLUTION', async () => {
    const q = await quality(casePath('obama_240p_letterbox.jpg'));
    const c = check(q, 'LOW_RESOLUTION');
    expect(c.severity).toBe('warn');
    expect(c.value).toBeLessThan(DEFAULT_THRESHOLDS.ipdWarn);
    expect(c.message).toMatch(/px between the pupils/);
    expect(q.verdict).toBe('warn');
  });

  it('flags a blurred copy as BLURRY while the original passes', async () => {
    const file = casePath('control_obama_official_portrait.jpg');
    // Gaussian blur of about a tenth of the pupil distance (~106 px here): visibly soft.
    const blurred = await sharp(file).blur(10).jpeg().toBuffer();
    const q = await quality(blurred);
    const c = check(q, 'BLURRY');
    expect(['warn', 'fail']).toContain(c.severity);
    expect(c.hint).toMatch(/sharp/);
    expect(check(await quality(file), 'BLURRY').severity).toBe('info');
  });

  it('flags a dark copy as UNDER_EXPOSED and a washed-out one as OVER_EXPOSED', async () => {
    const file = casePath('control_obama_official_portrait.jpg');
    const dark = await sharp(file).linear(0.25, 0).jpeg().toBuffer();
    expect(check(await quality(dark), 'UNDER_EXPOSED').severity).toBe('warn');
    const bright = await sharp(file).linear(1.6, 90).jpeg().toBuffer();
    expect(check(await quality(bright), 'OVER_EXPOSED').severity).toBe('warn');
  });

  it('warns about several faces unless one was chosen', async () => {
    const r = await engine.reconstruct(casePath('two_people.jpg'));
    const auto = assessQuality({ image: r.decoded, faces: r.faces, face: 0, faceChosen: false });
    expect(check(auto, 'MULTIPLE_FACES')).toMatchObject({ severity: 'warn', value: 2 });
    const chosen = assessQuality({ image: r.decoded, faces: r.faces, face: 0, faceChosen: true });
    expect(check(chosen, 'MULTIPLE_FACES').severity).toBe('info');
  });
});
