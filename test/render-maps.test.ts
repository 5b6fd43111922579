// The image outputs on real photos with the real models: structure, depth, normal and mask maps and the
// aligned crop (src/recon/outputs/maps.ts), checked against the properties of architecture note §5.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalAlignment, toCrop, type Alignment } from '../src/recon/align.js';
import { buildFaceMesh, type FaceMesh } from '../src/recon/mesh/build.js';
import { MAPS_DEFAULTS, renderFaceImages, renderMaps, type FaceImages } from '../src/recon/outputs/maps.js';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import type { DecodedImage, Vec3 } from '../src/recon/types.js';
import { casePath, landmarkPhoto } from './helpers/paths.js';

const S = 256;

interface Face {
  image: DecodedImage;
  /** Image-space points (478). */
  points: Vec3[];
  alignment: Alignment;
  crop: Vec3[];
  mesh: FaceMesh;
  out: FaceImages;
}

let engine: Engine;
const faces = new Map<string, Face>();

/** Reconstruct a photo once and render its images; `pick` chooses among the faces (default: the largest). */
async function face(file: string, pick?: (boxes: number[][]) => number): Promise<Face> {
  const key = file + (pick ? pick.toString() : '');
  const known = faces.get(key);
  if (known) return known;
  const r = await engine.reconstruct(file, { faces: 'all' });
  const k = pick ? pick(r.faces.map((f) => f.box)) : 0;
  const points = r.faces[k].points!;
  const alignment = canonicalAlignment(points, S);
  const crop = toCrop(points, alignment);
  const mesh = buildFaceMesh(crop);
  const out = await renderFaceImages(r.decoded, alignment, mesh);
  const f = { image: r.decoded, points, alignment, crop, mesh, out };
  faces.set(key, f);
  return f;
}

const leftmost = (boxes: number[][]): number => boxes.reduce((best, b, k) => (b[0] < boxes[best][0] ? k : best), 0);

beforeAll(async () => {
  engine = await createEngine();
});
afterAll(async () => {
  await engine.dispose();
});

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Correlation of a map with its horizontal mirror image, over pixels fully inside the mask on both sides. */
function mirrorSymmetry(map: Uint8Array, mask: Uint8Array): number {
  const a: number[] = [];
  const b: number[] = [];
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const p = y * S + x;
      const q = y * S + (S - 1 - x);
      if (mask[p] === 255 && mask[q] === 255) {
        a.push(map[p]);
        b.push(map[q]);
      }
    }
  }
  return pearson(a, b);
}

/** Mean of a map over a disc of radius r around the centroid of some crop-frame landmarks. */
function regionMean(map: Uint8Array, crop: Vec3[], ids: number[], r = 0.025 * S): number {
  const cx = ids.reduce((s, i) => s + crop[i][0], 0) / ids.length;
  const cy = ids.reduce((s, i) => s + crop[i][1], 0) / ids.length;
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(cy - r); y <= cy + r; y++) {
    for (let x = Math.floor(cx - r); x <= cx + r; x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r) continue;
      sum += map[y * S + x];
      n++;
    }
  }
  return sum / n;
}

const luminance = (rgb: Uint8Array, p: number): number => 0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2];
const pixelOf = (p: Vec3): number => Math.floor(p[1]) * S + Math.floor(p[0]);

async function rawGrey16(png: Buffer): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  return sharp(png).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
}

