// The dense face surface the renderer and the exporters share: the 468 FaceMesh vertices (iris points are
// not part of the surface) on the fixed topology of topology.ts, smoothed by Loop subdivision, with
// area-weighted vertex normals and linearly interpolated UVs. Pure maths, no I/O.
//
// Frame: the canonical crop's (align.ts): x right, y down, z away from the camera, all in crop pixels.
// Normals are unit vectors in the same frame and point towards the camera (negative z on the nose).
//
// Subdivision (Loop 1987, with the usual boundary rules for the face outline):
//   new edge vertex   interior edge: 3/8·(a + b) + 1/8·(c + d)   (c, d: the opposite corners)
//                     boundary edge: 1/2·(a + b)
//   old vertex        interior: (1 − n·β)·v + β·Σ neighbours, β = (5/8 − (3/8 + 1/4·cos(2π/n))²)/n
//                     boundary: 3/4·v + 1/8·(b₁ + b₂)   (its two outline neighbours; a cubic B-spline)
// Each level keeps the old vertices first, then one vertex per edge, and splits every triangle into four
// with the same winding, so vertex i < 468 of any level is FaceMesh landmark i (moved by the smoothing).
// UVs are not smoothed: an edge vertex takes its edge's UV midpoint, old vertices keep theirs.
//
// Counts for the current topology (468 vertices, 898 triangles, 1365 edges, the 36-edge face oval as outline):
//   subdivisions 0:    468 vertices,    898 triangles
//   subdivisions 1:   1833 vertices,   3592 triangles   (default)
//   subdivisions 2:   7257 vertices,  14368 triangles
//   subdivisions 3:  28881 vertices,  57472 triangles
// In general V' = V + E and F' = 4·F per level (E' = 2·E + 3·F).
//
// The topology is left-right symmetric (topology.ts), and so is every level: edge vertex (a, b) mirrors to
// edge vertex (mirror a, mirror b). mirrorVertices(level) gives that map.
//
// The subdivision stencils depend on the topology only, so they are built once per level and cached; a
// call is then a few sparse weighted sums (≈0.1 ms at level 1).
import { invalidOption } from '../errors.js';
import type { Vec3 } from '../types.js';
import { faceTopology, MESH_VERTEX_COUNT } from './topology.js';

export type Subdivisions = 0 | 1 | 2 | 3;
export const DEFAULT_SUBDIVISIONS: Subdivisions = 1;
export const MAX_SUBDIVISIONS = 3;

export interface FaceMesh {
  /** n × 3, crop pixels: x right, y down, z away from the camera. */
  positions: Float32Array;
  /** n × 3 unit normals in the same frame, pointing towards the camera (z < 0 where the face looks at it). */
  normals: Float32Array;
  /** n × 2 in [0, 1], v up (topology.ts). */
  uvs: Float32Array;
  /** Vertex-index triples, counter-clockwise seen from the camera in mesh space (+Y up). */
  triangles: Uint32Array;
  /** Vertices 0…baseVertexCount−1 are the FaceMesh landmarks of the same index (468). */
  baseVertexCount: number;
  subdivisions: Subdivisions;
}

export interface BuildOptions {
  /** Loop subdivision levels, 0–3 (default 1). */
  subdivisions?: Subdivisions;
}

/** One Loop level as sparse rows: output vertex r = Σ weights[k]·input[indices[k]] for k in offsets[r]…offsets[r+1]. */
interface Level {
  inCount: number;
  outCount: number;
  offsets: Uint32Array;
  indices: Uint32Array;
  weights: Float64Array;
  /** Edge endpoints (2 per edge) for the linear UV rule; edge e becomes vertex inCount + e. */
  edges: Uint32Array;
  /** The triangles after this level. */
  triangles: Uint32Array;
}

const levels: Level[] = [];

/** The counts of a subdivision level without building a mesh. */
export function meshCounts(subdivisions: Subdivisions = DEFAULT_SUBDIVISIONS): { vertices: number; triangles: number } {
  if (subdivisions === 0) return { vertices: MESH_VERTEX_COUNT, triangles: faceTriangles().length / 3 };
  const l = level(subdivisions);
  return { vertices: l.outCount, triangles: l.triangles.length / 3 };
}

