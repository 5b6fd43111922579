import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const facesDir = path.resolve(repoRoot, '../shared/faces');
export const casesDir = path.join(facesDir, 'cases');
export const landmarksDir = path.join(facesDir, 'landmarks');
export const casePath = (f: string): string => path.join(casesDir, f);
export const landmarkPhoto = (f: string): string => path.join(landmarksDir, f);

/** Every photo under ../shared/faces (cases and landmarks). */
export function allPhotos(): string[] {
  return [casesDir, landmarksDir].flatMap((d) =>
    fs.readdirSync(d).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().map((f) => path.join(d, f)),
  );
}
