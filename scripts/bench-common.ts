// Shared by the bench scripts: the benchmark photo and percentile formatting.
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
