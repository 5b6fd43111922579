// The overlay PNG: the photo with every face's box, its 478 dense points and its 68 landmarks drawn on it,
// so a person can see at a glance that the reconstruction worked. Drawn as SVG and composited by sharp.
import sharp from 'sharp';
import type { FaceResult, RgbImage } from '../types.js';

export async function renderOverlay(img: RgbImage, faces: FaceResult[]): Promise<Buffer> {
  const unit = Math.max(1, Math.round(Math.max(img.width, img.height) / 600));
  const parts: string[] = [];
  for (const f of faces) {
    const [x, y, w, h] = f.box;
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#ffd000" stroke-width="${unit}"/>`);
    const r = Math.max(0.6, Math.min(w, h) / 250);
    for (const p of f.points ?? []) parts.push(`<circle cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="${r.toFixed(2)}" fill="#00e5ff"/>`);
    for (const p of f.landmarks68 ?? []) parts.push(`<circle cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="${(r * 2.5).toFixed(2)}" fill="#ff2d55"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${img.width}" height="${img.height}">${parts.join('')}</svg>`;
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png({ compressionLevel: 6 })
    .toBuffer();
}
