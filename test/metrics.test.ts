import { describe, expect, it } from 'vitest';
import { boundingBox, centreInside, iou, mean, nmeBox, nmeInterocular } from '../src/recon/metrics.js';

/** 68 points, outer eye corners 36 and 45 at (0,0) and (100,0), all others at (50,50). */
function gt68(): [number, number][] {
  const pts: [number, number][] = Array.from({ length: 68 }, () => [50, 50] as [number, number]);
  pts[36] = [0, 0];
  pts[45] = [100, 0];
  return pts;
}

describe('iou', () => {
  it('is 1 for identical boxes', () => {
    expect(iou([10, 20, 30, 40], [10, 20, 30, 40])).toBe(1);
  });
  it('is 0 for disjoint or touching boxes', () => {
    expect(iou([0, 0, 10, 10], [20, 20, 5, 5])).toBe(0);
    expect(iou([0, 0, 10, 10], [10, 0, 10, 10])).toBe(0);
  });
  it('matches a hand-computed partial overlap', () => {
    // overlap 5×10 = 50; union 100 + 100 − 50 = 150
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(1 / 3, 12);
    // one box inside another: 4 / 16
    expect(iou([0, 0, 4, 4], [1, 1, 2, 2])).toBeCloseTo(0.25, 12);
  });
  it('is 0 for empty boxes', () => {
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });
});

describe('nmeBox', () => {
  it('is 0 for a perfect prediction', () => {
    const g = gt68();
    expect(nmeBox(g, g, [0, 0, 100, 50])).toBe(0);
  });
  it('divides the mean error by sqrt(w·h)', () => {
    const g = gt68();
    // every point off by (3, 4) → error 5; box 100 × 25 → norm 50; NME 0.1
    const p = g.map(([x, y]) => [x + 3, y + 4] as [number, number]);
    expect(nmeBox(p, g, [0, 0, 100, 25])).toBeCloseTo(0.1, 12);
  });
  it('averages over points', () => {
    const g: [number, number][] = [[0, 0], [10, 0]];
    const p: [number, number][] = [[0, 0], [10, 8]]; // errors 0 and 8 → mean 4; norm 20
    expect(nmeBox(p, g, [0, 0, 20, 20])).toBeCloseTo(0.2, 12);
  });
  it('rejects mismatched counts and empty boxes', () => {
    expect(() => nmeBox([[0, 0]], [[0, 0], [1, 1]], [0, 0, 1, 1])).toThrow(RangeError);
    expect(() => nmeBox([[0, 0]], [[0, 0]], [0, 0, 0, 10])).toThrow(RangeError);
  });
});

describe('nmeInterocular', () => {
  it('divides the mean error by the outer-eye-corner distance', () => {
    const g = gt68();
    // one point off by 68 px → mean error 1 px; inter-ocular 100 → 0.01
    const p = g.map((q) => [q[0], q[1]] as [number, number]);
    p[10] = [p[10][0] + 68, p[10][1]];
    expect(nmeInterocular(p, g)).toBeCloseTo(0.01, 12);
  });
  it('needs 68 points', () => {
    expect(() => nmeInterocular([[0, 0]], [[0, 0]])).toThrow(RangeError);
  });
});

describe('helpers', () => {
  it('boundingBox is the tight extent', () => {
    expect(boundingBox([[3, 4], [1, 9], [7, 2]])).toEqual([1, 2, 6, 7]);
  });
  it('centreInside tests the centre of the first box', () => {
    expect(centreInside([0, 0, 10, 10], [4, 4, 2, 2])).toBe(true);
    expect(centreInside([0, 0, 10, 10], [6, 6, 10, 10])).toBe(false);
  });
  it('mean of nothing is NaN', () => {
    expect(mean([])).toBeNaN();
    expect(mean([1, 2, 3])).toBe(2);
  });
});

// The 468→68 table is what the metrics above score; keep it well formed.
describe('MESH_TO_68 table', () => {
  it('has 68 points of mesh vertices whose weights sum to 1', async () => {
    const { MESH_TO_68 } = await import('../src/recon/landmarks68.js');
    expect(MESH_TO_68).toHaveLength(68);
    for (const combo of MESH_TO_68) {
      expect(combo.length).toBeGreaterThan(0);
      for (const [i, w] of combo) {
        expect(Number.isInteger(i) && i >= 0 && i < 468).toBe(true);
        expect(w).toBeGreaterThan(0);
      }
      expect(combo.reduce((s, [, w]) => s + w, 0)).toBeCloseTo(1, 6);
    }
  });
  it('maps a mesh whose every vertex sits at one point to that point, with and without silhouette', async () => {
    const { landmarks68From } = await import('../src/recon/landmarks68.js');
    const pts = Array.from({ length: 478 }, () => [10, 20, 0] as [number, number, number]);
    for (const opts of [{}, { silhouette: true }, { silhouette: true, yawDeg: 40 }]) {
      for (const [x, y] of landmarks68From(pts, opts)) {
        expect(x).toBeCloseTo(10, 9);
        expect(y).toBeCloseTo(20, 9);
      }
    }
    expect(() => landmarks68From(pts.slice(0, 100))).toThrow(RangeError);
  });
});
