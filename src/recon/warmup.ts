// One throwaway reconstruction, all outputs, of the bundled example photo: the first call in a process pays
// for JIT compilation and one-off allocations (~150 ms in the renderer alone), so a long-running process
// (a daemon worker) runs it at start-up instead of on the user's first photo.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reconstructToFolder } from './folder.js';
import type { Engine } from './reconstruct.js';

export const WARMUP_PHOTO = fileURLToPath(new URL('../../examples/astronaut.png', import.meta.url));

/** Returns the milliseconds spent; never throws (a failed warm-up only means a slower first job). */
export async function warmUp(engine: Engine): Promise<number> {
  const t = performance.now();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recon-warmup-'));
  try {
    await reconstructToFolder(engine, WARMUP_PHOTO, dir);
  } catch {
    // ignored: see above
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return performance.now() - t;
}
