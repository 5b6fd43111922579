// Mesh export on real photos with the real engine: face.obj + face.mtl + the texture PNGs and face.glb, in the
// metric mesh frame of architecture note §4, in the head frame by default (docs/mesh-export.md).
import { createRequire } from 'node:module';
import { NodeIO } from '@gltf-transform/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IPD_METRES } from '../src/recon/align.js';
import { ReconError } from '../src/recon/errors.js';
import { exportFace, exportMesh, projectTexture, writeGlb, type FaceExport, type MeshData } from '../src/recon/export/index.js';
import { meshCounts } from '../src/recon/mesh/build.js';
import { FACE_OVAL } from '../src/recon/mesh/topology.js';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import type { DecodedImage, Pose, Vec3 } from '../src/recon/types.js';
import { faceViews, type FaceViews } from '../src/recon/views.js';
import { casePath } from './helpers/paths.js';

interface ValidationReport {
  issues: { numErrors: number; numWarnings: number; numInfos: number; numHints: number; messages: Array<{ code: string; message: string; severity: number; pointer?: string }> };
  info?: { generator?: string };
}
// The Khronos validator (Dart compiled to JS) ships no type declarations.
const validator = createRequire(import.meta.url)('gltf-validator') as {
  validateBytes(data: Uint8Array, options?: { writeTimestamp?: boolean; maxIssues?: number }): Promise<ValidationReport>;
};
const validate = (glb: Uint8Array): Promise<ValidationReport> => validator.validateBytes(glb, { writeTimestamp: false, maxIssues: 0 });

interface ParsedObj {
  v: number[][];
  vt: number[][];
  vn: number[][];
  f: number[][][];
  mtllib: string[];
  usemtl: string[];
  o: string[];
  comments: string[];
}

/** A tiny OBJ reader: v, vt, vn, f (v/vt/vn triples, 1-based, converted to 0-based), mtllib, usemtl, o. */
function parseObj(text: string): ParsedObj {
  const r: ParsedObj = { v: [], vt: [], vn: [], f: [], mtllib: [], usemtl: [], o: [], comments: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      r.comments.push(line.slice(1).trim());
      continue;
    }
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'v' || key === 'vt' || key === 'vn') r[key].push(rest.map(Number));
    else if (key === 'f') r.f.push(rest.map((c) => c.split('/').map((k) => Number(k) - 1)));
    else if (key === 'mtllib' || key === 'usemtl' || key === 'o') r[key].push(rest.join(' '));
  }
  return r;
}

const sub = (a: number[], b: number[]): number[] => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const norm = (a: number[]): number => Math.hypot(a[0], a[1], a[2]);
const cross = (a: number[], b: number[]): number[] => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** Mean RGB of the photo inside the face oval (image polygon of the engine's own points). */
function photoFaceMean(img: DecodedImage, points: Vec3[]): number[] {
  const poly = FACE_OVAL.map((i) => points[i]);
  const xs = poly.map((p) => p[0]);
  const ys = poly.map((p) => p[1]);
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = Math.max(0, Math.floor(Math.min(...ys))); y < Math.min(img.height, Math.ceil(Math.max(...ys))); y++) {
    for (let x = Math.max(0, Math.floor(Math.min(...xs))); x < Math.min(img.width, Math.ceil(Math.max(...xs))); x++) {
      let inside = false;
      for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
        const [xi, yi] = poly[i];
        const [xj, yj] = poly[j];
        if (yi > y + 0.5 !== yj > y + 0.5 && x + 0.5 < ((xj - xi) * (y + 0.5 - yi)) / (yj - yi) + xi) inside = !inside;
      }
      if (!inside) continue;
      const q = (y * img.width + x) * 3;
      sum[0] += img.data[q];
      sum[1] += img.data[q + 1];
      sum[2] += img.data[q + 2];
      n++;
    }
  }
  return sum.map((s) => s / n);
}

let engine: Engine;
let obama: { decoded: DecodedImage; points: Vec3[]; pose: Pose; views: FaceViews };
let obamaExport: FaceExport;
let twoPeople: { decoded: DecodedImage; views: FaceViews[] };