/**
 * The smoothed face surface of one face. `cropPoints`: 468 or 478 points in crop pixels (align.ts `toCrop`);
 * only the first 468 (the FaceMesh surface) are used.
 */
export function buildFaceMesh(cropPoints: ReadonlyArray<Vec3>, opts: BuildOptions = {}): FaceMesh {
  const subdivisions = opts.subdivisions ?? DEFAULT_SUBDIVISIONS;
  if (!isSubdivisions(subdivisions)) throw invalidOption('subdivisions', 'an integer 0–3', subdivisions);
  if (cropPoints.length < MESH_VERTEX_COUNT) {
    throw invalidOption('cropPoints.length', `at least ${MESH_VERTEX_COUNT}`, cropPoints.length);
  }
  const topo = faceTopology();
  let pos: Float64Array = new Float64Array(MESH_VERTEX_COUNT * 3);
  for (let i = 0; i < MESH_VERTEX_COUNT; i++) {
    const p = cropPoints[i];
    pos[3 * i] = p[0];
    pos[3 * i + 1] = p[1];
    pos[3 * i + 2] = p[2];
  }
  let uv: Float64Array = new Float64Array(topo.uvs);
  let triangles = faceTriangles();
  for (let s = 1; s <= subdivisions; s++) {
    const l = level(s);
    pos = applyStencil(l, pos);
    uv = midpointUvs(l, uv);
    triangles = l.triangles;
  }
  const positions = new Float32Array(pos);
  return {
    positions,
    normals: vertexNormals(pos, triangles),
    uvs: new Float32Array(uv),
    triangles,
    baseVertexCount: MESH_VERTEX_COUNT,
    subdivisions,
  };
}

/**
 * Area-weighted unit vertex normals: each vertex sums the (unnormalised) cross products of its triangles,
 * whose length is twice their area. With the topology's winding this points towards the camera.
 */
export function vertexNormals(pos: ArrayLike<number>, triangles: Uint32Array): Float32Array {
  const n = pos.length / 3;
  const acc = new Float64Array(n * 3);
  for (let t = 0; t < triangles.length; t += 3) {
    const a = 3 * triangles[t];
    const b = 3 * triangles[t + 1];
    const c = 3 * triangles[t + 2];
    const ux = pos[b] - pos[a];
    const uy = pos[b + 1] - pos[a + 1];
    const uz = pos[b + 2] - pos[a + 2];
    const vx = pos[c] - pos[a];
    const vy = pos[c + 1] - pos[a + 1];
    const vz = pos[c + 2] - pos[a + 2];
    // Crop frame = mesh frame turned 180° about x (a rotation), so the cross product keeps its meaning:
    // counter-clockwise in mesh space gives the normal towards the camera.
    const nx = uy * vz - uz * vy;
    const ny = uz * vx - ux * vz;
    const nz = ux * vy - uy * vx;
    acc[a] += nx;
    acc[a + 1] += ny;
    acc[a + 2] += nz;
    acc[b] += nx;
    acc[b + 1] += ny;
    acc[b + 2] += nz;
    acc[c] += nx;
    acc[c + 1] += ny;
    acc[c + 2] += nz;
  }
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i += 3) {
    const len = Math.sqrt(acc[i] * acc[i] + acc[i + 1] * acc[i + 1] + acc[i + 2] * acc[i + 2]);
    if (len > 0) {
      out[i] = acc[i] / len;
      out[i + 1] = acc[i + 1] / len;
      out[i + 2] = acc[i + 2] / len;
    } else out[i + 2] = -1; // an isolated or fully degenerate vertex faces the camera
  }
  return out;
}

function applyStencil(l: Level, src: Float64Array): Float64Array {
  const out = new Float64Array(l.outCount * 3);
  const { offsets, indices, weights } = l;
  for (let r = 0; r < l.outCount; r++) {
    let x = 0;
    let y = 0;
    let z = 0;
    for (let k = offsets[r]; k < offsets[r + 1]; k++) {
      const j = 3 * indices[k];
      const w = weights[k];
      x += w * src[j];
      y += w * src[j + 1];
      z += w * src[j + 2];
    }
    out[3 * r] = x;
    out[3 * r + 1] = y;
    out[3 * r + 2] = z;
  }
  return out;
}

