// The software rasteriser (src/recon/render/raster.ts), the blur filters and the crop resampler on
// synthetic input whose exact answer is known.
import { describe, expect, it } from 'vitest';
import { vertexNormals, type FaceMesh } from '../src/recon/mesh/build.js';
import { boxBlur, maskedBlur } from '../src/recon/render/filters.js';
import { rasterize } from '../src/recon/render/raster.js';
import { resampleToCrop } from '../src/recon/render/resample.js';
import type { Affine } from '../src/recon/geometry.js';

/**
 * A mesh from crop-frame positions and triangles. Front faces run counter-clockwise as seen in the picture
 * (the crop and the mesh's front view are the same picture), which is a negative signed area in y-down
 * coordinates.
 */
function meshOf(positions: number[], triangles: number[], uvs?: number[]): FaceMesh {
  const pos = new Float32Array(positions);
  const tri = new Uint32Array(triangles);
  return {
    positions: pos,
    normals: vertexNormals(pos, tri),
    uvs: new Float32Array(uvs ?? new Array((positions.length / 3) * 2).fill(0)),
    triangles: tri,
    baseVertexCount: positions.length / 3,
    subdivisions: 0,
  };
}

/** An axis-aligned rectangle at depth z(x, y) as two front-facing triangles. */
function rect(x0: number, y0: number, x1: number, y1: number, z: (x: number, y: number) => number = () => 0): FaceMesh {
  // Top-left, bottom-left, bottom-right, top-right: counter-clockwise in the picture, front-facing.
  const corners = [
    [x0, y0],
    [x0, y1],
    [x1, y1],
    [x1, y0],
  ];
  return meshOf(
    corners.flatMap(([x, y]) => [x, y, z(x, y)]),
    [0, 1, 2, 0, 2, 3],
    [0, 1, 0, 0, 1, 0, 1, 1],
  );
}

/** A jittered n×n grid over [x0, x1]², two triangles per cell, for crack hunting. */
function jitteredGrid(x0: number, x1: number, n: number, seed = 1): FaceMesh {
  let s = seed;
  const rand = (): number => ((s = (s * 16807) % 2147483647) / 2147483647);
  const pos: number[] = [];
  const step = (x1 - x0) / n;
  for (let j = 0; j <= n; j++) {
    for (let i = 0; i <= n; i++) {
      const inner = i > 0 && j > 0 && i < n && j < n;
      pos.push(x0 + i * step + (inner ? (rand() - 0.5) * step * 0.8 : 0), x0 + j * step + (inner ? (rand() - 0.5) * step * 0.8 : 0), rand());
    }
  }
  const tri: number[] = [];
  const v = (i: number, j: number): number => j * (n + 1) + i;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      tri.push(v(i, j), v(i + 1, j + 1), v(i + 1, j), v(i, j), v(i, j + 1), v(i + 1, j + 1));
    }
  }
  return meshOf(pos, tri);
}

const sum = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);