// Measured: Obama 0.90 / 0.87, Collins 0.98 / 0.95 (detail 0 / default 0.5); the photo's detail layer carries
// the asymmetries of the real face and its lighting, the geometry alone is nearly symmetric.
describe.each([
  ['control_obama_official_portrait.jpg', 0.85, 0.8],
  ['astronaut_eileen_collins.png', 0.93, 0.9],
])('structure map of the frontal photo %s', (file, minPlain, minDefault) => {
  it(`is mirror-symmetric: r > ${minPlain} without detail, r > ${minDefault} at the default detail`, async () => {
    const f = await face(casePath(file));
    const plain = renderMaps(f.mesh, S, undefined, { detail: 0 });
    expect(mirrorSymmetry(plain.structure, plain.mask)).toBeGreaterThan(minPlain);
    expect(MAPS_DEFAULTS.detail).toBe(0.5);
    expect(mirrorSymmetry(f.out.maps.structure, f.out.maps.mask)).toBeGreaterThan(minDefault);
  });

  it('shows the nose tip brighter than both eye sockets, with and without detail', async () => {
    const f = await face(casePath(file));
    for (const map of [f.out.maps.structure, renderMaps(f.mesh, S, undefined, { detail: 0 }).structure]) {
      const nose = regionMean(map, f.crop, [1, 4]);
      const rightEye = regionMean(map, f.crop, [159, 145]);
      const leftEye = regionMean(map, f.crop, [386, 374]);
      expect(nose - rightEye).toBeGreaterThan(40);
      expect(nose - leftEye).toBeGreaterThan(40);
    }
  });

  it('is 0 outside the mask, as are depth and normal, and positive over the face', async () => {
    const { maps } = (await face(casePath(file))).out;
    let inside = 0;
    let bad = 0;
    for (let p = 0; p < S * S; p++) {
      if (maps.mask[p] === 0) {
        if (maps.structure[p] !== 0 || maps.depth[p] !== 0 || maps.normal[3 * p] + maps.normal[3 * p + 1] + maps.normal[3 * p + 2] !== 0) bad++;
      } else {
        if (maps.depth[p] === 0) bad++;
        if (maps.mask[p] === 255) {
          if (maps.structure[p] === 0) bad++;
          inside++;
        }
      }
    }
    expect(bad).toBe(0);
    expect(inside).toBeGreaterThan(0.25 * S * S);
  });
});

describe('depth and normal maps', () => {
  it('put the nearest point at the nose tip', async () => {
    for (const file of ['control_obama_official_portrait.jpg', 'astronaut_eileen_collins.png']) {
      const f = await face(casePath(file));
      const { depth } = f.out.maps;
      let best = 0;
      for (let p = 1; p < S * S; p++) if (depth[p] > depth[best]) best = p;
      expect(depth[best]).toBe(65535);
      const [x, y] = [(best % S) + 0.5, Math.floor(best / S) + 0.5];
      const dist = Math.min(...[1, 4].map((i) => Math.hypot(f.crop[i][0] - x, f.crop[i][1] - y)));
      expect(dist, file).toBeLessThan(0.02 * S);
    }
  });

  it('decode back to mesh-space metres with depthScale', async () => {
    const f = await face(casePath('control_obama_official_portrait.jpg'));
    const { depth, depthScale } = f.out.maps;
    const { data, info } = await rawGrey16(f.out.files['depth.png']!);
    expect([info.channels, info.depth]).toEqual([1, 'ushort']);
    expect(new Uint16Array(data.buffer, data.byteOffset, S * S)).toEqual(depth);
    // The smoothed nose-tip vertex (1) in mesh space vs the depth value under it.
    const p = pixelOf([f.mesh.positions[3], f.mesh.positions[4], 0]);
    const zMetres = depthScale.farMetres + (depth[p] - 1) * depthScale.metresPerUnit;
    expect(Math.abs(zMetres - -f.mesh.positions[5] * f.alignment.metresPerPixel)).toBeLessThan(0.001);
    expect(depthScale.metresPerPixel).toBe(f.alignment.metresPerPixel);
    // A face is a few centimetres deep: the nose 3–7 cm in front of the pupils' plane, the outline behind it.
    expect(depthScale.nearMetres).toBeGreaterThan(0.02);
    expect(depthScale.nearMetres).toBeLessThan(0.08);
    expect(depthScale.farMetres).toBeLessThan(0);
  });

  it('point the normals at the camera at the nose tip and outwards at the sides (mesh frame: +X right, +Y up, +Z to the camera)', async () => {
    const f = await face(casePath('control_obama_official_portrait.jpg'));
    const { data, info } = await sharp(f.out.files['normal.png']!).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    const n = (p: number): number[] => [0, 1, 2].map((c) => (data[3 * p + c] / 255) * 2 - 1);
    const { depth, mask } = f.out.maps;
    let nearest = 0;
    for (let p = 1; p < S * S; p++) if (depth[p] > depth[nearest]) nearest = p;
    expect(n(nearest)[2]).toBeGreaterThan(0.95);
    expect(n(pixelOf(f.crop[4]))[2]).toBeGreaterThan(0.85);
    // Left and right quarter of the face's width: X points left and right; the brow up, below the chin down.
    let [xmin, xmax] = [S, 0];
    for (let p = 0; p < S * S; p++) {
      if (mask[p] !== 255) continue;
      xmin = Math.min(xmin, p % S);
      xmax = Math.max(xmax, p % S);
    }
    const meanX = (from: number, to: number): number => {
      let s = 0;
      let c = 0;
      for (let p = 0; p < S * S; p++) {
        const x = p % S;
        if (mask[p] === 255 && x >= from && x < to) {
          s += n(p)[0];
          c++;
        }
      }
      return s / c;
    };
    const w = xmax - xmin;
    expect(meanX(xmin, xmin + w / 4)).toBeLessThan(-0.3);
    expect(meanX(xmax - w / 4, xmax + 1)).toBeGreaterThan(0.3);
    expect(n(pixelOf(f.crop[152]) - 3 * S)[1]).toBeLessThan(-0.2); // just above the chin (152): facing down
    expect(n(pixelOf(f.crop[10]) + 4 * S)[1]).toBeGreaterThan(0.2); // just below the forehead top (10): facing up
  });
});