beforeAll(async () => {
  engine = await createEngine();
  const r = await engine.reconstruct(casePath('control_obama_official_portrait.jpg'));
  const f = r.faces[r.reconstructed[0]];
  obama = { decoded: r.decoded, points: f.points!, pose: f.pose!, views: faceViews(f.points!, f.pose!) };
  obamaExport = await exportFace(obama.decoded, obama.views, { meta: { version: 'test', source: { photo: 'control_obama_official_portrait.jpg', face: 0 } } });
  const t = await engine.reconstruct(casePath('two_people.jpg'), { faces: 'all' });
  twoPeople = { decoded: t.decoded, views: t.reconstructed.map((k) => faceViews(t.faces[k].points!, t.faces[k].pose!)) };
});
afterAll(async () => {
  await engine?.dispose();
});

describe('face.obj and face.mtl', () => {
  it.each([0, 1, 2, 3] as const)('re-parse to the documented counts at %i subdivisions, indices in range, unit normals, UVs in [0, 1]', async (subdivisions) => {
    const ex = subdivisions === 1 ? obamaExport : await exportFace(obama.decoded, obama.views, { subdivisions, texture: { size: 256 } });
    const obj = parseObj(new TextDecoder().decode(ex.files['face.obj']));
    const counts = meshCounts(subdivisions);
    expect(counts).toEqual(
      [
        { vertices: 468, triangles: 898 },
        { vertices: 1833, triangles: 3592 },
        { vertices: 7257, triangles: 14368 },
        { vertices: 28881, triangles: 57472 },
      ][subdivisions],
    );
    expect(obj.v).toHaveLength(counts.vertices);
    expect(obj.vt).toHaveLength(counts.vertices);
    expect(obj.vn).toHaveLength(counts.vertices);
    expect(obj.f).toHaveLength(counts.triangles);
    expect(obj.mtllib).toEqual(['face.mtl']);
    expect(obj.usemtl).toEqual(['face']);
    expect(obj.o).toEqual(['face']);
    for (const face of obj.f) {
      expect(face).toHaveLength(3);
      for (const [v, vt, vn] of face) {
        expect(v >= 0 && v < counts.vertices && vt === v && vn === v).toBe(true);
      }
    }
    for (const n of obj.vn) expect(Math.abs(norm(n) - 1)).toBeLessThan(2e-6);
    for (const [u, v] of obj.vt) expect(u >= 0 && u <= 1 && v >= 0 && v <= 1).toBe(true);
    // Six decimals, every number finite.
    expect(new TextDecoder().decode(ex.files['face.obj'])).toMatch(/\nv -?\d+\.\d{6} -?\d+\.\d{6} -?\d+\.\d{6}\n/);
    for (const v of obj.v) expect(v.every(Number.isFinite)).toBe(true);
  });

  it('says units and frame in the header and references texture.png from face.mtl', () => {
    const text = new TextDecoder().decode(obamaExport.files['face.obj']);
    const header = text.split('\n').filter((l) => l.startsWith('#')).join('\n');
    expect(header).toMatch(/Units: metres/);
    expect(header).toMatch(/\+Y up/);
    expect(header).toMatch(/\+Z out of the face towards the camera/);
    expect(header).toMatch(/1833 vertices, 3592 triangles/);
    expect(header).toMatch(/View: front \(head frame/);
    expect(header).toMatch(/Head pose in the photo \(degrees\): yaw /);
    const mtl = new TextDecoder().decode(obamaExport.files['face.mtl']);
    expect(mtl).toMatch(/^newmtl face$/m);
    expect(mtl).toMatch(/^map_Kd texture\.png$/m);
    // The detail normal map, under both the classic and the PBR keyword.
    expect(mtl).toMatch(/^map_Bump -bm 1\.000000 texture-normal\.png$/m);
    expect(mtl).toMatch(/^norm texture-normal\.png$/m);
  });

  it('winds every triangle counter-clockwise seen from the front, in agreement with the vertex normals', () => {
    const obj = parseObj(new TextDecoder().decode(obamaExport.files['face.obj']));
    let agree = 0;
    let facing = 0;
    for (const face of obj.f) {
      const [a, b, c] = face.map(([v]) => obj.v[v]);
      const n = cross(sub(b, a), sub(c, a));
      const vn = face.map(([, , k]) => obj.vn[k]).reduce((s, x) => [s[0] + x[0], s[1] + x[1], s[2] + x[2]], [0, 0, 0]);
      if (n[0] * vn[0] + n[1] * vn[1] + n[2] * vn[2] > 0) agree++;
      if (n[2] > 0) facing++;
    }
    expect(agree / obj.f.length).toBeGreaterThan(0.995);
    // A frontal face: nearly all of the surface faces the camera (+Z); only the silhouette's sides turn away.
    expect(facing / obj.f.length).toBeGreaterThan(0.9);
  });
});

describe('metric scale and mesh frame', () => {
  it('puts the eyes 0.063 m apart and level on the X axis, the origin on the midline between them (front view)', () => {
    const [r, l] = obamaExport.mesh.eyeCentres;
    expect(obamaExport.mesh.view).toBe('front');
    expect(Math.abs(l[0] - r[0] - IPD_METRES)).toBeLessThan(1e-6);
    expect(Math.abs(r[1]) + Math.abs(l[1])).toBeLessThan(1e-6);
    // The origin is the face's midline, which a real face puts within a few millimetres of the eyes' midpoint.
    expect(Math.abs(r[0] + l[0]) / 2).toBeLessThan(0.004);
    expect(l[0]).toBeGreaterThan(r[0]); // subject's left eye on +X
  });

  it('puts the pupils at (∓0.0315, 0, 0) in the camera view, as the crop does', () => {
    const [r, l] = exportMesh(obama.views, obama.decoded, { view: 'camera' }).eyeCentres;
    expect(Math.abs(norm(sub(l, r)) - IPD_METRES) / IPD_METRES).toBeLessThan(0.01);
    expect(Math.abs(r[0] + l[0])).toBeLessThan(1e-9);
    expect(Math.abs(r[1]) + Math.abs(l[1])).toBeLessThan(1e-9);
  });

  it('keeps the eyes 0.063 m apart on the turned faces of a two-person photo, in both views', () => {
    for (const views of twoPeople.views) {
      const [r, l] = exportMesh(views, twoPeople.decoded).eyeCentres;
      expect(Math.abs(l[0] - r[0] - IPD_METRES)).toBeLessThan(1e-6);
      const [cr, cl] = exportMesh(views, twoPeople.decoded, { view: 'camera' }).eyeCentres;
      expect(Math.abs(norm(sub(cl, cr)) - IPD_METRES) / IPD_METRES).toBeLessThan(0.01);
    }
  });

  it('maps the camera-view mesh onto the head-frame mesh with cameraToHead (every vertex the completion left alone)', () => {
    for (const [views, image] of [[obama.views, obama.decoded], ...twoPeople.views.map((v) => [v, twoPeople.decoded] as const)] as const) {
      const front = exportMesh(views, image, { subdivisions: 0 });
      const camera = exportMesh(views, image, { subdivisions: 0, view: 'camera' });
      const m = views.cameraToHead;
      let checked = 0;
      for (let i = 0; i < 468; i++) {
        if (views.frame.completion[i] !== 0) continue;
        const p = [camera.positions[3 * i], camera.positions[3 * i + 1], camera.positions[3 * i + 2]];
        const q = [0, 1, 2].map((k) => m[4 * k] * p[0] + m[4 * k + 1] * p[1] + m[4 * k + 2] * p[2] + m[4 * k + 3]);
        expect(norm(sub(q, [front.positions[3 * i], front.positions[3 * i + 1], front.positions[3 * i + 2]]))).toBeLessThan(1e-5);
        checked++;
      }
      expect(checked).toBeGreaterThan(300);
    }
  });

  it('measures adult eye-corner widths in the exported OBJ, with each pupil between its eye corners', () => {
    const obj = parseObj(new TextDecoder().decode(obamaExport.files['face.obj']));
    const [r, l] = obamaExport.mesh.eyeCentres;
    // Outer canthi 33 (right) and 263 (left), inner canthi 133 and 362: adults ~ 85–105 mm and 28–38 mm.
    const outer = norm(sub(obj.v[263], obj.v[33]));
    const inner = norm(sub(obj.v[362], obj.v[133]));
    expect(outer).toBeGreaterThan(0.08);
    expect(outer).toBeLessThan(0.11);
    expect(inner).toBeGreaterThan(0.025);
    expect(inner).toBeLessThan(0.04);
    expect(r[0]).toBeGreaterThan(obj.v[33][0]);
    expect(r[0]).toBeLessThan(obj.v[133][0]);
    expect(l[0]).toBeGreaterThan(obj.v[362][0]);
    expect(l[0]).toBeLessThan(obj.v[263][0]);
  });

  const frameCases = [0, 1, 2] as const;
  it.each(frameCases)('is +Z towards the camera, +Y up, +X to the subject\'s left (obama, %i subdivisions, both views)', (subdivisions) => {
    checkFrame(exportMesh(obama.views, obama.decoded, { subdivisions }));
    checkFrame(exportMesh(obama.views, obama.decoded, { subdivisions, view: 'camera' }));
  });

  it('holds the same frame for both faces of a two-person photo', () => {
    for (const views of twoPeople.views) {
      checkFrame(exportMesh(views, twoPeople.decoded));
      checkFrame(exportMesh(views, twoPeople.decoded, { view: 'camera' }));
    }
  });

  function checkFrame(m: MeshData): void {
    const p = (i: number): number[] => [m.positions[3 * i], m.positions[3 * i + 1], m.positions[3 * i + 2]];
    const n = m.positions.length / 3;
    let zMax = -Infinity;
    let farthestInFront = -Infinity;
    for (let i = 0; i < n; i++) {
      zMax = Math.max(zMax, p(i)[2]);
      // Away from the nose (more than 2 cm from the tip), everything is behind the tip.
      if (norm(sub(p(i), p(1))) > 0.02) farthestInFront = Math.max(farthestInFront, p(i)[2]);
    }
    // The nose tip (vertex 1) is the front of the face: within 3 mm of the largest Z (FaceMesh's vertex 4, just
    // above it, is often a millimetre or two further forward), and ahead of everything not on the nose.
    expect(zMax - p(1)[2]).toBeLessThan(0.003);
    expect(p(1)[2]).toBeGreaterThan(farthestInFront);
    expect(p(1)[2]).toBeGreaterThan(0.02);
    // The nose tip's normal faces the camera.
    expect(m.normals[3 * 1 + 2]).toBeGreaterThan(0.7);
    expect(p(10)[1]).toBeGreaterThan(p(152)[1] + 0.1); // forehead above chin by > 10 cm
    expect(p(263)[0]).toBeGreaterThan(p(33)[0] + 0.07); // subject's left eye on +X
    expect(p(10)[1]).toBeGreaterThan(0); // forehead above the eye line (origin)
    expect(p(152)[1]).toBeLessThan(0);
  }
});

describe('face.glb', () => {
  it('passes the Khronos glTF validator with no errors or warnings (infos: the textures\' non-power-of-two side only)', async () => {
    const report = await validate(obamaExport.files['face.glb']);
    expect(report.issues.messages.filter((m) => m.code !== 'IMAGE_NPOT_DIMENSIONS')).toEqual([]);
    expect(report.issues.numErrors).toBe(0);
    expect(report.issues.numWarnings).toBe(0);
    expect(report.issues.numHints).toBe(0);
    expect(report.info?.generator).toBe('recon-daemon test');
  });

  it('re-reads with NodeIO to the same mesh, material and texture', async () => {
    const glb = obamaExport.files['face.glb'];
    // The JSON chunk as written (NodeIO replaces the generator with its own on reading).
    const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
    expect(view.getUint32(0, true)).toBe(0x46546c67); // 'glTF'
    const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + view.getUint32(12, true))));
    expect(json.asset).toMatchObject({ version: '2.0', generator: 'recon-daemon test', extras: { units: 'metres' } });
    expect(json.nodes).toEqual([expect.objectContaining({ name: 'face', mesh: 0 })]);
    const doc = await new NodeIO().readBinary(glb);
    const root = doc.getRoot();
    const [node] = root.listNodes();
    expect(root.listNodes()).toHaveLength(1);
    expect(node.getName()).toBe('face');
    expect(node.getExtras()).toMatchObject({ units: 'metres', interPupillaryDistance: 0.063, view: 'front', pose: obama.pose, source: { photo: 'control_obama_official_portrait.jpg', face: 0 } });
    expect((node.getExtras() as { cameraToHead: number[] }).cameraToHead).toHaveLength(16);
    expect(root.listMeshes()).toHaveLength(1);
    const [prim] = node.getMesh()!.listPrimitives();
    const { vertices, triangles } = meshCounts(1);
    for (const attr of ['POSITION', 'NORMAL', 'TEXCOORD_0']) expect(prim.getAttribute(attr)!.getCount()).toBe(vertices);
    const indices = prim.getIndices()!;
    expect(indices.getCount()).toBe(triangles * 3);
    expect(indices.getComponentType()).toBe(5123); // UNSIGNED_SHORT
    expect(Array.from(indices.getArray()!)).toEqual(Array.from(obamaExport.mesh.triangles));
    expect(Array.from(prim.getAttribute('POSITION')!.getArray()!)).toEqual(Array.from(obamaExport.mesh.positions));
    // glTF's UV origin is the top-left: v' = 1 − v.
    const uv = prim.getAttribute('TEXCOORD_0')!.getArray()!;
    for (let i = 0; i < vertices; i++) {
      expect(uv[2 * i]).toBe(obamaExport.mesh.uvs[2 * i]);
      expect(Math.abs(uv[2 * i + 1] - (1 - obamaExport.mesh.uvs[2 * i + 1]))).toBeLessThan(1e-6);
    }
    const material = prim.getMaterial()!;
    expect(material.getMetallicFactor()).toBe(0);
    expect(material.getRoughnessFactor()).toBeCloseTo(0.8, 6);
    expect(material.getDoubleSided()).toBe(false);
    const texture = material.getBaseColorTexture()!;
    expect(texture.getMimeType()).toBe('image/png');
    expect(Buffer.from(texture.getImage()!).equals(Buffer.from(obamaExport.files['texture.png']))).toBe(true);
    // The detail normal map, tangent space, the same bytes as texture-normal.png.
    const normal = material.getNormalTexture()!;
    expect(material.getNormalScale()).toBe(1);
    expect(Buffer.from(normal.getImage()!).equals(Buffer.from(obamaExport.files['texture-normal.png']))).toBe(true);
  });

  it('validates for every face of a two-person photo and for every subdivision level', async () => {
    const exports = [
      ...(await Promise.all(twoPeople.views.map((v) => exportFace(twoPeople.decoded, v)))),
      await exportFace(obama.decoded, obama.views, { subdivisions: 0 }),
      await exportFace(obama.decoded, obama.views, { subdivisions: 2, view: 'camera' }),
      await exportFace(obama.decoded, obama.views, { subdivisions: 3 }),
    ];
    for (const ex of exports) {
      const report = await validate(ex.files['face.glb']);
      expect(report.issues.numErrors).toBe(0);
      expect(report.issues.messages.filter((m) => m.code !== 'IMAGE_NPOT_DIMENSIONS')).toEqual([]);
    }
    // Two different people, two different textures.
    const [a, b] = await Promise.all(exports.slice(0, 2).map((ex) => sharp(ex.files['texture.png']).resize(64, 64).raw().toBuffer()));
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i]);
    // (Both textures share the inpainted sides beyond the face, so the mean difference is below the faces' own.)
    expect(diff / a.length).toBeGreaterThan(6);
  });

  it('switches to 32-bit indices above 65 535 vertices and still validates', async () => {
    const side = 260; // 67 600 vertices
    const n = side * side;
    const positions = new Float32Array(n * 3);
    const normals = new Float32Array(n * 3);
    const uvs = new Float32Array(n * 2);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const i = y * side + x;
        positions.set([x / 1000, y / 1000, 0], 3 * i);
        normals.set([0, 0, 1], 3 * i);
        uvs.set([x / (side - 1), y / (side - 1)], 2 * i);
      }
    }
    const tris: number[] = [];
    for (let y = 0; y + 1 < side; y++) {
      for (let x = 0; x + 1 < side; x++) {
        const i = y * side + x;
        tris.push(i, i + 1, i + side + 1, i, i + side + 1, i + side);
      }
    }
    const mesh: MeshData = { positions, normals, uvs, triangles: Uint32Array.from(tris) };
    const glb = await writeGlb(mesh, obamaExport.files['texture.png']);
    const report = await validate(glb);
    expect(report.issues.numErrors).toBe(0);
    expect(report.issues.numWarnings).toBe(0);
    const doc = await new NodeIO().readBinary(glb);
    expect(doc.getRoot().listMeshes()[0].listPrimitives()[0].getIndices()!.getComponentType()).toBe(5125); // UNSIGNED_INT
  });
});