describe('rasterize', () => {
  it('covers a pixel-aligned square exactly: coverage 1 inside, 0 outside, area preserved', () => {
    const r = rasterize(rect(10, 10, 20, 20, () => 5), 32);
    for (let j = 0; j < 32; j++) {
      for (let i = 0; i < 32; i++) {
        const inside = i >= 10 && i < 20 && j >= 10 && j < 20;
        expect(r.coverage[j * 32 + i]).toBe(inside ? 1 : 0);
        expect(r.depth[j * 32 + i]).toBe(inside ? 5 : Infinity);
      }
    }
    expect(sum(r.coverage)).toBe(100);
  });

  it('anti-aliases edges: half-covered pixels get 0.5, corners 0.25, and the area stays exact', () => {
    const r = rasterize(rect(10.5, 10.5, 20.5, 20.5), 32);
    expect(sum(r.coverage)).toBe(100);
    expect(r.coverage[10 * 32 + 15]).toBe(0.5); // top edge
    expect(r.coverage[15 * 32 + 20]).toBe(0.5); // right edge
    expect(r.coverage[10 * 32 + 10]).toBe(0.25); // corner
    expect(r.coverage[15 * 32 + 15]).toBe(1);
  });

  it('keeps the area of a rotated square to within 1 % and gives its edge pixels partial coverage', () => {
    const c = 32;
    const h = 12;
    const a = 0.4;
    const pts = [0, 1, 2, 3].map((k) => {
      const t = a + (k * Math.PI) / 2;
      return [c + h * Math.SQRT2 * Math.cos(t + Math.PI / 4), c + h * Math.SQRT2 * Math.sin(t + Math.PI / 4), 0];
    });
    const r = rasterize(meshOf(pts.flat(), [0, 1, 2, 0, 2, 3]), 64);
    expect(Math.abs(sum(r.coverage) - (2 * h) ** 2) / (2 * h) ** 2).toBeLessThan(0.01);
    const partial = r.coverage.filter((v) => v > 0 && v < 1).length;
    expect(partial).toBeGreaterThan(4 * 2 * h * 0.8);
  });

  it('leaves no cracks inside a jittered triangle grid', () => {
    const r = rasterize(jitteredGrid(4, 60, 14), 64);
    for (let j = 5; j < 59; j++) {
      for (let i = 5; i < 59; i++) expect(r.coverage[j * 64 + i]).toBe(1);
    }
    expect(sum(r.coverage)).toBeCloseTo(56 * 56, 6);
  });

  it('interpolates depth exactly on a plane and keeps the plane normal', () => {
    const plane = (x: number, y: number): number => 0.5 * x + 0.25 * y - 3;
    const r = rasterize(rect(2, 2, 30, 30, plane), 32);
    const len = Math.hypot(0.5, 0.25, -1);
    for (const [i, j] of [
      [2, 2],
      [16, 9],
      [29, 29],
    ]) {
      const p = j * 32 + i;
      expect(r.depth[p]).toBeCloseTo(plane(i + 0.5, j + 0.5), 3);
      expect(r.normal[3 * p]).toBeCloseTo(0.5 / len, 4);
      expect(r.normal[3 * p + 1]).toBeCloseTo(0.25 / len, 4);
      expect(r.normal[3 * p + 2]).toBeCloseTo(-1 / len, 4);
    }
  });

  it('keeps the nearest surface: smallest z wins whatever the drawing order', () => {
    const far = rect(0, 0, 16, 16, () => 10);
    const near = rect(4, 4, 12, 12, () => 2);
    for (const [a, b] of [
      [far, near],
      [near, far],
    ]) {
      const both = meshOf([...a.positions, ...b.positions], [...a.triangles, ...[...b.triangles].map((t) => t + 4)]);
      const r = rasterize(both, 16);
      expect(r.depth[8 * 16 + 8]).toBe(2);
      expect(r.depth[1 * 16 + 1]).toBe(10);
    }
  });

  it('draws back faces unless asked to cull them', () => {
    const back = meshOf([2, 2, 0, 10, 2, 0, 10, 10, 0], [0, 1, 2]); // clockwise in the picture: facing away
    expect(sum(rasterize(back, 12).coverage)).toBeGreaterThan(20);
    expect(sum(rasterize(back, 12, { cullBackFaces: true }).coverage)).toBe(0);
  });

  it('interpolates UVs on request', () => {
    const r = rasterize(rect(0, 0, 16, 16), 16, { uv: true });
    const p = 4 * 16 + 12; // pixel centre (12.5, 4.5)
    expect(r.uv![2 * p]).toBeCloseTo(12.5 / 16, 5);
    expect(r.uv![2 * p + 1]).toBeCloseTo(1 - 4.5 / 16, 5);
  });

  it('gives every partly covered pixel a depth and a normal, and none to the background', () => {
    const r = rasterize(jitteredGrid(3.3, 20.7, 5, 7), 24);
    for (let p = 0; p < 24 * 24; p++) {
      const covered = r.coverage[p] > 0;
      expect(Number.isFinite(r.depth[p])).toBe(covered);
      expect(Math.hypot(r.normal[3 * p], r.normal[3 * p + 1], r.normal[3 * p + 2])).toBeCloseTo(covered ? 1 : 0, 5);
    }
  });

  it('reuses target buffers and clips triangles outside the image', () => {
    const first = rasterize(rect(-10, -10, 40, 8), 16);
    const again = rasterize(rect(4, 4, 8, 8), 16, { target: first });
    expect(again).toBe(first);
    expect(sum(again.coverage)).toBe(16);
  });
});

