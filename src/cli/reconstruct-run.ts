// `recon-daemon reconstruct`: every photo through one engine (models loaded once). A photo that fails gets
// a result.json with the error and does not stop the others; the exit code is 1 if any photo failed (an
// error, or a quality verdict of fail).
import path from 'node:path';
import { createEngine } from '../recon/reconstruct.js';
import { invalidOption, toReconError } from '../recon/errors.js';
import { reconstructToFolder, validateFolderOptions, type FolderOptions } from '../recon/folder.js';
import { OUTPUT_KINDS, type OutputKind } from '../recon/outputs/kinds.js';
import { DEFAULT_THRESHOLDS, type QualityThresholds } from '../recon/quality.js';
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

export function parseOutputs(v: string | undefined): OutputKind[] | undefined {
  if (v === undefined) return undefined;
  const kinds = v.split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!(OUTPUT_KINDS as ReadonlyArray<string>).includes(k)) throw invalidOption('--outputs', `a comma-separated list of ${OUTPUT_KINDS.join(', ')}`, k);
  }
  return kinds as OutputKind[];
}

export function parseQuality(items: string[] | undefined): Partial<QualityThresholds> | undefined {
  if (!items?.length) return undefined;
  const out: Partial<QualityThresholds> = {};
  for (const item of items) {
    const m = /^([A-Za-z]+)=(-?[\d.]+)$/.exec(item);
    if (!m || !(m[1] in DEFAULT_THRESHOLDS) || !Number.isFinite(Number(m[2]))) {
      throw invalidOption('--quality', `name=number with a name from ${Object.keys(DEFAULT_THRESHOLDS).join(', ')}`, item);
    }
    out[m[1] as keyof QualityThresholds] = Number(m[2]);
  }
  return out;
}

export async function runReconstruct(args: ReconstructArgs): Promise<number> {
  const face = parseFace(args.face);
  const options: FolderOptions = {
    faces: face,
    maxPixels: args.maxPixels,
    outputs: parseOutputs(args.outputs),
    size: args.size,
    detail: args.detail,
    force: args.force,
    quality: parseQuality(args.quality),
  };
  // Bad options are reported before the models load.
  validateFolderOptions(options);
  const engine = await createEngine();
  const dirs = outputFolders(args.image, args.output);
  let failed = 0;
  try {
    for (let i = 0; i < args.image.length; i++) {
      const file = args.image[i];
      const dir = dirs[i];
      try {
        const t = performance.now();
        const { result: r } = await reconstructToFolder(engine, file, dir, options);
        const ms = performance.now() - t;
        const pose = r.faces[r.reconstructed[0]].pose!;
        const verdict = r.quality?.verdict ?? 'pass';
        if (verdict === 'fail') failed++;
        if (args.json) process.stdout.write(JSON.stringify(r) + '\n');
        else {
          const flagged = (r.quality?.checks ?? []).filter((c) => c.severity !== 'info');
          process.stdout.write(
            `${verdict.padEnd(4)} ${file}: ${r.faces.length} face${r.faces.length === 1 ? '' : 's'}, yaw ${pose.yaw.toFixed(1)}° pitch ${pose.pitch.toFixed(1)}° roll ${pose.roll.toFixed(1)}°, ${ms.toFixed(0)} ms → ${dir}${path.sep}\n`,
          );
          for (const c of flagged) process.stdout.write(`     ${c.severity} ${c.code}: ${c.message}\n     hint: ${c.hint}\n`);
        }
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
  if (!args.json) process.stdout.write(`${args.image.length - failed} of ${args.image.length} photo(s) reconstructed without a failing verdict; results in ${path.resolve(args.output)}\n`);
  return failed ? 1 : 0;
}
