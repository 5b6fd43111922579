// Builds src/recon/mesh/face-topology.json: the face mesh's triangles, UV layout and left-right mirror map,
// from MediaPipe's canonical face model as shipped in the npm package the models come from
// (@vladmandic/human, src/face/facemeshcoords.ts: TRI468 and UV468; MIT, data from MediaPipe, Apache-2.0).
//
// What we change, and why (docs/outputs.md, "The surface"):
// - The mirror map: vertex i ↔ the vertex whose UV is (1 − u, v). MediaPipe's layout is symmetric to 0.0012,
//   so the pairing is exact: an involution with 28 vertices on the midline.
// - The UVs are made exactly symmetric (each pair averaged), flipped to v up (OBJ; glTF flips at export),
//   and scaled by 0.95 about the layout's centre so texture filtering has a margin round the outline.
// - Six triangles (three quads) are split along the other diagonal than their mirror quads; we flip the
//   image-right side to match, so every triangle has a mirror triangle and the mesh is left-right symmetric
//   at every subdivision level.
// - The mouth is open in MediaPipe's mesh (a hole inside the inner lips); we close it with a strip zipped
//   between the upper and lower inner lip, symmetric too, so the surface is a disc bounded by the face oval.
// Run: npx tsx scripts/make-face-topology.ts
import fs from 'node:fs';
import { TRI468, UV468 } from '../node_modules/@vladmandic/human/src/face/facemeshcoords.ts';

const N = 468;
const UPPER_INNER_LIP = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308];
const LOWER_INNER_LIP = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308];
const SCALE = 0.95;

const uv = UV468.slice(0, N);
const mirror: number[] = [];
for (let i = 0; i < N; i++) {
  let best = -1;
  let bestD = Infinity;
  for (let j = 0; j < N; j++) {
    const d = (1 - uv[i][0] - uv[j][0]) ** 2 + (uv[i][1] - uv[j][1]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  if (bestD > 0.002 ** 2) throw new Error(`vertex ${i} has no mirror vertex in the UV layout`);
  mirror.push(best);
}
for (let i = 0; i < N; i++) if (mirror[mirror[i]] !== i) throw new Error(`mirror map is not an involution at ${i}`);

// Symmetric UVs (v down here, as MediaPipe's; flipped at the end).
let vMin = Infinity;
let vMax = -Infinity;
for (const [, v] of uv) {
  vMin = Math.min(vMin, v);
  vMax = Math.max(vMax, v);
}
const vMid = (vMin + vMax) / 2;
const sym = uv.map(([u, v], i) => {
  const [um, vm] = uv[mirror[i]];
  const us = (u + 1 - um) / 2;
  const vs = (v + vm) / 2;
  return [0.5 + (us - 0.5) * SCALE, 0.5 + (vs - vMid) * SCALE];
});

const signedArea = (a: number, b: number, c: number): number =>
  (sym[b][0] - sym[a][0]) * (sym[c][1] - sym[a][1]) - (sym[b][1] - sym[a][1]) * (sym[c][0] - sym[a][0]);
// MediaPipe's triangles all have negative area in (u, v-down): counter-clockwise once v points up.
const orient = (a: number, b: number, c: number): [number, number, number] => (signedArea(a, b, c) < 0 ? [a, b, c] : [a, c, b]);

const key = (t: readonly number[]): string => [...t].sort((x, y) => x - y).join(',');
let tris: Array<[number, number, number]> = [];
for (let t = 0; t < TRI468.length; t += 3) tris.push(orient(TRI468[t], TRI468[t + 1], TRI468[t + 2]));
const centroidU = (t: readonly number[]): number => (sym[t[0]][0] + sym[t[1]][0] + sym[t[2]][0]) / 3;
// Mirror-less triangles: keep those on the image-left half, replace those on the right by the left ones' mirrors.
const have = new Set(tris.map(key));
const lonely = tris.filter((t) => !have.has(key(t.map((i) => mirror[i]))));
const keepLeft = lonely.filter((t) => centroidU(t) < 0.5);
const dropRight = new Set(lonely.filter((t) => centroidU(t) >= 0.5).map(key));
if (keepLeft.length !== dropRight.size) throw new Error('asymmetric triangles do not pair up');
tris = tris.filter((t) => !dropRight.has(key(t)));
for (const t of keepLeft) tris.push(orient(mirror[t[0]], mirror[t[1]], mirror[t[2]]));

// Close the mouth: left half of the strip, then its mirror.
const mouth: Array<[number, number, number]> = [];
const half = (UPPER_INNER_LIP.length - 1) / 2; // 5 segments each side of the midline (13 above 14)
for (let k = 0; k < half; k++) {
  const u0 = UPPER_INNER_LIP[k];
  const u1 = UPPER_INNER_LIP[k + 1];
  const l0 = LOWER_INNER_LIP[k];
  const l1 = LOWER_INNER_LIP[k + 1];
  if (u0 === l0) mouth.push(orient(u0, u1, l1));
  else mouth.push(orient(u0, u1, l1), orient(u0, l1, l0));
}
for (const t of [...mouth]) mouth.push(orient(mirror[t[0]], mirror[t[1]], mirror[t[2]]));
tris.push(...mouth);

// Checks: symmetric, manifold, one boundary loop (the face oval), every vertex used.
const all = new Set(tris.map(key));
if (all.size !== tris.length) throw new Error('duplicate triangles');
for (const t of tris) if (!all.has(key(t.map((i) => mirror[i])))) throw new Error(`triangle ${t} has no mirror`);
const edges = new Map<string, number>();
for (const t of tris) for (let k = 0; k < 3; k++) {
  const a = t[k];
  const b = t[(k + 1) % 3];
  const e = a < b ? `${a},${b}` : `${b},${a}`;
  edges.set(e, (edges.get(e) ?? 0) + 1);
}
const boundary = [...edges.values()].filter((c) => c === 1).length;
if ([...edges.values()].some((c) => c > 2)) throw new Error('non-manifold edge');
if (boundary !== 36) throw new Error(`expected the 36-edge face oval as the only boundary, got ${boundary} boundary edges`);
if (new Set(tris.flat()).size !== N) throw new Error('unused vertices');

const round = (v: number): number => Math.round(v * 1e6) / 1e6;
const out = {
  note:
    'Face mesh topology: MediaPipe canonical face model triangles and UVs (via npm @vladmandic/human 3.3.6, src/face/facemeshcoords.ts; MediaPipe is Apache-2.0), ' +
    'made exactly left-right symmetric, mouth closed, UVs scaled by 0.95 about the centre, v up. Built by scripts/make-face-topology.ts.',
  triangles: tris.flat(),
  uvs: sym.flatMap(([u, v]) => [round(u), round(1 - v)]),
  mirror,
};
fs.writeFileSync('src/recon/mesh/face-topology.json', JSON.stringify(out) + '\n');
console.log(`wrote ${tris.length} triangles, ${mirror.filter((m, i) => m === i).length} midline vertices`);
