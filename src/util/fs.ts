// Atomic file writes: write a temporary sibling, then rename over the target, so a reader (or a rerun
// after a crash) sees either the old file or the complete new one, never a torn write.
import fs from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

/** `dirExists`: the caller made the folder already (saves a mkdir per file when writing many). */
export async function writeFileAtomic(file: string, data: Uint8Array | string, options: { dirExists?: boolean } = {}): Promise<void> {
  if (!options.dirExists) await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
