// The overlay PNG: the part of the photo around the reconstructed faces (their extent plus 30 % on each
// side, scaled down to at most 512 px), with each face's box, its 478 dense points and its 68 landmarks
// drawn on it, so a person can see at a glance that the reconstruction worked. Drawing is a few hundred
// small discs written straight into the pixels: rasterising an SVG with librsvg and encoding the whole
// photo cost 40–150 ms; this costs a few ms.
import type { FaceResult, RgbImage } from '../types.js';
import { encodePng } from './png.js';

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
  const out = shrinkRegion(img, left, top, 1 / scale, w, h);

  const X = (v: number): number => (v - left) * scale;
  const Y = (v: number): number => (v - top) * scale;
  const canvas: Canvas = { data: out, width: w, height: h };
  for (const f of faces) {
    const [bx, by, bw, bh] = f.box;
    const c = [X(bx), Y(by), X(bx + bw), Y(by + bh)];
    line(canvas, c[0], c[1], c[2], c[1], BOX);
    line(canvas, c[2], c[1], c[2], c[3], BOX);
    line(canvas, c[2], c[3], c[0], c[3], BOX);
    line(canvas, c[0], c[3], c[0], c[1], BOX);
    const r = Math.max(0.7, (Math.min(bw, bh) * scale) / 220);
    for (const p of f.points ?? []) disc(canvas, X(p[0]), Y(p[1]), r, POINT);
    for (const p of f.landmarks68 ?? []) disc(canvas, X(p[0]), Y(p[1]), r * 2, LANDMARK);
  }
  const png = await encodePng({ data: out, width: w, height: h, channels: 3 }, { photo: true });
  return { png, region: [left, top, width, height], scale };
}

interface Canvas {
  data: Uint8Array;
  width: number;
  height: number;
}

// disc and line are module-level, not closures in renderOverlay: V8 holds a closure's optimised code only
// weakly once the closure is gone, so a fresh closure per photo was recompiled after every full GC (about
// one per 8 photos in a batch), on the background threads that a second batch worker needs.

/** A filled disc blended over the RGB canvas, with a one-pixel soft edge. */
function disc(canvas: Canvas, cx: number, cy: number, r: number, c: Rgb): void {
  const { data: out, width: w, height: h } = canvas;
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(h - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(w - 1, Math.ceil(cx + r)); x++) {
      // Coverage of the pixel centre by the disc, with a one-pixel soft edge.
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const a = Math.min(1, r + 0.5 - Math.sqrt(dx * dx + dy * dy));
      if (a <= 0) continue;
      const o = (y * w + x) * 3;
      // Uint8Array stores truncate: +0.5 rounds.
      out[o] = out[o] * (1 - a) + c[0] * a + 0.5;
      out[o + 1] = out[o + 1] * (1 - a) + c[1] * a + 0.5;
      out[o + 2] = out[o + 2] * (1 - a) + c[2] * a + 0.5;
    }
  }
}

/** A line of small discs, one per pixel of its length. */
function line(canvas: Canvas, ax: number, ay: number, bx: number, by: number, c: Rgb): void {
  const n = Math.ceil(Math.hypot(bx - ax, by - ay));
  for (let i = 0; i <= n; i++) disc(canvas, ax + ((bx - ax) * i) / n, ay + ((by - ay) * i) / n, 0.8, c);
}

/**
 * The w×h overlay pixels of the image region starting at (left, top), `s` image pixels per overlay pixel:
 * each pixel is the mean of k×k taps over its footprint (k ≥ 2 once it shrinks by a quarter or more; at
 * scale 1 it is a copy). Tap positions separate into column and row tables, so the loop is integer adds.
 */
function shrinkRegion(img: RgbImage, left: number, top: number, s: number, w: number, h: number): Uint8Array {
  const { data, width, height } = img;
  if (s === 1) {
    // No scaling (the region fits): copy its rows.
    const out = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) out.set(data.subarray(((top + y) * width + left) * 3, ((top + y) * width + left + w) * 3), y * w * 3);
    return out;
  }
  const k = s < 1.25 ? 1 : Math.max(2, Math.min(4, Math.round(s)));
  const cols = new Int32Array(w * k);
  const rows = new Int32Array(h * k);
  for (let t = 0; t < w * k; t++) cols[t] = Math.min(width - 1, Math.max(0, Math.floor(left + (s * (t + 0.5)) / k))) * 3;
  for (let t = 0; t < h * k; t++) rows[t] = Math.min(height - 1, Math.max(0, Math.floor(top + (s * (t + 0.5)) / k))) * width * 3;
  const out = new Uint8Array(w * h * 3);
  const inv = 1 / (k * k);
  let o = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < k; j++) {
        const row = rows[y * k + j];
        for (let i = 0; i < k; i++) {
          const p = row + cols[x * k + i];
          r += data[p];
          g += data[p + 1];
          b += data[p + 2];
        }
      }
      out[o++] = r * inv + 0.5;
      out[o++] = g * inv + 0.5;
      out[o++] = b * inv + 0.5;
    }
  }
  return out;
}
