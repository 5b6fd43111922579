// The completed texture (architecture note §11; docs/mesh-export.md, "Texture"): the photo projected onto the
// mesh in its left-right symmetric UV layout (topology.ts), with every texel the photo did not see filled in:
//   1. projection: each texel takes the photo's colour at its surface point (texture.ts rasterise) and that
//      point's seen weight (visibility.ts: 0 where hidden, turned away, outside the photo);
//   2. mirror: a texel whose surface point prefers its mirror twin (visibility.ts: the twin faced the camera
//      clearly better) takes the mirror texel's colour (x → size − 1 − x, i.e. u → 1 − u: the layout is
//      symmetric), by visibility.ts's shares;
//   3. inpainting: what neither saw is filled smoothly from the surroundings by push–pull (a weighted image
//      pyramid, down by 2×2 weighted means, back up bilinearly), which also fills the square outside the
//      layout, so mip-maps and bilinear filtering at the outline stay skin-coloured.
// Nothing is ever copied from a texel whose surface point the photo did not see, so background and hair at
// the silhouette do not smear across the hidden side.
// The visibility mask (texture-visibility.png) is each texel's seen weight, 0–255 (0 outside the layout).
// The detail normal map (texture-normal.png) is the lighting-normalised high-pass of the completed texture's
// luminance read as a height field: a tangent-space normal map derived from the photo's shading (a crease is
// darker than the skin round it, so it reads as a groove), not a measurement of the surface.
import { invalidOption } from '../errors.js';
import { boxBlur } from '../render/filters.js';
import { STRUCTURE } from '../outputs/maps.js';
import type { RgbImage } from '../types.js';
import { rasteriseTexture } from './texture.js';

export const COMPLETED_TEXTURE = {
  /** Smallest and largest texture side; 'auto' never exceeds the photo's own pixel density on the face. */
  min: 64,
  max: 2048,
  /** Slope of the detail normal map per unit of high-pass difference between neighbouring texels. */
  normalStrength: 6,
} as const;

export interface CompletedTextureOptions {
  /** Side in texels: 'auto' (default, textureSideFor) or an integer 64–4096. */
  size?: number | 'auto';
  /** Also compute the tangent-space detail normal map (default true). */
  normalMap?: boolean;
}

export interface CompletedTexture {
  texture: RgbImage;
  /** size², seen weight 0–255 per texel (0 outside the UV layout). */
  visibility: Uint8Array;
  /** size² × 3 RGB tangent-space normals, (n + 1)/2·255, +X = +u, +Y = +v (OpenGL/glTF convention); empty unless asked. */
  normal: Uint8Array;
  /** Shares of the UV layout's area: its own photo, the mirror texel's photo, inpainted. They sum to 1. */
  shares: { seen: number; mirrored: number; inpainted: number };
}

/**
 * The texture side at which one texel covers one photo pixel on a surface facing the camera: √(area in photo
 * pixels / area in UV) summed over the mesh, with `points3d` in photo pixels in 3-D (x, y and depth alike, so
 * the measure does not shrink when the head turns), rounded down to a multiple of 4 (no upsampling past what
 * the photo holds) and clamped to 64–2048.
 */
export function textureSideFor(points3d: ArrayLike<number>, uvs: ArrayLike<number>, triangles: ArrayLike<number>): number {
  let area = 0;
  let uvArea = 0;
  for (let t = 0; t < triangles.length; t += 3) {
    const a = 3 * triangles[t];
    const b = 3 * triangles[t + 1];
    const c = 3 * triangles[t + 2];
    const ux = points3d[b] - points3d[a];
    const uy = points3d[b + 1] - points3d[a + 1];
    const uz = points3d[b + 2] - points3d[a + 2];
    const vx = points3d[c] - points3d[a];
    const vy = points3d[c + 1] - points3d[a + 1];
    const vz = points3d[c + 2] - points3d[a + 2];
    area += Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
    const i = (2 * a) / 3;
    const j = (2 * b) / 3;
    const k = (2 * c) / 3;
    uvArea += Math.abs((uvs[j] - uvs[i]) * (uvs[k + 1] - uvs[i + 1]) - (uvs[j + 1] - uvs[i + 1]) * (uvs[k] - uvs[i]));
  }
  const density = uvArea > 0 ? Math.sqrt(area / uvArea) : 0;
  return Math.min(COMPLETED_TEXTURE.max, Math.max(COMPLETED_TEXTURE.min, Math.floor(density / 4) * 4));
}

