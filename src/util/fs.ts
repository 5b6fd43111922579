// Atomic file writes: write a temporary sibling, then rename over the target, so a reader (or a rerun
// after a crash) sees either the old file or the complete new one, never a torn write.
import { randomBytes } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

let counter = 0;

/**
 * `mkdir -p`. Not `fs.mkdir(…, {recursive: true})`: in Node 20 that never returns when the parent exists but
 * refuses new entries with ENOENT (e.g. anything under /proc), and "never hang" matters more than a few
 * lines. Walks up only as far as a missing parent; each level is tried at most twice.
 */
export function makeDirSync(dir: string, mode?: number): void {
  const abs = path.resolve(dir);
  try {
    fsSync.mkdirSync(abs, { mode });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && fsSync.statSync(abs).isDirectory()) return;
    const parent = path.dirname(abs);
    if (code !== 'ENOENT' || parent === abs) throw e;
    makeDirSync(parent, mode);
    try {
      fsSync.mkdirSync(abs, { mode });
    } catch (again) {
      // Another thread or process made it in between: fine.
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST' || !fsSync.statSync(abs).isDirectory()) throw again;
    }
  }
}

/** makeDirSync, async. */
export async function makeDir(dir: string, mode?: number): Promise<void> {
  const abs = path.resolve(dir);
  try {
    await fs.mkdir(abs, { mode });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await fs.stat(abs)).isDirectory()) return;
    const parent = path.dirname(abs);
    if (code !== 'ENOENT' || parent === abs) throw e;
    await makeDir(parent, mode);
    try {
      await fs.mkdir(abs, { mode });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST' || !(await fs.stat(abs)).isDirectory()) throw again;
    }
  }
}

/**
 * A temporary sibling name no other thread or process writing the same folder can pick, nor anyone guess (a
 * link planted under a guessed name would be written through; the writes also refuse existing names).
 */
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${threadId}.${counter++}.${randomBytes(4).toString('hex')}.tmp`);
}

/** `dirExists`: the caller made the folder already (saves a mkdir per file when writing many). */
export async function writeFileAtomic(file: string, data: Uint8Array | string, options: { dirExists?: boolean } = {}): Promise<void> {
  if (!options.dirExists) await makeDir(path.dirname(file));
  const tmp = tempName(file);
  try {
    // 'wx': a new file, never an existing one or a link planted under the (guessable) temporary name.
    await fs.writeFile(tmp, data, { flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/**
 * The same, blocking. For threads whose only job is the work at hand (the engine's worker threads, the CLI's
 * one photo): a few small files written from the page cache cost well under a millisecond each, while the
 * async path queues every write behind the PNG deflates on libuv's thread pool (measured 5–9 ms per file).
 */
export function writeFileAtomicSync(file: string, data: Uint8Array | string, options: { dirExists?: boolean } = {}): void {
  if (!options.dirExists) makeDirSync(path.dirname(file));
  const tmp = tempName(file);
  try {
    fsSync.writeFileSync(tmp, data, { flag: 'wx' });
    fsSync.renameSync(tmp, file);
  } catch (e) {
    fsSync.rmSync(tmp, { force: true });
    throw e;
  }
}