describe('mask', () => {
  it('has an anti-aliased edge: intermediate values all along the outline and only there', async () => {
    const { mask } = (await face(casePath('control_obama_official_portrait.jpg'))).out.maps;
    let partial = 0;
    let inner = 0;
    for (let y = 2; y < S - 2; y++) {
      for (let x = 2; x < S - 2; x++) {
        const m = mask[y * S + x];
        if (m === 0 || m === 255) continue;
        partial++;
        let nearBackground = false;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) if (mask[(y + dy) * S + x + dx] === 0) nearBackground = true;
        if (!nearBackground) inner++;
      }
    }
    expect(partial).toBeGreaterThan(300);
    expect(inner).toBe(0);
  });

  it('leaves no holes in a turned face (yaw ≈ −54°) where the face is visible', async () => {
    const f = await face(landmarkPhoto('aflw2000_image02420.jpg'));
    const { mask, depth } = f.out.maps;
    // Flood the background from the border; any uncovered pixel it cannot reach is a hole in the face.
    const seen = new Uint8Array(S * S);
    const stack: number[] = [];
    for (let i = 0; i < S; i++) stack.push(i, (S - 1) * S + i, i * S, i * S + S - 1);
    while (stack.length) {
      const p = stack.pop()!;
      if (seen[p] || mask[p] !== 0) continue;
      seen[p] = 1;
      const [x, y] = [p % S, Math.floor(p / S)];
      if (x > 0) stack.push(p - 1);
      if (x < S - 1) stack.push(p + 1);
      if (y > 0) stack.push(p - S);
      if (y < S - 1) stack.push(p + S);
    }
    let holes = 0;
    let covered = 0;
    for (let p = 0; p < S * S; p++) {
      if (mask[p] === 0 && !seen[p]) holes++;
      if (mask[p] > 0) {
        covered++;
        if (depth[p] === 0) holes++;
      }
    }
    expect(holes).toBe(0);
    expect(covered).toBeGreaterThan(0.2 * S * S);
  });
});

