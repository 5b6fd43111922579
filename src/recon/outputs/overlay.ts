// The overlay PNG: the part of the photo around the reconstructed faces (their extent plus 30 % on each
// side, scaled down to at most 512 px), with each face's box, its 478 dense points and its 68 landmarks
// drawn on it, so a person can see at a glance that the reconstruction worked. Drawing is a few hundred
// small discs written straight into the pixels: rasterising an SVG with librsvg and encoding the whole
// photo cost 40–150 ms; this costs a few ms.
import sharp from 'sharp';
import type { FaceResult, RgbImage } from '../types.js';
import { warpToTensor } from '../warp.js';

export const OVERLAY_MAX_SIDE = 512;

export interface Overlay {
  png: Buffer;
  /** [x, y, w, h] of the photo region the overlay shows, image pixels. */
  region: [number, number, number, number];
  /** Overlay pixels per image pixel (≤ 1). */
  scale: number;
}

type Rgb = [number, number, number];
const BOX: Rgb = [255, 208, 0];
const POINT: Rgb = [0, 229, 255];
const LANDMARK: Rgb = [255, 45, 85];

export async function renderOverlay(img: RgbImage, faces: FaceResult[]): Promise<Overlay> {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const grow = (x: number, y: number): void => {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  };
  for (const f of faces) {
    grow(f.box[0], f.box[1]);
    grow(f.box[0] + f.box[2], f.box[1] + f.box[3]);
    for (const p of f.points ?? []) grow(p[0], p[1]);
  }
  if (!faces.length) [x0, y0, x1, y1] = [0, 0, img.width, img.height];
  const pad = faces.length ? 0.3 * Math.max(x1 - x0, y1 - y0) : 0;
  const left = Math.max(0, Math.floor(x0 - pad));
  const top = Math.max(0, Math.floor(y0 - pad));
  const width = Math.min(img.width, Math.ceil(x1 + pad)) - left;
  const height = Math.min(img.height, Math.ceil(y1 + pad)) - top;
  const scale = Math.min(1, OVERLAY_MAX_SIDE / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  // Region → overlay pixels, area-filtered by the warp when shrinking.
  const s = 1 / scale;
  const floats = warpToTensor(img, [s, 0, left, 0, s, top], Math.max(w, h), { scale: 1, offset: 0 });
  const side = Math.max(w, h);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w * 3; x++) out[y * w * 3 + x] = floats[y * side * 3 + x];

  const X = (v: number): number => (v - left) * scale;
  const Y = (v: number): number => (v - top) * scale;
  const disc = (cx: number, cy: number, r: number, c: Rgb): void => {
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(h - 1, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(w - 1, Math.ceil(cx + r)); x++) {
        // Coverage of the pixel centre by the disc, with a one-pixel soft edge.
        const a = Math.max(0, Math.min(1, r + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy)));
        if (a <= 0) continue;
        const o = (y * w + x) * 3;
        for (let k = 0; k < 3; k++) out[o + k] = Math.round(out[o + k] * (1 - a) + c[k] * a);
      }
    }
  };
  const line = (ax: number, ay: number, bx: number, by: number, c: Rgb): void => {
    const n = Math.ceil(Math.hypot(bx - ax, by - ay));
    for (let i = 0; i <= n; i++) disc(ax + ((bx - ax) * i) / n, ay + ((by - ay) * i) / n, 0.8, c);
  };
  for (const f of faces) {
    const [bx, by, bw, bh] = f.box;
    const c = [X(bx), Y(by), X(bx + bw), Y(by + bh)];
    line(c[0], c[1], c[2], c[1], BOX);
    line(c[2], c[1], c[2], c[3], BOX);
    line(c[2], c[3], c[0], c[3], BOX);
    line(c[0], c[3], c[0], c[1], BOX);
    const r = Math.max(0.7, (Math.min(bw, bh) * scale) / 220);
    for (const p of f.points ?? []) disc(X(p[0]), Y(p[1]), r, POINT);
    for (const p of f.landmarks68 ?? []) disc(X(p[0]), Y(p[1]), r * 2, LANDMARK);
  }
  const png = await sharp(out, { raw: { width: w, height: h, channels: 3 } }).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
  return { png, region: [left, top, width, height], scale };
}
