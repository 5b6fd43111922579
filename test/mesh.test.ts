// The dense face surface (src/recon/mesh/build.ts): counts per subdivision level, topology, winding,
// normals and UVs. Pure maths, so these run on the topology's own reference face, no models needed.
import { describe, expect, it } from 'vitest';
import { buildFaceMesh, meshCounts, mirrorVertices, vertexNormals, type FaceMesh } from '../src/recon/mesh/build.js';
import { faceTopology } from '../src/recon/mesh/topology.js';
import type { Vec3 } from '../src/recon/types.js';

/** The reference face (outer eye corners 1 apart) placed in a 256² crop like a real face: 100 px per unit. */
function referenceCropPoints(): Vec3[] {
  return faceTopology().reference.map((p) => [128 + 100 * p[0], 110 + 100 * p[1], 100 * p[2]] as Vec3);
}

function edgeUse(mesh: FaceMesh): Map<number, number> {
  const n = mesh.positions.length / 3;
  const use = new Map<number, number>();
  const t = mesh.triangles;
  for (let i = 0; i < t.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const a = t[i + k];
      const b = t[i + ((k + 1) % 3)];
      const key = Math.min(a, b) * n + Math.max(a, b);
      use.set(key, (use.get(key) ?? 0) + 1);
    }
  }
  return use;
}