/**
 * The completed texture of one face. `imagePoints[i]`: vertex i's position in the photo (x, y pixels); `seen[i]`
 * and `prefer[i]` its visibility.ts weights; `points3d` (3 per vertex, photo pixels) sizes the texture when `size` is 'auto'.
 */
export function completeTexture(
  image: RgbImage,
  imagePoints: ReadonlyArray<ArrayLike<number>>,
  seen: ArrayLike<number>,
  prefer: ArrayLike<number>,
  points3d: ArrayLike<number>,
  uvs: ArrayLike<number>,
  triangles: ArrayLike<number>,
  options: CompletedTextureOptions = {},
): CompletedTexture {
  const sizeOption = options.size ?? 'auto';
  if (sizeOption !== 'auto' && !(Number.isInteger(sizeOption) && sizeOption >= 64 && sizeOption <= 4096)) {
    throw invalidOption('size', '"auto" or an integer 64–4096', sizeOption);
  }
  const size = sizeOption === 'auto' ? textureSideFor(points3d, uvs, triangles) : sizeOption;
  const n = size * size;
  const photo = new Uint8Array(n * 3);
  const layout = new Uint8Array(n);
  const nv = uvs.length / 2;
  const values = new Float32Array(2 * nv);
  for (let i = 0; i < nv; i++) {
    values[2 * i] = seen[i];
    values[2 * i + 1] = prefer[i];
  }
  const perTexel = new Float32Array(2 * n);
  rasteriseTexture(image, imagePoints, uvs, triangles, size, photo, layout, values, perTexel, 2);

  // Steps 1–2: known colour (premultiplied by its weight) from the texel itself and its mirror texel, by
  // their seen weights and the texel's preference (visibility.ts, feathered over the mesh).
  const last = size - 1;
  const known = new Float32Array(n);
  // Known colours, premultiplied by their weight, written over the photo samples in place (rounded to bytes:
  // the push–pull below works on a half-size copy, and the composite rounds anyway).
  const premul = photo;
  const visibility = new Uint8Array(n);
  let own = 0;
  let mirrored = 0;
  let area = 0;
  // Row by row, each texel and its mirror together (they read each other's photo colour before either is
  // overwritten).
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let x = 0; x <= last - x; x++) {
      const t = row + x;
      const m = row + last - x;
      const inT = layout[t] !== 0;
      const inM = layout[m] !== 0;
      if (!inT && !inM) continue;
      const wt = inT ? perTexel[2 * t] : 0;
      const wm = inM ? perTexel[2 * m] : 0;
      // visibility.ts shares: own = prefer·seen, mirror = (1 − prefer)·seen of the twin.
      const pt = perTexel[2 * t + 1];
      const pm = perTexel[2 * m + 1];
      const ot = inT ? pt * wt : 0;
      const mt = inT ? (1 - pt) * wm : 0;
      const om = inM ? pm * wm : 0;
      const mm = inM ? (1 - pm) * wt : 0;
      const r0 = premul[3 * t], g0 = premul[3 * t + 1], b0 = premul[3 * t + 2];
      const r1 = premul[3 * m], g1 = premul[3 * m + 1], b1 = premul[3 * m + 2];
      if (inT) {
        known[t] = ot + mt;
        premul[3 * t] = ot * r0 + mt * r1 + 0.5;
        premul[3 * t + 1] = ot * g0 + mt * g1 + 0.5;
        premul[3 * t + 2] = ot * b0 + mt * b1 + 0.5;
        visibility[t] = wt * 255 + 0.5;
        own += ot;
        mirrored += mt;
        area++;
      }
      if (inM && m !== t) {
        known[m] = om + mm;
        premul[3 * m] = om * r1 + mm * r0 + 0.5;
        premul[3 * m + 1] = om * g1 + mm * g0 + 0.5;
        premul[3 * m + 2] = om * b1 + mm * b0 + 0.5;
        visibility[m] = wm * 255 + 0.5;
        own += om;
        mirrored += mm;
        area++;
      }
    }
  }
  // Step 3: push–pull fill (at a quarter of the size: the fill is smooth), then composite.
  const half = Math.ceil(size / FILL_STEP);
  const fill = pushPull(premul, known, size);
  const out = new Uint8Array(n * 3);
  // The fill's bilinear lookup per column, once.
  const cx0 = new Int32Array(size);
  const cx1 = new Int32Array(size);
  const cfx = new Float32Array(size);
  for (let x = 0; x < size; x++) {
    const gx = Math.min(half - 1, Math.max(0, (x + 0.5) / FILL_STEP - 0.5));
    cx0[x] = 3 * (gx | 0);
    cx1[x] = 3 * Math.min(half - 1, (gx | 0) + 1);
    cfx[x] = gx - (gx | 0);
  }
  for (let y = 0; y < size; y++) {
    const gy = Math.min(half - 1, Math.max(0, (y + 0.5) / FILL_STEP - 0.5));
    const r0 = 3 * half * (gy | 0);
    const r1 = 3 * half * Math.min(half - 1, (gy | 0) + 1);
    const fy = gy - (gy | 0);
    for (let x = 0, t = y * size; x < size; x++, t++) {
      const k = known[t];
      const q = 3 * t;
      if (k >= 1) {
        out[q] = premul[q];
        out[q + 1] = premul[q + 1];
        out[q + 2] = premul[q + 2];
        continue;
      }
      const fx = cfx[x];
      const a = r0 + cx0[x];
      const b = r0 + cx1[x];
      const c = r1 + cx0[x];
      const d = r1 + cx1[x];
      const u = 1 - k;
      const w00 = (1 - fx) * (1 - fy) * u;
      const w01 = fx * (1 - fy) * u;
      const w10 = (1 - fx) * fy * u;
      const w11 = fx * fy * u;
      const vr = premul[q] + w00 * fill[a] + w01 * fill[b] + w10 * fill[c] + w11 * fill[d];
      const vg = premul[q + 1] + w00 * fill[a + 1] + w01 * fill[b + 1] + w10 * fill[c + 1] + w11 * fill[d + 1];
      const vb = premul[q + 2] + w00 * fill[a + 2] + w01 * fill[b + 2] + w10 * fill[c + 2] + w11 * fill[d + 2];
      out[q] = vr > 255 ? 255 : vr + 0.5;
      out[q + 1] = vg > 255 ? 255 : vg + 0.5;
      out[q + 2] = vb > 255 ? 255 : vb + 0.5;
    }
  }
  const texture = { data: out, width: size, height: size };
  return {
    texture,
    visibility,
    normal: options.normalMap === false ? new Uint8Array(0) : detailNormalMap(texture, known),
    shares: area > 0 ? { seen: own / area, mirrored: mirrored / area, inpainted: Math.max(0, 1 - (own + mirrored) / area) } : { seen: 0, mirrored: 0, inpainted: 1 },
  };
}