describe('texture.png', () => {
  it('decodes to the size used, shows the face (not uniform) and keeps the face\'s mean colour', async () => {
    const png = obamaExport.files['texture.png'];
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect(info.width).toBe(info.height);
    expect(info.width).toBe(obamaExport.texture.size);
    const n = info.width * info.height;
    const mean = [0, 0, 0];
    let lum = 0;
    let lum2 = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) mean[c] += data[3 * i + c] / n;
      const y = 0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2];
      lum += y / n;
      lum2 += (y * y) / n;
    }
    expect(Math.sqrt(lum2 - lum * lum)).toBeGreaterThan(15);
    const face = photoFaceMean(obama.decoded, obama.points);
    for (let c = 0; c < 3; c++) expect(Math.abs(mean[c] - face[c]), `channel ${c}: texture ${mean} photo ${face}`).toBeLessThan(15);
  });

  it('takes an explicit size and puts the forehead at the top (v = 1 is row 0)', async () => {
    const m = obamaExport.mesh;
    const tex = projectTexture(obama.decoded, m.imagePoints, m.uvs, m.triangles, { size: 1024 });
    expect([tex.width, tex.height, tex.data.length]).toEqual([1024, 1024, 1024 * 1024 * 3]);
    // The texel under a vertex shows the photo pixel under that vertex (forehead 10, chin 152, nose tip 1).
    for (const i of [10, 152, 1, 33, 263]) {
      const tx = Math.min(1023, Math.floor(m.uvs[2 * i] * 1024));
      const ty = Math.min(1023, Math.floor((1 - m.uvs[2 * i + 1]) * 1024));
      const [x, y] = m.imagePoints[i].map((v) => Math.floor(v));
      for (let c = 0; c < 3; c++) {
        expect(Math.abs(tex.data[(ty * 1024 + tx) * 3 + c] - obama.decoded.data[(y * obama.decoded.width + x) * 3 + c])).toBeLessThan(40);
      }
    }
    expect(m.uvs[2 * 10 + 1]).toBeGreaterThan(m.uvs[2 * 152 + 1]);
  });

  it('pads the UV layout so texels just outside it carry face colour, not the fill', () => {
    const m = obamaExport.mesh;
    const size = 256;
    const padded = projectTexture(obama.decoded, m.imagePoints, m.uvs, m.triangles, { size, padding: 8 });
    const bare = projectTexture(obama.decoded, m.imagePoints, m.uvs, m.triangles, { size, padding: 0 });
    let changed = 0;
    for (let i = 0; i < size * size; i++) {
      if (padded.data[3 * i] !== bare.data[3 * i] || padded.data[3 * i + 1] !== bare.data[3 * i + 1] || padded.data[3 * i + 2] !== bare.data[3 * i + 2]) changed++;
    }
    // Eight rings around a face outline ~3 × 256 texels long.
    expect(changed).toBeGreaterThan(8 * 256);
    expect(changed).toBeLessThan(8 * 256 * 8);
  });

  it('rejects a size outside 64–4096 with the option wording', () => {
    const m = obamaExport.mesh;
    const err = (() => {
      try {
        projectTexture(obama.decoded, m.imagePoints, m.uvs, m.triangles, { size: 32 });
      } catch (e) {
        return e;
      }
    })() as ReconError;
    expect(err).toBeInstanceOf(ReconError);
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toBe('Expected "auto" or an integer 64–4096 for size but received 32');
  });
});