describe('buildFaceMesh', () => {
  const points = referenceCropPoints();

  it.each([
    [0, 468, 898],
    [1, 1833, 3592],
    [2, 7257, 14368],
    [3, 28881, 57472],
  ] as const)('has the documented counts at %i subdivisions: %i vertices, %i triangles', (subdivisions, vertices, triangles) => {
    const m = buildFaceMesh(points, { subdivisions });
    expect(m.positions.length).toBe(vertices * 3);
    expect(m.normals.length).toBe(vertices * 3);
    expect(m.uvs.length).toBe(vertices * 2);
    expect(m.triangles.length).toBe(triangles * 3);
    expect(m.baseVertexCount).toBe(468);
    expect(m.subdivisions).toBe(subdivisions);
    expect(meshCounts(subdivisions)).toEqual({ vertices, triangles });
    expect(m.triangles.reduce((a, b) => Math.max(a, b), 0)).toBe(vertices - 1);
  });

  it('subdivides once by default', () => {
    expect(buildFaceMesh(points).subdivisions).toBe(1);
  });

  it('stays a manifold disc with one outline, the face oval, that doubles per level', () => {
    for (const subdivisions of [0, 1, 2] as const) {
      const m = buildFaceMesh(points, { subdivisions });
      const use = [...edgeUse(m).values()];
      expect(use.every((u) => u === 1 || u === 2)).toBe(true);
      const boundary = use.filter((u) => u === 1).length;
      expect(boundary).toBe(36 * 2 ** subdivisions);
      // Euler characteristic of a disc: V − E + F = 1.
      expect(m.positions.length / 3 - use.length + m.triangles.length / 3).toBe(1);
    }
  });

  it('ignores the iris points of a 478-point face', () => {
    const withIris = [...points, ...Array.from({ length: 10 }, () => [999, 999, 999] as Vec3)];
    expect(buildFaceMesh(withIris).positions).toEqual(buildFaceMesh(points).positions);
  });

  it('winds every triangle counter-clockwise in its UV layout, and all but the folds of a frontal view seen from the camera (+Y up)', () => {
    const m = buildFaceMesh(points, { subdivisions: 0 });
    const P = m.positions;
    let ccw = 0;
    let ccwUv = 0;
    for (let t = 0; t < m.triangles.length; t += 3) {
      const [a, b, c] = [m.triangles[t], m.triangles[t + 1], m.triangles[t + 2]].map((i) => [P[3 * i], -P[3 * i + 1]]); // mesh x, y
      if ((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) > 0) ccw++;
      const [u, v, w] = [m.triangles[t], m.triangles[t + 1], m.triangles[t + 2]].map((i) => [m.uvs[2 * i], m.uvs[2 * i + 1]]);
      if ((v[0] - u[0]) * (w[1] - u[1]) - (v[1] - u[1]) * (w[0] - u[0]) > 0) ccwUv++;
    }
    expect(ccwUv).toBe(m.triangles.length / 3);
    // The reference face seen from the front turns over at the cheeks' extremes and the lips' corners: 14 small
    // triangles (1.6 %) face away there.
    expect(ccw).toBeGreaterThan(0.98 * (m.triangles.length / 3));
  });

  it('is left-right symmetric: every vertex, UV and triangle has a mirror twin at every level', () => {
    for (const subdivisions of [0, 1, 2] as const) {
      const m = buildFaceMesh(points, { subdivisions });
      const mirror = mirrorVertices(subdivisions);
      const n = m.positions.length / 3;
      expect(mirror.length).toBe(n);
      let midline = 0;
      for (let i = 0; i < n; i++) {
        const j = mirror[i];
        expect(mirror[j]).toBe(i);
        if (j === i) midline++;
        expect(m.uvs[2 * j]).toBeCloseTo(1 - m.uvs[2 * i], 6);
        expect(m.uvs[2 * j + 1]).toBeCloseTo(m.uvs[2 * i + 1], 6);
      }
      expect(midline).toBeGreaterThanOrEqual(28);
      const key = (t: number[]): string => [...t].sort((a, b) => a - b).join(',');
      const tris = new Set<string>();
      for (let t = 0; t < m.triangles.length; t += 3) tris.add(key([m.triangles[t], m.triangles[t + 1], m.triangles[t + 2]]));
      for (let t = 0; t < m.triangles.length; t += 3) expect(tris.has(key([mirror[m.triangles[t]], mirror[m.triangles[t + 1]], mirror[m.triangles[t + 2]]]))).toBe(true);
    }
  });

  it('gives unit normals that face the camera (negative z in the crop frame)', () => {
    const m = buildFaceMesh(points);
    const n = m.positions.length / 3;
    let facing = 0;
    for (let i = 0; i < n; i++) {
      const [x, y, z] = [m.normals[3 * i], m.normals[3 * i + 1], m.normals[3 * i + 2]];
      expect(Math.hypot(x, y, z)).toBeCloseTo(1, 5);
      if (z < 0) facing++;
    }
    expect(facing / n).toBeGreaterThan(0.97);
    // The nose tip (landmark 1, kept as vertex 1) looks at the camera.
    expect(m.normals[3 * 1 + 2]).toBeLessThan(-0.8);
  });

  it('keeps a flat face flat: Loop subdivision reproduces planes, normals are the plane normal', () => {
    // Laid out as its UV layout (no triangle turned over), on a tilted plane.
    const uv = faceTopology().uvs;
    const plane = points.map((_, i) => {
      const x = 28 + 200 * uv[2 * i];
      const y = 28 + 200 * (1 - uv[2 * i + 1]);
      return [x, y, 0.3 * x - 0.2 * y + 5] as Vec3;
    });
    const m = buildFaceMesh(plane, { subdivisions: 2 });
    const len = Math.hypot(0.3, -0.2, -1);
    for (let i = 0; i < m.positions.length / 3; i++) {
      const [x, y, z] = [m.positions[3 * i], m.positions[3 * i + 1], m.positions[3 * i + 2]];
      expect(z).toBeCloseTo(0.3 * x - 0.2 * y + 5, 3);
      // Plane z = 0.3x − 0.2y + 5 has normal ∝ (0.3, −0.2, −1), the camera-facing side.
      expect(m.normals[3 * i]).toBeCloseTo(0.3 / len, 4);
      expect(m.normals[3 * i + 1]).toBeCloseTo(-0.2 / len, 4);
      expect(m.normals[3 * i + 2]).toBeCloseTo(-1 / len, 4);
    }
  });

  it('smooths: the subdivided surface bends less between neighbouring triangles', () => {
    const worstBend = (m: FaceMesh): number => {
      const faceNormals = vertexNormalsPerTriangle(m);
      const byEdge = new Map<number, number[]>();
      const n = m.positions.length / 3;
      for (let t = 0; t < m.triangles.length / 3; t++) {
        for (let k = 0; k < 3; k++) {
          const a = m.triangles[3 * t + k];
          const b = m.triangles[3 * t + ((k + 1) % 3)];
          const key = Math.min(a, b) * n + Math.max(a, b);
          byEdge.set(key, [...(byEdge.get(key) ?? []), t]);
        }
      }
      const angles: number[] = [];
      for (const ts of byEdge.values()) {
        if (ts.length !== 2) continue;
        const [p, q] = ts.map((t) => faceNormals.slice(3 * t, 3 * t + 3));
        angles.push(Math.acos(Math.min(1, p[0] * q[0] + p[1] * q[1] + p[2] * q[2])));
      }
      angles.sort((a, b) => a - b);
      return angles[Math.floor(angles.length * 0.95)];
    };
    const b0 = worstBend(buildFaceMesh(points, { subdivisions: 0 }));
    const b1 = worstBend(buildFaceMesh(points, { subdivisions: 1 }));
    const b2 = worstBend(buildFaceMesh(points, { subdivisions: 2 }));
    expect(b1).toBeLessThan(b0 * 0.7);
    expect(b2).toBeLessThan(b1 * 0.7);
  });

  it('interpolates UVs linearly: each new vertex takes its edge midpoint, old vertices keep theirs', () => {
    const m0 = buildFaceMesh(points, { subdivisions: 0 });
    const m1 = buildFaceMesh(points, { subdivisions: 1 });
    expect(m1.uvs.subarray(0, 468 * 2)).toEqual(m0.uvs);
    // In the first split triangle (a, ab, ca), ab is the midpoint of a and b of the base triangle (a, b, c).
    const [a, b] = [m0.triangles[0], m0.triangles[1]];
    const ab = m1.triangles[1];
    expect(m1.uvs[2 * ab]).toBeCloseTo((m0.uvs[2 * a] + m0.uvs[2 * b]) / 2, 6);
    expect(m1.uvs[2 * ab + 1]).toBeCloseTo((m0.uvs[2 * a + 1] + m0.uvs[2 * b + 1]) / 2, 6);
    for (const v of m1.uvs) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('rejects too few points and unknown levels with the standard wording', () => {
    expect(() => buildFaceMesh(points.slice(0, 100))).toThrow('Expected at least 468 for cropPoints.length but received 100');
    expect(() => buildFaceMesh(points, { subdivisions: 4 as 0 })).toThrow('Expected an integer 0–3 for subdivisions but received 4');
  });
});

describe('vertexNormals', () => {
  it('weights each triangle by its area', () => {
    // Two triangles sharing vertex 0: a large one in the z = 0 plane and a small tilted one.
    const pos = new Float64Array([0, 0, 0, 10, 0, 0, 0, 10, 0, 0, -1, 0, -1, 0, 1]);
    const n = vertexNormals(pos, new Uint32Array([0, 1, 2, 0, 3, 4]));
    // The big triangle (area 50) dominates the small one (area ~0.7): vertex 0's normal is close to ±z.
    expect(Math.abs(n[2])).toBeGreaterThan(0.99);
  });
});

function vertexNormalsPerTriangle(m: FaceMesh): Float64Array {
  const P = m.positions;
  const out = new Float64Array(m.triangles.length);
  for (let t = 0; t < m.triangles.length; t += 3) {
    const [a, b, c] = [m.triangles[t], m.triangles[t + 1], m.triangles[t + 2]].map((i) => 3 * i);
    const u = [P[b] - P[a], P[b + 1] - P[a + 1], P[b + 2] - P[a + 2]];
    const v = [P[c] - P[a], P[c + 1] - P[a + 1], P[c + 2] - P[a + 2]];
    const n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    const len = Math.hypot(n[0], n[1], n[2]) || 1;
    out[t] = n[0] / len;
    out[t + 1] = n[1] / len;
    out[t + 2] = n[2] / len;
  }
  return out;
}
