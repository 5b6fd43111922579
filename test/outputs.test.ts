// One photo → one folder with every output (issue: Outputs), through the same function the CLI and daemon use.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAffine } from '../src/recon/geometry.js';
import { reconstructToFolder } from '../src/recon/folder.js';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import { ReconError } from '../src/recon/errors.js';
import { casePath } from './helpers/paths.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine.dispose());
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'recon-out-'));
const ALL = [
  'crop.png',
  'depth.png',
  'face.glb',
  'face.mtl',
  'face.obj',
  'front-depth.png',
  'front-mask.png',
  'front-normal.png',
  'front-structure.png',
  'mask.png',
  'normal.png',
  'overlay.png',
  'result.json',
  'structure.png',
  'texture-normal.png',
  'texture-visibility.png',
  'texture.png',
];

describe('reconstructToFolder', () => {
  it('writes every output with the documented names and a result.json that describes them', async () => {
    const dir = tmp();
    const { result } = await reconstructToFolder(engine, casePath('control_obama_official_portrait.jpg'), dir);
    expect(fs.readdirSync(dir).sort()).toEqual(ALL);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(result)));
    expect(json.reconstructedFace).toBe(0);
    expect(json.quality.verdict).toBe('pass');
    expect(Object.values(json.outputs).sort()).toEqual(ALL);
    // The alignment maps the pupils to their canonical places: (0.5·S, 0.4·S) ± 0.14·S.
    const S = json.alignment.size;
    const pts = json.faces[0].points;
    const r = applyAffine(json.alignment.matrix, pts[468][0], pts[468][1]);
    const l = applyAffine(json.alignment.matrix, pts[473][0], pts[473][1]);
    expect(r[0]).toBeCloseTo(0.36 * S, 0);
    expect(l[0]).toBeCloseTo(0.64 * S, 0);
    expect(r[1]).toBeCloseTo(0.4 * S, 0);
    expect(l[1]).toBeCloseTo(0.4 * S, 0);
    for (const f of ['crop.png', 'structure.png', 'depth.png', 'normal.png', 'mask.png', 'front-structure.png', 'front-depth.png', 'front-normal.png', 'front-mask.png']) {
      const m = await sharp(path.join(dir, f)).metadata();
      expect([m.width, m.height], f).toEqual([256, 256]);
    }
    expect((await sharp(path.join(dir, 'structure.png')).metadata()).channels).toBe(1);
    expect((await sharp(path.join(dir, 'depth.png')).metadata()).depth).toBe('ushort');
    expect(json.depthScale.metresPerUnit).toBeGreaterThan(0);
    expect(json.mesh).toMatchObject({ units: 'metres', view: 'front', subdivisions: 1, vertices: 1833, triangles: 3592 });
    expect(json.mesh.pose).toEqual(json.faces[0].pose);
    // Every file's frame is stated: the camera view's maps, the front view's, the mesh's view, the texture's UVs.
    expect(json.frames).toMatchObject({
      crop: 'camera',
      structure: 'camera',
      'front-structure': 'front',
      'front-depth': 'front',
      'front-normal': 'front',
      'front-mask': 'front',
      obj: 'front',
      glb: 'front',
      texture: 'uv',
      textureVisibility: 'uv',
      textureNormal: 'uv',
      overlay: 'photo',
    });
    expect(Object.keys(json.frames).sort()).toEqual(Object.keys(json.outputs).filter((k) => k !== 'result').sort());
    expect(json.headFrame.pose).toEqual(json.faces[0].pose);
    expect(json.headFrame.cameraToHead).toHaveLength(16);
    expect(json.frontDepthScale.metresPerUnit).toBeGreaterThan(0);
    // A frontal portrait: nearly all of its front view seen by the photo, nothing taken from the mirror side.
    expect(json.frontView.seen.seen).toBeGreaterThan(0.7);
    expect(json.frontView.seen.mirrored).toBeLessThan(0.02);
    expect(json.mesh.texture.seen + json.mesh.texture.mirrored + json.mesh.texture.inpainted).toBeCloseTo(1, 3);
  });

  it('writes the turntable only when asked, and the camera-frame mesh with view: camera', async () => {
    const dir = tmp();
    const { result } = await reconstructToFolder(engine, casePath('astronaut_eileen_collins.png'), dir, { outputs: ['glb', 'turntable'], view: 'camera', subdivisions: 2 });
    expect(fs.readdirSync(dir).sort()).toEqual(['face.glb', 'result.json', 'turntable.webp']);
    expect(result.mesh).toMatchObject({ view: 'camera', subdivisions: 2, vertices: 7257, triangles: 14368 });
    expect(result.frames).toEqual({ glb: 'camera', turntable: 'front' });
    const meta = await sharp(path.join(dir, 'turntable.webp'), { animated: true }).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.pages).toBeGreaterThanOrEqual(24);
  });

  it('writes only the outputs asked for, at the size asked for', async () => {
    const dir = tmp();
    await reconstructToFolder(engine, casePath('astronaut_eileen_collins.png'), dir, { outputs: ['structure', 'crop'], size: 512, detail: 0 });
    expect(fs.readdirSync(dir).sort()).toEqual(['crop.png', 'result.json', 'structure.png']);
    expect((await sharp(path.join(dir, 'structure.png')).metadata()).width).toBe(512);
  });

  it('writes no images for a failing verdict, but says why; --force writes them anyway', async () => {
    const dir = tmp();
    const strict = { yawFail: 50 };
    const { result } = await reconstructToFolder(engine, casePath('cameraman_greyscale.png'), dir, { quality: strict });
    expect(result.quality!.verdict).toBe('fail');
    expect(result.quality!.checks.find((c) => c.severity === 'fail')!.code).toBe('POSE_TOO_LARGE');
    expect(fs.readdirSync(dir).sort()).toEqual(['overlay.png', 'result.json']);
    const forced = tmp();
    await reconstructToFolder(engine, casePath('cameraman_greyscale.png'), forced, { force: true, quality: strict });
    expect(fs.readdirSync(forced)).toContain('structure.png');
  });

  it('fails a no-face photo with NO_FACE, leaving a result.json with the failing verdict', async () => {
    const dir = tmp();
    const err = await reconstructToFolder(engine, casePath('negative_cat_chelsea.png'), dir).catch((e) => e);
    expect(err).toBeInstanceOf(ReconError);
    expect(err.code).toBe('NO_FACE');
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    expect(json.quality.verdict).toBe('fail');
    expect(json.quality.checks[0]).toMatchObject({ code: 'NO_FACE', severity: 'fail' });
    expect(json.quality.checks[0].hint).toMatch(/clearly visible/);
    expect(fs.readdirSync(dir)).toEqual(['result.json']);
  });

  it('records a decode failure in result.json the same way', async () => {
    const dir = tmp();
    const err = await reconstructToFolder(engine, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), dir).catch((e) => e);
    expect(err.code).toBe('IMAGE_DECODE_FAILED');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')).quality.checks[0].code).toBe('IMAGE_DECODE_FAILED');
  });

  it('rejects bad output options with one wording', async () => {
    for (const [opts, text] of [
      [{ size: 2000 }, 'Expected integer 128–1024 for size but received 2000'],
      [{ detail: 2 }, 'Expected a number 0–1 for detail but received 2'],
      [{ outputs: ['stl'] }, 'Expected names from crop, structure, depth, normal, mask, front-structure, front-depth, front-normal, front-mask, obj, glb, overlay, turntable for outputs but received "stl"'],
      [{ view: 'side' }, 'Expected one of front, camera for view but received "side"'],
      [{ subdivisions: 5 }, 'Expected an integer 0–3 for subdivisions but received 5'],
    ] as const) {
      const err = await reconstructToFolder(engine, casePath('astronaut_eileen_collins.png'), tmp(), opts as never).catch((e) => e);
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toBe(text);
    }
  });

  it('refuses an output folder it cannot create with OUTPUT_NOT_WRITABLE and a hint, not as an internal error', async () => {
    const root = tmp();
    const inTheWay = path.join(root, 'taken');
    fs.writeFileSync(inTheWay, 'a file, not a folder');
    const err = await reconstructToFolder(engine, casePath('control_obama_official_portrait.jpg'), path.join(inTheWay, 'photo')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconError);
    expect((err as ReconError).code).toBe('OUTPUT_NOT_WRITABLE');
    expect((err as ReconError).message).toContain(path.join(inTheWay, 'photo'));
    expect((err as ReconError).hint).toMatch(/file is in the way/);
    expect(fs.readFileSync(inTheWay, 'utf8')).toBe('a file, not a folder');
    expect(fs.readdirSync(root)).toEqual(['taken']);
  });

  it('keeps reporting input problems as input problems when the output folder is fine', async () => {
    const dir = tmp();
    const err = await reconstructToFolder(engine, path.join(dir, 'missing.jpg'), path.join(dir, 'out')).catch((e: unknown) => e);
    expect((err as ReconError).code).toBe('FILE_NOT_FOUND');
  });
});
