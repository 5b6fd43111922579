// One photo → one folder of outputs. The CLI, the daemon's workers and batch runs all call this, so a folder
// looks the same whoever made it. Every file is written atomically; result.json is written last, so a
// folder with a result.json is complete. A photo that cannot be reconstructed still gets a result.json
// that says why, and the error is thrown to the caller.
import path from 'node:path';
import { ErrorCodes, ReconError, toReconError } from './errors.js';
import { renderOverlay } from './outputs/overlay.js';
import type { Engine, ReconstructOptions } from './reconstruct.js';
import { toResultJson, type ResultJson } from './result-json.js';
import { writeFileAtomic } from '../util/fs.js';

export interface FolderProgress {
  stage: string;
  fraction: number;
}

export interface FolderOptions extends Omit<ReconstructOptions, 'onProgress'> {
  onProgress?: (p: FolderProgress) => void;
}

export interface FolderResult {
  dir: string;
  result: ResultJson;
  /** Output kind → file name inside `dir`. */
  files: Record<string, string>;
}

export const NO_FACE_HINT = 'Use a photo where one face is clearly visible, at least about 40 pixels wide.';

export async function reconstructToFolder(engine: Engine, input: string | Uint8Array, dir: string, options: FolderOptions = {}): Promise<FolderResult> {
  const source = typeof input === 'string' ? path.basename(input) : 'upload';
  const { onProgress, ...engineOptions } = options;
  try {
    // The engine's stages take the first 80 % of the progress bar; writing outputs the rest.
    const r = await engine.reconstruct(input, { ...engineOptions, onProgress: (p) => onProgress?.({ stage: p.stage, fraction: p.fraction * 0.8 }) });
    if (!r.faces.length) {
      throw new ReconError(ErrorCodes.NO_FACE, `No face found in ${source}`, NO_FACE_HINT);
    }
    const files: Record<string, string> = {};
    const t = performance.now();
    onProgress?.({ stage: 'outputs', fraction: 0.85 });
    await writeFileAtomic(path.join(dir, 'overlay.png'), await renderOverlay(r.decoded, r.reconstructed.map((k) => r.faces[k])));
    files.overlay = 'overlay.png';
    r.timings.outputs = Math.round((performance.now() - t) * 100) / 100;
    files.result = 'result.json';
    const result = toResultJson(source, r);
    await writeFileAtomic(path.join(dir, 'result.json'), JSON.stringify({ ...result, outputs: files }, null, 1));
    onProgress?.({ stage: 'done', fraction: 1 });
    return { dir, result, files };
  } catch (e) {
    const err = toReconError(e);
    if (err.code !== ErrorCodes.CANCELLED) {
      await writeFileAtomic(path.join(dir, 'result.json'), JSON.stringify({ source, error: err.toJSON() }, null, 1)).catch(() => undefined);
    }
    throw err;
  }
}
