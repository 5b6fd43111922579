// A small software rasteriser for the face mesh: orthographic projection along z in the crop frame (the crop
// image is the view; pixel (i, j) covers [i, i+1) × [j, j+1) crop pixels and is sampled at its centre), a
// z-buffer (nearest = smallest z), and barycentric interpolation of depth, normal and, on request, UV.
//
// Exactness: vertex positions are snapped to 1/256 px, so edge functions are integers held exactly in
// doubles, stepped incrementally, and a top-left style tie rule assigns a pixel centre lying exactly on a
// shared edge to exactly one of the two triangles: no cracks, no double hits along the mesh.
//
// Anti-aliasing is spent on the silhouette only. Pass 1 samples pixel centres. The pixels whose 3×3
// neighbourhood mixes covered and uncovered centres form the edge band (for a locally convex outline the
// band holds every pixel the outline crosses); pass 2 visits only those and ORs a 4×4 sample mask per
// triangle (16 coverage levels + 0, union of triangles so shared edges never double-count). A band pixel
// whose centre is uncovered takes the attributes of the nearest triangle touching it, evaluated at the
// pixel centre with barycentrics clamped onto the triangle. Hence: coverage > 0 ⇔ depth finite ⇔ normal set.
//
// No back-face culling by default: the mesh is a height field seen from the front, and where a turned face
// folds over itself the z-buffer keeps the nearest layer.
import { invalidOption } from '../errors.js';
import type { FaceMesh } from '../mesh/build.js';

export interface RasterBuffers {
  /** Width and height in pixels. */
  size: number;
  /** size², crop pixels along z (away from the camera); +Infinity where nothing was drawn. */
  depth: Float32Array;
  /** size² × 3, interpolated unit normals in the crop frame (towards the camera: z < 0); 0 where nothing. */
  normal: Float32Array;
  /** size², 0–1: the share of the pixel the surface covers (16 samples on the silhouette, else 0 or 1). */
  coverage: Float32Array;
  /** size² × 2 UVs (v up) when `uv` was asked for; 0 where nothing. */
  uv?: Float32Array;
  /** size² × channels of the `attributes` asked for, interpolated like the normals; 0 where nothing. */
  attr?: Float32Array;
  /** [x0, y0, x1, y1], inclusive: the pixels the mesh can touch (coverage is 0 outside); x1 < x0 when none. */
  bounds?: [number, number, number, number];
}

export interface RasterOptions {
  /** Interpolate the mesh's UVs into `uv` (default false). */
  uv?: boolean;
  /** More per-vertex values to interpolate (`channels` per vertex, 1–4) into `attr`. */
  attributes?: { values: ArrayLike<number>; channels: number };
  /** Skip triangles facing away from the camera (default false). */
  cullBackFaces?: boolean;
  /** Buffers to reuse (must match `size`); fresh ones otherwise. */
  target?: RasterBuffers;
}

const SUB = 256; // sub-pixel steps per pixel
const HALF = SUB / 2;
const SAMPLE_STEP = SUB / 4; // 4×4 silhouette samples at (k + 0.5)/4 of a pixel
const SAMPLE_OFFSET = SAMPLE_STEP / 2;
const POPCOUNT = (() => {
  const t = new Uint8Array(1 << 16);
  for (let i = 1; i < t.length; i++) t[i] = t[i >> 1] + (i & 1);
  return t;
})();

/** Per-call working images, kept between calls: allocating and zeroing them cost more than using them. */
interface Scratch {
  n: number;
  /** Snapped vertex coordinates (1/SUB px). */
  sx: Float64Array;
  sy: Float64Array;
  /** 1 where pass 1 covered the pixel centre. */
  covered: Uint8Array;
  /** Covered centres among the pixel and its left and right neighbours. */
  rows: Uint8Array;
  /** 1 on the edge band. */
  band: Uint8Array;
  /** The band's 4×4 sample masks. */
  masks: Uint16Array;
}

/** Images up to this many pixels (512², 1.3 MB of scratch) stay cached; larger ones are rare and slow anyway. */
const CACHED_SCRATCH_MAX = 512 * 512;
let cachedScratch: Scratch | undefined;