describe('filters', () => {
  it('boxBlur matches a direct (2r+1)² mean with zeros outside', () => {
    const w = 13;
    const h = 7;
    const src = Float32Array.from({ length: w * h }, (_, i) => Math.sin(i * 1.7) + 1);
    const r = 2;
    const got = boxBlur(src, w, h, r, 1);
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        let s = 0;
        for (let dj = -r; dj <= r; dj++) {
          for (let di = -r; di <= r; di++) {
            const [x, y] = [i + di, j + dj];
            if (x >= 0 && y >= 0 && x < w && y < h) s += src[y * w + x];
          }
        }
        expect(got[j * w + i]).toBeCloseTo(s / (2 * r + 1) ** 2, 5);
      }
    }
  });

  it.each([3, 20])('maskedBlur of a constant inside a mask is that constant (radius %i)', (radius) => {
    const s = 96;
    const values = new Float32Array(s * s).fill(1000); // outside the mask the values must not leak in
    const weights = new Float32Array(s * s);
    for (let j = 20; j < 70; j++) for (let i = 30; i < 80; i++) {
      weights[j * s + i] = 1;
      values[j * s + i] = 7;
    }
    const out = maskedBlur(values, weights, s, s, radius);
    for (let j = 20; j < 70; j += 7) for (let i = 30; i < 80; i += 7) expect(out[j * s + i]).toBeCloseTo(7, 4);
    expect(out[5 * s + 5]).toBe(0);
  });
});

describe('resampleToCrop', () => {
  const img = (w: number, h: number, f: (x: number, y: number) => number) => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(f(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
    return { data, width: w, height: h };
  };

  it('copies the image through an integer shift', () => {
    const src = img(40, 40, (x, y) => (x * 7 + y * 13) % 256);
    const shift: Affine = [1, 0, -5, 0, 1, -8];
    const { rgb, valid } = resampleToCrop(src, shift, 16);
    for (let v = 0; v < 16; v++) for (let u = 0; u < 16; u++) expect(rgb[(v * 16 + u) * 3]).toBe(src.data[((v + 8) * 40 + u + 5) * 3]);
    expect(valid.every((x) => x === 1)).toBe(true);
  });

  it('does not alias when it shrinks: a one-pixel checkerboard comes out nearly flat grey', () => {
    // A single bilinear tap per pixel would return 0s and 255s; the f×f box keeps at most 1/f² of the
    // amplitude (odd f), and nothing for even f.
    const src = img(200, 200, (x, y) => ((x + y) % 2 ? 255 : 0));
    for (const k of [2, 3, 4.4]) {
      const { rgb } = resampleToCrop(src, [1 / k, 0, 0, 0, 1 / k, 0], 32);
      const grey = Array.from({ length: 30 * 32 }, (_, p) => rgb[p * 3]);
      expect(Math.max(...grey) - Math.min(...grey)).toBeLessThan(k === 3 ? 0.25 * 255 : 3);
    }
  });

  it('enlarges smoothly and keeps flat regions flat; black and invalid outside the photo', () => {
    const src = img(20, 20, () => 90);
    const { rgb, valid } = resampleToCrop(src, [2.5, 0, 0, 0, 2.5, 0], 64);
    expect(rgb[(10 * 64 + 10) * 3]).toBe(90);
    expect(rgb[(60 * 64 + 60) * 3]).toBe(0);
    expect(valid[10 * 64 + 10]).toBe(1);
    expect(valid[60 * 64 + 60]).toBe(0);
  });
});