describe('crop.png', () => {
  it('puts the pupils where the crop frame says: dark spots at (0.36·S, 0.4·S) and (0.64·S, 0.4·S)', async () => {
    const { crop } = (await face(casePath('astronaut_eileen_collins.png'))).out;
    for (const cx of [0.36 * S, 0.64 * S]) {
      const cy = 0.4 * S;
      const centre = luminance(crop, Math.floor(cy) * S + Math.floor(cx));
      let ring = 0;
      for (let k = 0; k < 16; k++) {
        const a = (k / 16) * 2 * Math.PI;
        ring += luminance(crop, Math.floor(cy + 0.06 * S * Math.sin(a)) * S + Math.floor(cx + 0.06 * S * Math.cos(a))) / 16;
      }
      expect(centre).toBeLessThan(ring - 40);
    }
  });
});

describe('lighting', () => {
  it('makes two photos of one face under different light closer than their crops are', async () => {
    const a = await face(casePath('control_obama_official_portrait.jpg'));
    const b = await face(casePath('two_people.jpg'), leftmost);
    const sa: number[] = [];
    const sb: number[] = [];
    const ca: number[] = [];
    const cb: number[] = [];
    for (let p = 0; p < S * S; p++) {
      if (a.out.maps.mask[p] !== 255 || b.out.maps.mask[p] !== 255) continue;
      sa.push(a.out.maps.structure[p]);
      sb.push(b.out.maps.structure[p]);
      ca.push(luminance(a.out.crop, p));
      cb.push(luminance(b.out.crop, p));
    }
    expect(sa.length).toBeGreaterThan(0.25 * S * S);
    const structure = pearson(sa, sb);
    const crops = pearson(ca, cb);
    expect(structure).toBeGreaterThan(crops + 0.15);
    expect(structure).toBeGreaterThan(0.6);
  });
});

describe('renderFaceImages', () => {
  it('encodes every file in its documented format', async () => {
    const { files } = (await face(casePath('control_obama_official_portrait.jpg'))).out;
    const expected: Record<string, [number, string]> = {
      'crop.png': [3, 'uchar'],
      'structure.png': [1, 'uchar'],
      'depth.png': [1, 'ushort'],
      'normal.png': [3, 'uchar'],
      'mask.png': [1, 'uchar'],
    };
    expect(Object.keys(files).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [channels, depth]] of Object.entries(expected)) {
      const m = await sharp(files[name as keyof typeof files]!).metadata();
      expect([m.format, m.width, m.height, m.channels, m.depth], name).toEqual(['png', S, S, channels, depth]);
    }
  });

  it('encodes only the outputs asked for, at other sizes too', async () => {
    const f = await face(casePath('astronaut_eileen_collins.png'));
    const size = 512;
    const alignment = canonicalAlignment(f.points, size);
    const out = await renderFaceImages(f.image, alignment, buildFaceMesh(toCrop(f.points, alignment)), {
      outputs: ['structure.png', 'mask.png'],
      detail: 1,
    });
    expect(Object.keys(out.files).sort()).toEqual(['mask.png', 'structure.png']);
    expect((await sharp(out.files['structure.png']!).metadata()).width).toBe(size);
    expect(out.maps.structure.length).toBe(size * size);
  });

  it('rejects bad options with the standard wording', async () => {
    const f = await face(casePath('astronaut_eileen_collins.png'));
    expect(() => renderMaps(f.mesh, S, undefined, { detail: 2 })).toThrow('Expected number 0–1 for detail but received 2');
    expect(() => renderMaps(f.mesh, 2000)).toThrow('Expected integer 128–1024 for size but received 2000');
    expect(() => renderMaps(f.mesh, S, undefined, { depthRange: { nearMetres: -1, farMetres: 1 } })).toThrow(/for depthRange/);
    await expect(renderFaceImages(f.image, f.alignment, f.mesh, { outputs: ['face.obj' as 'mask.png'] })).rejects.toThrow(
      'Expected names from crop.png, structure.png, depth.png, normal.png, mask.png for outputs but received "face.obj"',
    );
  });
});
