// Shared by the bench scripts: the benchmark photo, the batch benchmarks' photo folder, and percentile formatting.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

/** A 1920×1080 JPEG (q90) of the public-domain control portrait, written into `dir`. */
export async function makeHdPhoto(faces: string, dir: string): Promise<string> {
  const file = path.join(dir, 'portrait-1080p.jpg');
  await sharp(path.join(faces, 'cases/control_obama_official_portrait.jpg'))
    .resize(1920, 1080, { fit: 'contain', background: '#808080' })
    .jpeg({ quality: 90 })
    .toFile(file);
  return file;
}

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export const f1 = (v: number): string => v.toFixed(1);

/**
 * `count` photos made from every photo in ../shared/faces at five scales (0.5–2×, at most 2400 px wide), 4 in 5
 * JPEG q85 and 1 in 5 PNG, in 4 sub-folders of `dir`. Returns their pixel counts and the number of sources.
 */
export async function makeBatchPhotos(faces: string, dir: string, count: number): Promise<{ pixels: number[]; sources: number }> {
  const sources = ['cases', 'landmarks'].flatMap((d) =>
    fs.readdirSync(path.join(faces, d)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().map((f) => path.join(faces, d, f)),
  );
  const SCALES = [1, 0.5, 1.5, 0.75, 2];
  const pixels: number[] = [];
  for (let i = 0; i < count; i++) {
    const src = sources[i % sources.length];
    const scale = SCALES[Math.floor(i / sources.length) % SCALES.length];
    const meta = await sharp(src).metadata();
    const width = Math.max(64, Math.min(2400, Math.round((meta.width ?? 512) * scale)));
    const sub = path.join(dir, `part${i % 4}`);
    fs.mkdirSync(sub, { recursive: true });
    const img = sharp(src).rotate().resize({ width });
    const file = path.join(sub, `photo${String(i).padStart(4, '0')}${i % 5 === 4 ? '.png' : '.jpg'}`);
    await (i % 5 === 4 ? img.png() : img.jpeg({ quality: 85 })).toFile(file);
    const m = await sharp(file).metadata();
    pixels.push((m.width ?? 0) * (m.height ?? 0));
  }
  return { pixels, sources: sources.length };
}