// rasterize is synchronous and never hands these out, so one set per thread is safe.
function scratchFor(n: number, vertices: number): Scratch {
  let s = cachedScratch;
  if (!s || s.n !== n) s = { n, sx: new Float64Array(0), sy: new Float64Array(0), covered: new Uint8Array(n), rows: new Uint8Array(n), band: new Uint8Array(n), masks: new Uint16Array(n) };
  if (s.sx.length < vertices) {
    s.sx = new Float64Array(vertices);
    s.sy = new Float64Array(vertices);
  }
  cachedScratch = n <= CACHED_SCRATCH_MAX ? s : undefined;
  return s;
}

/** out[p·k + i] = l0·v[a·k + i] + l1·v[b·k + i] + l2·v[c·k + i] for the k channels. */
function interpolate(out: Float32Array, p: number, v: ArrayLike<number>, k: number, a: number, b: number, c: number, l0: number, l1: number, l2: number): void {
  for (let i = 0; i < k; i++) out[p * k + i] = l0 * v[a * k + i] + l1 * v[b * k + i] + l2 * v[c * k + i];
}

/** Edge-function tie rule: a centre exactly on an edge belongs to the triangle that sees it this way round. */
function tieBias(dx: number, dy: number): number {
  return dy > 0 || (dy === 0 && dx < 0) ? 0 : -1;
}