/** The fill's pyramid starts at 1/FILL_STEP of the texture's side. */
const FILL_STEP = 4;

/**
 * Push–pull (after Gortler et al. 1996) from 1/FILL_STEP of the size: a pyramid of weighted means, each level
 * half the size of the one before, down to one texel, each coarse texel weighted by its children's mean weight;
 * then from the top down each texel keeps its own colour by its weight and takes the rest from the coarser
 * level, interpolated bilinearly. Returns the first level's final colours (not premultiplied), ⌈size/4⌉² × 3.
 */
function pushPull(premul: Uint8Array, weight: Float32Array, size: number): Float32Array {
  const levels: Array<{ size: number; c: Float32Array; w: Float32Array }> = [];
  // The first level straight from the premultiplied full-size texels.
  const h = Math.ceil(size / FILL_STEP);
  const cells = FILL_STEP * FILL_STEP;
  {
    const c = new Float32Array(h * h * 3);
    const w = new Float32Array(h * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < h; x++) {
        let ws = 0;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let yy = FILL_STEP * y, ye = Math.min(size, FILL_STEP * (y + 1)); yy < ye; yy++) {
          for (let xx = FILL_STEP * x, xe = Math.min(size, FILL_STEP * (x + 1)); xx < xe; xx++) {
            const t = yy * size + xx;
            const wt = weight[t];
            if (wt === 0) continue;
            ws += wt;
            r += premul[3 * t];
            g += premul[3 * t + 1];
            b += premul[3 * t + 2];
          }
        }
        const t = y * h + x;
        if (ws > 0) {
          c[3 * t] = r / ws;
          c[3 * t + 1] = g / ws;
          c[3 * t + 2] = b / ws;
        }
        // The mean weight, not the sum (Gortler's min(1, Σw)): many barely-seen texels must not add up to a
        // confident coarse colour, or the background they glimpse would spread.
        w[t] = ws / cells;
      }
    }
    levels.push({ size: h, c, w });
  }
  while (levels[levels.length - 1].size > 1) {
    const f = levels[levels.length - 1];
    const s = (f.size + 1) >> 1;
    const c = new Float32Array(s * s * 3);
    const w = new Float32Array(s * s);
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        let ws = 0;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dy = 0; dy < 2; dy++) {
          const yy = 2 * y + dy;
          if (yy >= f.size) continue;
          for (let dx = 0; dx < 2; dx++) {
            const xx = 2 * x + dx;
            if (xx >= f.size) continue;
            const t = yy * f.size + xx;
            const wt = f.w[t];
            if (wt === 0) continue;
            ws += wt;
            r += wt * f.c[3 * t];
            g += wt * f.c[3 * t + 1];
            b += wt * f.c[3 * t + 2];
          }
        }
        const t = y * s + x;
        if (ws > 0) {
          c[3 * t] = r / ws;
          c[3 * t + 1] = g / ws;
          c[3 * t + 2] = b / ws;
        }
        w[t] = ws / 4;
      }
    }
    levels.push({ size: s, c, w });
  }
  // Back up: level l's final colours from its own and level l + 1's.
  for (let l = levels.length - 2; l >= 0; l--) {
    const f = levels[l];
    const g = levels[l + 1];
    const fs = f.size;
    const gs = g.size;
    for (let y = 0; y < fs; y++) {
      // Fine texel centre (x + 0.5)/fs in coarse texel units, minus the coarse centre offset.
      const gy = Math.min(gs - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
      const y0 = Math.floor(gy);
      const y1 = Math.min(gs - 1, y0 + 1);
      const fy = gy - y0;
      for (let x = 0; x < fs; x++) {
        const t = y * fs + x;
        const w = f.w[t];
        if (w >= 1) continue;
        const gx = Math.min(gs - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
        const x0 = Math.floor(gx);
        const x1 = Math.min(gs - 1, x0 + 1);
        const fx = gx - x0;
        const a = 3 * (y0 * gs + x0);
        const b = 3 * (y0 * gs + x1);
        const c = 3 * (y1 * gs + x0);
        const d = 3 * (y1 * gs + x1);
        for (let k = 0; k < 3; k++) {
          const up = (g.c[a + k] * (1 - fx) + g.c[b + k] * fx) * (1 - fy) + (g.c[c + k] * (1 - fx) + g.c[d + k] * fx) * fy;
          f.c[3 * t + k] = w * f.c[3 * t + k] + (1 - w) * up;
        }
      }
    }
    // Every texel of this level is now final: treat it as fully known for the level below.
    f.w.fill(1);
  }
  return levels[0].c;
}

/**
 * A tangent-space normal map from the texture's shading: h = the lighting-normalised high-pass of its luminance
 * ((Y − blur Y)/(blur Y + 8), clamped, as the structure map's detail layer) weighted by `known` (inpainted
 * texels stay flat), n ∝ (−k·∂h/∂u, −k·∂h/∂v, 1) in texels, v up (row 0 is v = 1).
 */
export function detailNormalMap(texture: RgbImage, known: Float32Array): Uint8Array {
  const size = texture.width;
  const n = size * size;
  const lum = new Float32Array(n);
  const d = texture.data;
  for (let t = 0; t < n; t++) lum[t] = 0.299 * d[3 * t] + 0.587 * d[3 * t + 1] + 0.114 * d[3 * t + 2];
  // The structure map's blur radius, scaled from the crop to the texture (the face spans about as many
  // texels as the crop has pixels across its width, give or take 10 %).
  const base = boxBlur(lum, size, size, STRUCTURE.DETAIL_RADIUS * size, 2);
  const h = new Float32Array(n);
  const clamp = STRUCTURE.DETAIL_CLAMP;
  for (let t = 0; t < n; t++) {
    const b = base[t];
    const v = (lum[t] - b) / (b + 8);
    h[t] = (v < -clamp ? -clamp : v > clamp ? clamp : v) * known[t];
  }
  const out = new Uint8Array(n * 3);
  const k = COMPLETED_TEXTURE.normalStrength / 2;
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    const up = (y > 0 ? y - 1 : y) * size;
    const down = (y < last ? y + 1 : y) * size;
    const row = y * size;
    for (let x = 0; x < size; x++) {
      const dx = h[row + (x < last ? x + 1 : x)] - h[row + (x > 0 ? x - 1 : x)];
      // ∂h/∂v = −∂h/∂row: v grows upwards, rows downwards.
      const dv = h[up + x] - h[down + x];
      const nx = -k * dx;
      const ny = -k * dv;
      const inv = 1 / Math.sqrt(nx * nx + ny * ny + 1);
      const q = 3 * (row + x);
      out[q] = (nx * inv + 1) * 127.5 + 0.5;
      out[q + 1] = (ny * inv + 1) * 127.5 + 0.5;
      out[q + 2] = (inv + 1) * 127.5 + 0.5;
    }
  }
  return out;
}