function midpointUvs(l: Level, src: Float64Array): Float64Array {
  const out = new Float64Array(l.outCount * 2);
  out.set(src.subarray(0, l.inCount * 2));
  const ne = l.edges.length / 2;
  for (let e = 0; e < ne; e++) {
    const a = 2 * l.edges[2 * e];
    const b = 2 * l.edges[2 * e + 1];
    const o = 2 * (l.inCount + e);
    out[o] = (src[a] + src[b]) / 2;
    out[o + 1] = (src[a + 1] + src[b + 1]) / 2;
  }
  return out;
}

let base: Uint32Array | undefined;

/**
 * The topology's triangles, wound counter-clockwise seen from the camera in mesh space (+Y up), i.e. with a
 * negative signed area in the y-down crop frame. The winding is measured on the reference layout rather
 * than assumed, so FaceMesh keeps its promise whichever way topology.ts emits its triangles.
 */
export function faceTriangles(): Uint32Array {
  if (base) return base;
  const { triangles, reference: r } = faceTopology();
  let area = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const a = r[triangles[t]];
    const b = r[triangles[t + 1]];
    const c = r[triangles[t + 2]];
    area += (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  }
  base = Uint32Array.from(triangles);
  if (area > 0) {
    for (let t = 0; t < base.length; t += 3) {
      const b = base[t + 1];
      base[t + 1] = base[t + 2];
      base[t + 2] = b;
    }
  }
  return base;
}

export function isSubdivisions(v: unknown): v is Subdivisions {
  return v === 0 || v === 1 || v === 2 || v === 3;
}

/**
 * Per-vertex values (`channels` per vertex) of the base mesh carried through `subdivisions` Loop levels with
 * the same stencils as the positions, so vertex i of the result belongs to vertex i of buildFaceMesh's mesh.
 */
export function subdivideValues(values: Float32Array | Float64Array, channels: number, subdivisions: Subdivisions): Float32Array {
  let v: Float64Array = Float64Array.from(values);
  for (let s = 1; s <= subdivisions; s++) v = applyStencilN(level(s), v, channels);
  return new Float32Array(v);
}

const mirrors: Uint32Array[] = [];

/**
 * mirror[i] of a level's vertices: the vertex at the mirror position of vertex i (the subject's other side;
 * i itself on the midline). Exact, because the topology is symmetric (topology.ts).
 */
export function mirrorVertices(subdivisions: Subdivisions = DEFAULT_SUBDIVISIONS): Uint32Array {
  if (mirrors[subdivisions]) return mirrors[subdivisions];
  if (subdivisions === 0) return (mirrors[0] = faceTopology().mirror);
  const l = level(subdivisions);
  const prev = mirrorVertices((subdivisions - 1) as Subdivisions);
  const out = new Uint32Array(l.outCount);
  out.set(prev.subarray(0, l.inCount));
  const edgeIndex = new Map<number, number>();
  const ne = l.edges.length / 2;
  for (let e = 0; e < ne; e++) edgeIndex.set(l.edges[2 * e] * l.inCount + l.edges[2 * e + 1], e);
  for (let e = 0; e < ne; e++) {
    const a = prev[l.edges[2 * e]];
    const b = prev[l.edges[2 * e + 1]];
    const twin = edgeIndex.get(Math.min(a, b) * l.inCount + Math.max(a, b));
    if (twin === undefined) throw new Error(`mesh topology is not symmetric at edge ${l.edges[2 * e]}–${l.edges[2 * e + 1]}`);
    out[l.inCount + e] = l.inCount + twin;
  }
  return (mirrors[subdivisions] = out);
}

function applyStencilN(l: Level, src: Float64Array, channels: number): Float64Array {
  const out = new Float64Array(l.outCount * channels);
  const { offsets, indices, weights } = l;
  for (let r = 0; r < l.outCount; r++) {
    for (let k = offsets[r]; k < offsets[r + 1]; k++) {
      const j = channels * indices[k];
      const w = weights[k];
      for (let c = 0; c < channels; c++) out[channels * r + c] += w * src[j + c];
    }
  }
  return out;
}

function level(s: number): Level {
  for (let k = levels.length; k < s; k++) {
    const prev = k === 0 ? { triangles: faceTriangles(), count: MESH_VERTEX_COUNT } : { triangles: levels[k - 1].triangles, count: levels[k - 1].outCount };
    levels.push(loopLevel(prev.count, prev.triangles));
  }
  return levels[s - 1];
}