export function rasterize(mesh: FaceMesh, size: number, opts: RasterOptions = {}): RasterBuffers {
  if (!Number.isInteger(size) || size < 1) throw invalidOption('size', 'a positive integer', size);
  const wantUv = opts.uv ?? false;
  const cull = opts.cullBackFaces ?? false;
  const n = size * size;
  const buf = opts.target ?? {
    size,
    depth: new Float32Array(n),
    normal: new Float32Array(n * 3),
    coverage: new Float32Array(n),
  };
  if (buf.size !== size || buf.depth.length !== n) throw invalidOption('target.size', String(size), buf.size);
  if (wantUv && !buf.uv) buf.uv = new Float32Array(n * 2);
  const A = opts.attributes?.values;
  const ac = opts.attributes?.channels ?? 0;
  if (A && !(Number.isInteger(ac) && ac >= 1 && ac <= 4 && A.length >= (mesh.positions.length / 3) * ac)) throw invalidOption('attributes', '1–4 channels per vertex', ac);
  if (A && buf.attr?.length !== n * ac) buf.attr = new Float32Array(n * ac);
  const attrOut = A ? buf.attr! : undefined;
  attrOut?.fill(0);
  const { depth, normal, coverage } = buf;
  const uvOut = wantUv ? buf.uv! : undefined;
  depth.fill(Infinity);
  normal.fill(0);
  coverage.fill(0);
  uvOut?.fill(0);

  const P = mesh.positions;
  const N = mesh.normals;
  const UV = mesh.uvs;
  const T = mesh.triangles;
  const nv = P.length / 3;
  const work = scratchFor(n, nv);
  // Snapped screen coordinates, once per vertex.
  const { sx, sy } = work;
  for (let v = 0; v < nv; v++) {
    sx[v] = Math.round(P[3 * v] * SUB);
    sy[v] = Math.round(P[3 * v + 1] * SUB);
  }
  const last = size - 1;
  // Pixels any triangle can touch; everything outside stays background and is never visited again.
  let minSx = Infinity, maxSx = -Infinity, minSy = Infinity, maxSy = -Infinity;
  for (let v = 0; v < nv; v++) {
    if (sx[v] < minSx) minSx = sx[v];
    if (sx[v] > maxSx) maxSx = sx[v];
    if (sy[v] < minSy) minSy = sy[v];
    if (sy[v] > maxSy) maxSy = sy[v];
  }
  const bx0 = Math.max(0, Math.floor(minSx / SUB) - 1);
  const bx1 = Math.min(last, Math.floor(maxSx / SUB) + 1);
  const by0 = Math.max(0, Math.floor(minSy / SUB) - 1);
  const by1 = Math.min(last, Math.floor(maxSy / SUB) + 1);
  buf.bounds = bx0 <= bx1 && by0 <= by1 ? [bx0, by0, bx1, by1] : [0, 0, -1, -1];

  // ---- pass 1: pixel centres, z-buffer, attributes ----
  for (let t = 0; t < T.length; t += 3) {
    const a = T[t];
    let b = T[t + 1];
    let c = T[t + 2];
    let area = (sx[b] - sx[a]) * (sy[c] - sy[a]) - (sy[b] - sy[a]) * (sx[c] - sx[a]);
    if (area === 0) continue;
    // Front faces have negative area in this y-down frame (counter-clockwise in mesh space); the edge
    // functions below want positive area, so front faces swap two corners and back faces stay as they are.
    if (area < 0) {
      const s = b;
      b = c;
      c = s;
      area = -area;
    } else if (cull) continue;
    const ax = sx[a], ay = sy[a], bx = sx[b], by = sy[b], cx = sx[c], cy = sy[c];
    const minX = Math.min(ax, bx, cx);
    const maxX = Math.max(ax, bx, cx);
    const minY = Math.min(ay, by, cy);
    const maxY = Math.max(ay, by, cy);
    const i0 = Math.max(0, Math.ceil((minX - HALF) / SUB));
    const i1 = Math.min(last, Math.floor((maxX - HALF) / SUB));
    const j0 = Math.max(0, Math.ceil((minY - HALF) / SUB));
    const j1 = Math.min(last, Math.floor((maxY - HALF) / SUB));
    if (i0 > i1 || j0 > j1) continue;
    // Edge functions at the first pixel centre: w0 weighs a (edge b→c), w1 b (c→a), w2 c (a→b).
    const px = i0 * SUB + HALF;
    const py = j0 * SUB + HALF;
    let w0Row = (cx - bx) * (py - by) - (cy - by) * (px - bx) + tieBias(cx - bx, cy - by);
    let w1Row = (ax - cx) * (py - cy) - (ay - cy) * (px - cx) + tieBias(ax - cx, ay - cy);
    let w2Row = (bx - ax) * (py - ay) - (by - ay) * (px - ax) + tieBias(bx - ax, by - ay);
    const w0dx = -(cy - by) * SUB, w0dy = (cx - bx) * SUB;
    const w1dx = -(ay - cy) * SUB, w1dy = (ax - cx) * SUB;
    const w2dx = -(by - ay) * SUB, w2dy = (bx - ax) * SUB;
    const inv = 1 / area;
    const za = P[3 * a + 2], zb = P[3 * b + 2] - za, zc = P[3 * c + 2] - za;
    const nax = N[3 * a], nay = N[3 * a + 1], naz = N[3 * a + 2];
    const nbx = N[3 * b], nby = N[3 * b + 1], nbz = N[3 * b + 2];
    const ncx = N[3 * c], ncy = N[3 * c + 1], ncz = N[3 * c + 2];
    for (let j = j0; j <= j1; j++) {
      let w0 = w0Row, w1 = w1Row, w2 = w2Row;
      let p = j * size + i0;
      // A row crosses the (convex) triangle in one run: once inside, the first outside centre ends it.
      let entered = false;
      for (let i = i0; i <= i1; i++, p++, w0 += w0dx, w1 += w1dx, w2 += w2dx) {
        if (w0 < 0 || w1 < 0 || w2 < 0) {
          if (entered) break;
          continue;
        }
        entered = true;
        const l1 = w1 * inv;
        const l2 = w2 * inv;
        const z = za + l1 * zb + l2 * zc;
        if (z >= depth[p]) continue;
        depth[p] = z;
        const l0 = 1 - l1 - l2;
        const q = 3 * p;
        normal[q] = l0 * nax + l1 * nbx + l2 * ncx;
        normal[q + 1] = l0 * nay + l1 * nby + l2 * ncy;
        normal[q + 2] = l0 * naz + l1 * nbz + l2 * ncz;
        if (uvOut) {
          uvOut[2 * p] = l0 * UV[2 * a] + l1 * UV[2 * b] + l2 * UV[2 * c];
          uvOut[2 * p + 1] = l0 * UV[2 * a + 1] + l1 * UV[2 * b + 1] + l2 * UV[2 * c + 1];
        }
        if (attrOut) interpolate(attrOut, p, A!, ac, a, b, c, l0, l1, l2);
      }
      w0Row += w0dy;
      w1Row += w1dy;
      w2Row += w2dy;
    }
  }

  // ---- the edge band: pixels whose 3×3 neighbourhood holds 1–8 covered centres (outside the image: none) ----
  // The scratch images are reused between calls and hold stale values outside the bounds, so only pixels
  // inside them are read; outside, nothing is covered (the bounds keep a pixel of margin), i.e. 0.
  const { covered, rows, band, masks } = work;
  // Band pixels per 8×8 tile, so pass 2 skips the (many) triangles that lie wholly inside the face.
  const tiles = (size + 7) >> 3;
  const tileHasBand = new Uint8Array(tiles * tiles);
  let bandCount = 0;
  for (let j = by0; bx0 <= bx1 && j <= by1; j++) {
    // covered and its horizontal 3-sums in one sweep, the window sliding along the row.
    const r = j * size;
    let left = 0;
    let mid = depth[r + bx0] < Infinity ? 1 : 0;
    covered[r + bx0] = mid;
    for (let p = r + bx0, e = r + bx1; p < e; p++) {
      const right = depth[p + 1] < Infinity ? 1 : 0;
      covered[p + 1] = right;
      rows[p] = left + mid + right;
      left = mid;
      mid = right;
    }
    rows[r + bx1] = left + mid;
  }
  for (let j = by0; j <= by1; j++) {
    const r = j * size;
    const up = j > by0 ? -size : 0;
    const down = j < by1 ? size : 0;
    for (let i = bx0; i <= bx1; i++) {
      const p = r + i;
      const k = (up ? rows[p + up] : 0) + rows[p] + (down ? rows[p + down] : 0);
      if (k === 0 || k === 9) {
        coverage[p] = covered[p];
        band[p] = 0;
        continue;
      }
      band[p] = 1;
      masks[p] = 0;
      tileHasBand[(j >> 3) * tiles + (i >> 3)] = 1;
      bandCount++;
    }
  }

  // ---- pass 2: 4×4 coverage masks on the band, attributes for band pixels with an uncovered centre ----
  if (bandCount > 0) {
    for (let t = 0; t < T.length; t += 3) {
      const a = T[t];
      let b = T[t + 1];
      let c = T[t + 2];
      let area = (sx[b] - sx[a]) * (sy[c] - sy[a]) - (sy[b] - sy[a]) * (sx[c] - sx[a]);
      if (area === 0) continue;
      if (area < 0) {
        const s = b;
        b = c;
        c = s;
        area = -area;
      } else if (cull) continue;
      const ax = sx[a], ay = sy[a], bx = sx[b], by = sy[b], cx = sx[c], cy = sy[c];
      const i0 = Math.max(0, Math.floor(Math.min(ax, bx, cx) / SUB));
      const i1 = Math.min(last, Math.floor(Math.max(ax, bx, cx) / SUB));
      const j0 = Math.max(0, Math.floor(Math.min(ay, by, cy) / SUB));
      const j1 = Math.min(last, Math.floor(Math.max(ay, by, cy) / SUB));
      if (i0 > i1 || j0 > j1) continue;
      let touchesBand = false;
      for (let tj = j0 >> 3; tj <= j1 >> 3 && !touchesBand; tj++) {
        for (let ti = i0 >> 3; ti <= i1 >> 3; ti++) {
          if (tileHasBand[tj * tiles + ti]) {
            touchesBand = true;
            break;
          }
        }
      }
      if (!touchesBand) continue;
      const e0x = cx - bx, e0y = cy - by, b0 = tieBias(e0x, e0y);
      const e1x = ax - cx, e1y = ay - cy, b1 = tieBias(e1x, e1y);
      const e2x = bx - ax, e2y = by - ay, b2 = tieBias(e2x, e2y);
      const s0x = -e0y * SAMPLE_STEP, s0y = e0x * SAMPLE_STEP;
      const s1x = -e1y * SAMPLE_STEP, s1y = e1x * SAMPLE_STEP;
      const s2x = -e2y * SAMPLE_STEP, s2y = e2x * SAMPLE_STEP;
      // The edge functions' least and greatest offsets over the 4×4 samples from the first one (they are
      // linear: extremes at the corners), to settle wholly inside or outside pixels without the 16 tests.
      const lo0 = Math.min(0, 3 * s0x) + Math.min(0, 3 * s0y), hi0 = Math.max(0, 3 * s0x) + Math.max(0, 3 * s0y);
      const lo1 = Math.min(0, 3 * s1x) + Math.min(0, 3 * s1y), hi1 = Math.max(0, 3 * s1x) + Math.max(0, 3 * s1y);
      const lo2 = Math.min(0, 3 * s2x) + Math.min(0, 3 * s2y), hi2 = Math.max(0, 3 * s2x) + Math.max(0, 3 * s2y);
      const inv = 1 / area;
      for (let j = j0; j <= j1; j++) {
        for (let i = i0; i <= i1; i++) {
          const p = j * size + i;
          if (band[p] === 0) continue;
          // First sample of the pixel.
          const qx = i * SUB + SAMPLE_OFFSET;
          const qy = j * SUB + SAMPLE_OFFSET;
          const f0 = e0x * (qy - by) - e0y * (qx - bx) + b0;
          const f1 = e1x * (qy - cy) - e1y * (qx - cx) + b1;
          const f2 = e2x * (qy - ay) - e2y * (qx - ax) + b2;
          if (f0 + hi0 < 0 || f1 + hi1 < 0 || f2 + hi2 < 0) continue;
          let bits = 0;
          if (f0 + lo0 >= 0 && f1 + lo1 >= 0 && f2 + lo2 >= 0) bits = 0xffff;
          else {
            for (let v = 0; v < 4; v++) {
              let g0 = f0 + v * s0y;
              let g1 = f1 + v * s1y;
              let g2 = f2 + v * s2y;
              for (let u = 0; u < 4; u++, g0 += s0x, g1 += s1x, g2 += s2x) {
                if (g0 >= 0 && g1 >= 0 && g2 >= 0) bits |= 1 << (4 * v + u);
              }
            }
          }
          if (bits === 0) continue;
          masks[p] |= bits;
          if (covered[p]) continue;
          // Uncovered centre: this triangle's attributes at the centre, barycentrics clamped onto it.
          const cxp = i * SUB + HALF;
          const cyp = j * SUB + HALF;
          let l0 = Math.max(0, e0x * (cyp - by) - e0y * (cxp - bx)) * inv;
          let l1 = Math.max(0, e1x * (cyp - cy) - e1y * (cxp - cx)) * inv;
          let l2 = Math.max(0, e2x * (cyp - ay) - e2y * (cxp - ax)) * inv;
          const sum = l0 + l1 + l2;
          l0 /= sum;
          l1 /= sum;
          l2 /= sum;
          const z = l0 * P[3 * a + 2] + l1 * P[3 * b + 2] + l2 * P[3 * c + 2];
          if (z >= depth[p]) continue;
          depth[p] = z;
          const q = 3 * p;
          normal[q] = l0 * N[3 * a] + l1 * N[3 * b] + l2 * N[3 * c];
          normal[q + 1] = l0 * N[3 * a + 1] + l1 * N[3 * b + 1] + l2 * N[3 * c + 1];
          normal[q + 2] = l0 * N[3 * a + 2] + l1 * N[3 * b + 2] + l2 * N[3 * c + 2];
          if (uvOut) {
            uvOut[2 * p] = l0 * UV[2 * a] + l1 * UV[2 * b] + l2 * UV[2 * c];
            uvOut[2 * p + 1] = l0 * UV[2 * a + 1] + l1 * UV[2 * b + 1] + l2 * UV[2 * c + 1];
          }
          if (attrOut) interpolate(attrOut, p, A!, ac, a, b, c, l0, l1, l2);
        }
      }
    }
    for (let j = by0; j <= by1; j++) {
      for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
        if (band[p] === 0) continue;
        const k = POPCOUNT[masks[p]];
        coverage[p] = k > 0 ? k / 16 : covered[p] ? 1 / 16 : 0;
      }
    }
  }

  // ---- unit normals ----
  for (let j = by0; j <= by1; j++) {
    for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
      if (coverage[p] === 0) continue;
      const q = 3 * p;
      const x = normal[q], y = normal[q + 1], z = normal[q + 2];
      const len = Math.sqrt(x * x + y * y + z * z);
      if (len > 1e-12) {
        normal[q] = x / len;
        normal[q + 1] = y / len;
        normal[q + 2] = z / len;
      } else normal[q + 2] = -1;
    }
  }
  return buf;
}
