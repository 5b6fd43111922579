// Builds src/recon/mesh/head-model.json: a mirror-symmetric mean head shape of the 468 FaceMesh vertices,
// derived from our own reference face (src/recon/mesh/reference-face.json, itself the mean of our FaceMesh
// output on public-domain frontal photos). The engine's head fit (src/recon/head-fit.ts) uses it to find the
// head's pose from the visible points. The mirror map is the face topology's (src/recon/mesh/topology.ts).
//
// Method: find the symmetry plane as the similarity that best maps the shape onto its reflected, re-indexed
// self (Procrustes), move halfway, repeat; the shape is then the mean of each vertex and its reflected
// partner. Run: npx tsx scripts/make-head-model.ts
import fs from 'node:fs';
import reference from '../src/recon/mesh/reference-face.json' with { type: 'json' };
import { applySimilarity, procrustes } from '../src/recon/math3.js';
import { faceTopology } from '../src/recon/mesh/topology.js';

type P = [number, number, number];

const flat = (pts: P[]): Float64Array => Float64Array.from(pts.flat());

const map = faceTopology().mirror;
let x = (reference.points as unknown as P[]).map((p) => [...p] as P);
for (let it = 0; it < 6; it++) {
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
    'Mirror-symmetric mean head shape of the 468 FaceMesh vertices (mirror map: face-topology.json), derived from reference-face.json by ' +
    'scripts/make-head-model.ts. Shape frame: x towards the subject\'s left (image right when frontal), y down, z away ' +
    'from the camera; origin between the outer eye corners (33, 263), their distance 1.',
  midline,
  shape: shape.map((p) => p.map(round)),
};
fs.writeFileSync('src/recon/mesh/head-model.json', JSON.stringify(out) + '\n');
console.log(`wrote src/recon/mesh/head-model.json: ${map.length} vertices, ${midline} on the midline`);
