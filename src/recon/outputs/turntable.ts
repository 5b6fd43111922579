// turntable.webp: a short animated preview of the reconstructed head turning ±60° about its vertical axis,
// rendered by our own rasteriser (render/raster.ts), so it works headless and in batch runs. Each frame shows
// the head twice, side by side: grey-shaded (the shape alone) and textured (the completed texture, lightly
// shaded). Encoded as an animated WebP by sharp (libwebp).
import sharp from 'sharp';
import { invalidOption } from '../errors.js';
import type { FaceMesh } from '../mesh/build.js';
import { rasterize, type RasterBuffers } from '../render/raster.js';
import type { RgbImage } from '../types.js';

export const TURNTABLE = {
  /** Side of each of the two panels, pixels. */
  size: 256,
  /** Frames per loop and milliseconds per frame: 32 × 70 ms ≈ 2.2 s. */
  frames: 32,
  delay: 70,
  /** Largest turn either way, degrees. */
  degrees: 60,
  /** Share of the panel the face's height takes. */
  fill: 0.8,
  background: 34,
  quality: 80,
} as const;

export interface TurntableOptions {
  /** Panel side 64–512 (default 256). */
  size?: number;
  /** Frames per loop 4–120 (default 32). */
  frames?: number;
}

/**
 * The turntable of a front-view mesh (views.ts: front crop pixels, x right, y down, z away from the viewer) with
 * its completed texture. Returns the WebP bytes.
 */
export async function renderTurntable(front: FaceMesh, texture: RgbImage, options: TurntableOptions = {}): Promise<Uint8Array> {
  const size = options.size ?? TURNTABLE.size;
  const frames = options.frames ?? TURNTABLE.frames;
  if (!(Number.isInteger(size) && size >= 64 && size <= 512)) throw invalidOption('size', 'an integer 64–512', size);
  if (!(Number.isInteger(frames) && frames >= 4 && frames <= 120)) throw invalidOption('frames', 'an integer 4–120', frames);
  const P = front.positions;
  const N = front.normals;
  const n = P.length / 3;
  // Pivot: the middle of the face's extent in x and y, and the mean depth of its outline region (behind the
  // nose), so the face swings about the head rather than about its tip.
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity, maxZ = -Infinity, minZ = Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, P[3 * i]);
    maxX = Math.max(maxX, P[3 * i]);
    minY = Math.min(minY, P[3 * i + 1]);
    maxY = Math.max(maxY, P[3 * i + 1]);
    minZ = Math.min(minZ, P[3 * i + 2]);
    maxZ = Math.max(maxZ, P[3 * i + 2]);
  }
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const cz = minZ + 0.75 * (maxZ - minZ);
  const scale = (TURNTABLE.fill * size) / Math.max(maxY - minY, maxX - minX, 1e-6);
  const positions = new Float32Array(3 * n);
  const normals = new Float32Array(3 * n);
  const mesh: FaceMesh = { ...front, positions, normals };
  const width = 2 * size;
  const pixels = new Uint8Array(width * size * 3 * frames);
  const target: RasterBuffers = { size, depth: new Float32Array(size * size), normal: new Float32Array(3 * size * size), coverage: new Float32Array(size * size) };
  // A key light from the viewer's upper left, in view space (x right, y down, z away from the viewer).
  const L = normalise([-0.45, -0.5, -0.75]);
  for (let f = 0; f < frames; f++) {
    const a = (TURNTABLE.degrees * Math.PI * Math.sin((2 * Math.PI * f) / frames)) / 180;
    const c = Math.cos(a);
    const s = Math.sin(a);
    // Turn about the vertical axis (y) through the pivot: positive angles turn the subject's left cheek
    // (image right) away from the viewer.
    for (let i = 0; i < n; i++) {
      const x = P[3 * i] - cx;
      const z = P[3 * i + 2] - cz;
      positions[3 * i] = size / 2 + scale * (c * x - s * z);
      positions[3 * i + 1] = size / 2 + scale * (P[3 * i + 1] - cy);
      positions[3 * i + 2] = scale * (s * x + c * z);
      normals[3 * i] = c * N[3 * i] - s * N[3 * i + 2];
      normals[3 * i + 1] = N[3 * i + 1];
      normals[3 * i + 2] = s * N[3 * i] + c * N[3 * i + 2];
    }
    const r = rasterize(mesh, size, { uv: true, cullBackFaces: true, target });
    shadeFrame(r, texture, L, pixels, f * width * size * 3, width);
  }
  const webp = await sharp(pixels, { raw: { width, height: size * frames, channels: 3, pageHeight: size } })
    .webp({ quality: TURNTABLE.quality, loop: 0, delay: new Array<number>(frames).fill(TURNTABLE.delay), effort: 1 })
    .toBuffer();
  return new Uint8Array(webp.buffer, webp.byteOffset, webp.byteLength);
}

/** One frame into `out` at `offset`: the grey panel on the left, the textured one on the right. */
function shadeFrame(r: RasterBuffers, texture: RgbImage, L: number[], out: Uint8Array, offset: number, width: number): void {
  const { size, normal, coverage } = r;
  const uv = r.uv!;
  const bg = TURNTABLE.background;
  const t = texture.data;
  const ts = texture.width;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const p = j * size + i;
      const q = offset + 3 * (j * width + i);
      const q2 = q + 3 * size;
      const cov = coverage[p];
      if (!(cov > 0)) {
        out[q] = out[q + 1] = out[q + 2] = bg;
        out[q2] = out[q2 + 1] = out[q2 + 2] = bg;
        continue;
      }
      const d = Math.max(0, -(normal[3 * p] * L[0] + normal[3 * p + 1] * L[1] + normal[3 * p + 2] * L[2]));
      // Lambert from the key light, a soft fill from the viewer, an ambient floor.
      const fill = Math.max(0, -normal[3 * p + 2]);
      const grey = 0.12 + 0.62 * d + 0.26 * fill;
      const g = cov * 255 * Math.min(1, grey) + (1 - cov) * bg;
      out[q] = out[q + 1] = out[q + 2] = g;
      // Texture, bilinear; v up (row 0 is v = 1).
      const x = Math.min(ts - 1, Math.max(0, uv[2 * p] * ts - 0.5));
      const y = Math.min(ts - 1, Math.max(0, (1 - uv[2 * p + 1]) * ts - 0.5));
      const x0 = x | 0;
      const y0 = y | 0;
      const x1 = Math.min(ts - 1, x0 + 1);
      const y1 = Math.min(ts - 1, y0 + 1);
      const fx = x - x0;
      const fy = y - y0;
      const light = Math.min(1.15, 0.45 + 0.45 * d + 0.25 * fill);
      for (let k = 0; k < 3; k++) {
        const v =
          (t[3 * (y0 * ts + x0) + k] * (1 - fx) + t[3 * (y0 * ts + x1) + k] * fx) * (1 - fy) + (t[3 * (y1 * ts + x0) + k] * (1 - fx) + t[3 * (y1 * ts + x1) + k] * fx) * fy;
        out[q2 + k] = cov * Math.min(255, v * light) + (1 - cov) * bg;
      }
    }
  }
}

function normalise(v: number[]): number[] {
  const l = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / l, v[1] / l, v[2] / l];
}
