// `recon-daemon reconstruct`: every photo through one engine (models loaded once). A photo that fails gets
// a result.json with the error and does not stop the others; the exit code is 1 if any photo failed.
import path from 'node:path';
import { createEngine } from '../recon/reconstruct.js';
import { invalidOption, toReconError } from '../recon/errors.js';
import { reconstructToFolder } from '../recon/folder.js';
import type { ReconstructArgs } from './commands/reconstruct.js';

export function parseFace(v: string): 'largest' | 'all' | number {
  if (v === 'largest' || v === 'all') return v;
  if (/^\d+$/.test(v)) return Number(v);
  throw invalidOption('--face', '"largest", "all" or a face index ≥ 0', v);
}

/** Output folder per photo: its stem, made unique when two inputs share one. */
export function outputFolders(images: string[], root: string): string[] {
  const used = new Map<string, number>();
  return images.map((img) => {
    const stem = path.basename(img, path.extname(img)) || 'image';
    const n = (used.get(stem) ?? 0) + 1;
    used.set(stem, n);
    return path.join(root, n === 1 ? stem : `${stem}-${n}`);
  });
}

export async function runReconstruct(args: ReconstructArgs): Promise<number> {
  const face = parseFace(args.face);
  const engine = await createEngine();
  const dirs = outputFolders(args.image, args.output);
  let failed = 0;
  try {
    for (let i = 0; i < args.image.length; i++) {
      const file = args.image[i];
      const dir = dirs[i];
      try {
        const { result } = await reconstructToFolder(engine, file, dir, { faces: face, maxPixels: args.maxPixels });
        const r = result;
        const pose = r.faces[r.reconstructed[0]].pose!;
        if (args.json) process.stdout.write(JSON.stringify(r) + '\n');
        else
          process.stdout.write(
            `ok   ${file}: ${r.faces.length} face${r.faces.length === 1 ? '' : 's'}, yaw ${pose.yaw.toFixed(1)}° pitch ${pose.pitch.toFixed(1)}° roll ${pose.roll.toFixed(1)}°, ${r.timings.total.toFixed(0)} ms → ${path.join(dir, 'result.json')}\n`,
          );
      } catch (e) {
        const err = toReconError(e);
        failed++;
        if (args.json) process.stdout.write(JSON.stringify({ source: path.basename(file), error: err.toJSON() }) + '\n');
        else process.stderr.write(`FAIL ${file}: ${err.code}: ${err.message}\n     hint: ${err.hint}\n`);
      }
    }
  } finally {
    await engine.dispose();
  }
  if (!args.json) process.stdout.write(`${args.image.length - failed} of ${args.image.length} photo(s) reconstructed; results in ${path.resolve(args.output)}\n`);
  return failed ? 1 : 0;
}