/** Build one Loop subdivision step of a manifold triangle mesh (with boundary) as sparse stencils. */
function loopLevel(nv: number, tris: Uint32Array): Level {
  const nt = tris.length / 3;
  // Edges: key a·nv + b with a < b → edge index; each edge records its (up to two) opposite corners.
  const edgeOf = new Map<number, number>();
  const edgeA: number[] = [];
  const edgeB: number[] = [];
  const opp1: number[] = [];
  const opp2: number[] = [];
  const triEdges = new Uint32Array(nt * 3); // edge index of (v0 v1), (v1 v2), (v2 v0)
  for (let t = 0; t < nt; t++) {
    for (let k = 0; k < 3; k++) {
      const a = tris[3 * t + k];
      const b = tris[3 * t + ((k + 1) % 3)];
      const c = tris[3 * t + ((k + 2) % 3)];
      const key = a < b ? a * nv + b : b * nv + a;
      let e = edgeOf.get(key);
      if (e === undefined) {
        e = edgeA.length;
        edgeOf.set(key, e);
        edgeA.push(Math.min(a, b));
        edgeB.push(Math.max(a, b));
        opp1.push(c);
        opp2.push(-1);
      } else if (opp2[e] === -1) opp2[e] = c;
      else throw new Error(`mesh topology is not manifold at edge ${a}–${b}`);
      triEdges[3 * t + k] = e;
    }
  }
  const ne = edgeA.length;
  // Neighbours of each vertex, and its outline neighbours when it lies on the boundary.
  const neighbours: number[][] = Array.from({ length: nv }, () => []);
  const outline: number[][] = Array.from({ length: nv }, () => []);
  for (let e = 0; e < ne; e++) {
    neighbours[edgeA[e]].push(edgeB[e]);
    neighbours[edgeB[e]].push(edgeA[e]);
    if (opp2[e] === -1) {
      outline[edgeA[e]].push(edgeB[e]);
      outline[edgeB[e]].push(edgeA[e]);
    }
  }
  const offsets = new Uint32Array(nv + ne + 1);
  const indices: number[] = [];
  const weights: number[] = [];
  let r = 0;
  const row = (): void => {
    offsets[++r] = indices.length;
  };
  for (let v = 0; v < nv; v++) {
    const ring = neighbours[v];
    const border = outline[v];
    if (border.length === 2) {
      indices.push(v, border[0], border[1]);
      weights.push(3 / 4, 1 / 8, 1 / 8);
    } else if (border.length > 0 || ring.length < 3) {
      indices.push(v); // a non-manifold corner (or a dangling vertex) stays where it is
      weights.push(1);
    } else {
      const n = ring.length;
      const q = 3 / 8 + Math.cos((2 * Math.PI) / n) / 4;
      const beta = (5 / 8 - q * q) / n;
      indices.push(v, ...ring);
      weights.push(1 - n * beta, ...ring.map(() => beta));
    }
    row();
  }
  for (let e = 0; e < ne; e++) {
    if (opp2[e] === -1) {
      indices.push(edgeA[e], edgeB[e]);
      weights.push(1 / 2, 1 / 2);
    } else {
      indices.push(edgeA[e], edgeB[e], opp1[e], opp2[e]);
      weights.push(3 / 8, 3 / 8, 1 / 8, 1 / 8);
    }
    row();
  }
  const out = new Uint32Array(nt * 12);
  for (let t = 0; t < nt; t++) {
    const a = tris[3 * t];
    const b = tris[3 * t + 1];
    const c = tris[3 * t + 2];
    const ab = nv + triEdges[3 * t];
    const bc = nv + triEdges[3 * t + 1];
    const ca = nv + triEdges[3 * t + 2];
    out.set([a, ab, ca, ab, b, bc, ca, bc, c, ab, bc, ca], 12 * t);
  }
  const edges = new Uint32Array(ne * 2);
  for (let e = 0; e < ne; e++) {
    edges[2 * e] = edgeA[e];
    edges[2 * e + 1] = edgeB[e];
  }
  return {
    inCount: nv,
    outCount: nv + ne,
    offsets,
    indices: Uint32Array.from(indices),
    weights: Float64Array.from(weights),
    edges,
    triangles: out,
  };
}
