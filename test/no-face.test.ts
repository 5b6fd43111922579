// No face where there is none: public-domain / CC0 photos and drawings without a human face
// (test/fixtures/no-face, sources in its README) give NO_FACE, real faces are still found, and the refining
// FaceMesh pass on the mirrored crop agrees with the direct one on a real face.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import { reconstructToFolder } from '../src/recon/folder.js';
import { decodeImage } from '../src/recon/decode.js';
import { detectFaces } from '../src/recon/detect.js';
import { roiFromDetection, roiFromMesh, runMesh, runMeshFused } from '../src/recon/landmarks.js';
import { allPhotos, casePath, repoRoot } from './helpers/paths.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'no-face');
const photos = fs.readdirSync(fixtures).filter((f) => /\.(png|jpe?g)$/.test(f)).sort();

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(async () => {
  await engine.dispose();
});

describe('no-face photos', () => {
  it('holds at least 30 photos, each listed with its source and licence in the README', () => {
    expect(photos.length).toBeGreaterThanOrEqual(30);
    const readme = fs.readFileSync(path.join(fixtures, 'README.md'), 'utf8');
    for (const p of photos) expect(readme, p).toContain(`\`${p}\``);
  });

  it.each(photos)('finds no face in %s', async (p) => {
    const r = await engine.reconstruct(path.join(fixtures, p), { faces: 'all' });
    expect(r.faces).toEqual([]);
  });

  it('ends the rocket photo (detector score 0.5, a face-like nose cone) as NO_FACE with its hint', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-noface-'));
    const err = await reconstructToFolder(engine, path.join(fixtures, 'rocket.jpg'), dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NO_FACE' });
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    expect(json.quality.checks[0]).toMatchObject({ code: 'NO_FACE', severity: 'fail' });
    expect(json.quality.checks[0].hint.length).toBeGreaterThan(10);
    expect(fs.readdirSync(dir)).toEqual(['result.json']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('still finds a face in every photo of ../shared/faces that has one', async () => {
    for (const p of allPhotos()) {
      if (/negative_/.test(p)) continue;
      const r = await engine.reconstruct(p, { faces: 'all' });
      expect(r.faces.length, path.basename(p)).toBeGreaterThan(0);
    }
  });
});

describe('the mirrored refining pass', () => {
  it('agrees with the direct pass on a real face and is sure it is one', async () => {
    const img = await decodeImage(casePath('control_obama_official_portrait.jpg'));
    const [d] = await detectFaces(engine.runtime, img);
    const [first] = await runMesh(engine.runtime, img, [roiFromDetection(d)]);
    const [fused] = await runMeshFused(engine.runtime, img, [roiFromMesh(first.points)]);
    expect(fused.presences[0]).toBeGreaterThan(0.95);
    expect(fused.presences[1]).toBeGreaterThan(0.95);
    expect(fused.disagreement).toBeLessThan(0.015);
    expect(fused.points).toHaveLength(468);
  });
});
