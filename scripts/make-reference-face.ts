// Builds src/recon/mesh/reference-face.json: the mean frontal face of our own FaceMesh output on the
// public-domain frontal photos in ../shared/faces/cases. It gives the mesh its UVs
// and (through a Delaunay triangulation, src/recon/mesh/topology.ts) its triangles, so the mesh topology
// is computed by us from public-domain data. Run: npx tsx scripts/make-reference-face.ts
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../src/recon/reconstruct.js';

const cases = path.resolve('../shared/faces/cases');
const photos = ['control_obama_official_portrait.jpg', 'astronaut_eileen_collins.png', 'two_people.jpg', 'obama_podium_rgba_32bit.png'];
const engine = await createEngine();
const faces: number[][][] = [];
for (const p of photos) {
  const r = await engine.reconstruct(path.join(cases, p), { faces: 'all', iris: false });
  for (const k of r.reconstructed) faces.push(r.faces[k].points!.slice(0, 468));
}
await engine.dispose();

// Normalise each face: origin between the outer eye corners, eye line along +x, inter-corner distance 1.
const norm = faces.map((pts) => {
  const a = pts[33];
  const b = pts[263];
  const cx = (a[0] + b[0]) / 2;
  const cy = (a[1] + b[1]) / 2;
  const cz = (a[2] + b[2]) / 2;
  const ang = Math.atan2(b[1] - a[1], b[0] - a[0]);
  const s = 1 / Math.hypot(b[0] - a[0], b[1] - a[1]);
  const c = Math.cos(-ang);
  const n = Math.sin(-ang);
  return pts.map((p) => {
    const x = p[0] - cx;
    const y = p[1] - cy;
    return [(c * x - n * y) * s, (n * x + c * y) * s, (p[2] - cz) * s];
  });
});
const mean = norm[0].map((_, i) => [0, 1, 2].map((d) => norm.reduce((t, f) => t + f[i][d], 0) / norm.length));

const points = mean.map((p) => p.map((v) => Math.round(v * 1e4) / 1e4));

const out = {
  note: 'Mean frontal FaceMesh (468 points) of our own model output on public-domain photos (see scripts/make-reference-face.ts). Units: outer-eye-corner distance = 1; x right, y down, z away from the camera; origin between the outer eye corners.',
  photos,
  faces: faces.length,
  points,
};
fs.writeFileSync('src/recon/mesh/reference-face.json', JSON.stringify(out) + '\n');
console.log(`wrote the mean of ${faces.length} faces`);
