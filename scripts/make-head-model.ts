// Builds src/recon/mesh/head-model.json: the left-right mirror map of the 468 FaceMesh vertices and a mirror-
// symmetric mean head shape, both derived from our own reference face (src/recon/mesh/reference-face.json,
// itself the mean of our FaceMesh output on public-domain frontal photos). The engine's head fit
// (src/recon/head-fit.ts) uses the shape to find the head's pose from the visible points, and the map to
// complete the side of a turned face that the camera did not see.
//
// Method: alternate (1) the mirror map as the minimum-cost assignment (Hungarian algorithm) between the
// vertices and their reflections through the current symmetry plane, and (2) the symmetry plane as the
// similarity that best maps the shape onto its reflected, re-indexed self (Procrustes), halfway. The shape is
// then the mean of each vertex and its reflected partner. Run: npx tsx scripts/make-head-model.ts
import fs from 'node:fs';
import reference from '../src/recon/mesh/reference-face.json' with { type: 'json' };
import { applySimilarity, procrustes } from '../src/recon/math3.js';

type P = [number, number, number];

/** Minimum-cost perfect assignment for a square cost matrix (Kuhn–Munkres with potentials, O(n³)). */
function hungarian(cost: Float64Array, n: number): Int32Array {
  const INF = Number.MAX_VALUE;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(INF);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const match = new Int32Array(n);
  for (let j = 1; j <= n; j++) match[p[j] - 1] = j - 1;
  return match;
}

function mirrorMap(x: P[]): Int32Array {
  const n = x.length;
  const cost = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) cost[i * n + j] = (x[j][0] + x[i][0]) ** 2 + (x[j][1] - x[i][1]) ** 2 + (x[j][2] - x[i][2]) ** 2;
  return hungarian(cost, n);
}

const flat = (pts: P[]): Float64Array => Float64Array.from(pts.flat());

let x = (reference.points as unknown as P[]).map((p) => [...p] as P);
let map = new Int32Array(0);
for (let it = 0; it < 6; it++) {
  map = mirrorMap(x);
  const reflected = x.map((_, i) => [-x[map[i]][0], x[map[i]][1], x[map[i]][2]] as P);
  const ones = new Float64Array(x.length).fill(1);
  const full = procrustes(flat(x), flat(reflected), ones);
  // Halfway between the shape and its best-aligned reflection: the symmetry plane becomes x = 0 up to a shift.
  const mid = x.map((p) => {
    const q = applySimilarity(full, p);
    return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2] as P;
  });
  const half = procrustes(flat(x), flat(mid), ones);
  x = x.map((p) => applySimilarity(half, p));
  const cx = x.reduce((s, p) => s + p[0], 0) / x.length;
  x = x.map((p) => [p[0] - cx, p[1], p[2]]);
}
for (let i = 0; i < map.length; i++) if (map[map[i]] !== i) throw new Error(`mirror map is not an involution at ${i}`);

// Symmetrise, then put the origin between the outer eye corners (33, 263) and scale their distance to 1.
let shape = x.map((p, i) => {
  const q = x[map[i]];
  return [(p[0] - q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2] as P;
});
const o = [0, 1, 2].map((d) => (shape[33][d] + shape[263][d]) / 2);
const scale = 1 / Math.hypot(shape[263][0] - shape[33][0], shape[263][1] - shape[33][1], shape[263][2] - shape[33][2]);
shape = shape.map((p) => [(p[0] - o[0]) * scale, (p[1] - o[1]) * scale, (p[2] - o[2]) * scale]);
const round = (v: number): number => Math.round(v * 1e4) / 1e4;

const midline = [...map].filter((j, i) => j === i).length;
const out = {
  note:
    'Mirror map and mirror-symmetric mean head shape of the 468 FaceMesh vertices, derived from reference-face.json by ' +
    'scripts/make-head-model.ts. Shape frame: x towards the subject\'s left (image right when frontal), y down, z away ' +
    'from the camera; origin between the outer eye corners (33, 263), their distance 1.',
  midline,
  mirror: [...map],
  shape: shape.map((p) => p.map(round)),
};
fs.writeFileSync('src/recon/mesh/head-model.json', JSON.stringify(out) + '\n');
console.log(`wrote src/recon/mesh/head-model.json: ${map.length} vertices, ${midline} on the midline`);
