// The batch's memory between runs, kept in <output>/.recon-batch/:
//
//   lock               {pid, hostname, startedAt}: one run per output folder at a time
//   state/<key>.json   one file per photo done: source, name, sha256, options key, its manifest line, files
//   tmp/<task>/        where runners write a photo before it is committed (emptied at every start)
//   queue-tmp/<job>-…/ the same for queue workers on other machines (src/cluster; emptied after a complete run)
//
// A photo's state file is written (atomically) only after its outputs are in place, and removed before they
// are replaced, so a state file always describes complete outputs. It is the single thing a rerun trusts:
// outputs without a state file (a run killed between moving files and writing the state) are redone and
// overwritten. manifest.jsonl / manifest.csv are rebuilt from these records, never appended to.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../server/discovery.js';
import { makeDir, writeFileAtomic } from '../util/fs.js';
import type { ManifestRecord } from './record.js';
import { STATE_DIR } from './layout.js';
import { outputWriteError } from '../recon/errors.js';

export const STATE_VERSION = 1;

export interface StateEntry {
  v: typeof STATE_VERSION;
  source: string;
  /** The photo's name in the layout (layout.ts). */
  name: string;
  sha256: string | null;
  optionsKey: string;
  /** Transient failure (INTERNAL_ERROR, FILE_NOT_FOUND, cancelled…): tried again on the next run. */
  retry?: boolean;
  /** The queue job that committed it (src/cluster): tells a `--redo` job's own commit from an older one. */
  by?: string;
  record: ManifestRecord;
  /** Every file the photo owns, relative to the output folder. */
  files: string[];
}

export class BatchLockedError extends Error {
  readonly hint: string;
  constructor(
    readonly outDir: string,
    readonly pid: number,
  ) {
    super(`Another batch or watch (pid ${pid}) is writing to ${outDir}`);
    this.name = 'BatchLockedError';
    this.hint = 'Wait for it to finish or stop it (Ctrl-C), or choose another output folder with -o.';
  }
}

function keyOf(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 32);
}

/** A temp file of an atomic write older than this was left by a killed process (younger: maybe still being written elsewhere). */
const STALE_TEMP_MS = 10 * 60_000;

function parseEntry(text: string, fileName: string): StateEntry | undefined {
  try {
    const e = JSON.parse(text) as StateEntry;
    return e.v === STATE_VERSION && typeof e.source === 'string' && keyOf(e.source) + '.json' === fileName ? e : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The state files of one output folder, without the run's lock: what a queue worker on another machine uses
 * to read and commit single photos while the producer holds the lock (src/cluster).
 */
export class StateFiles {
  constructor(readonly stateDir: string) {}

  static of(outDir: string): StateFiles {
    return new StateFiles(path.join(outDir, STATE_DIR, 'state'));
  }

  fileOf(source: string): string {
    return path.join(this.stateDir, `${keyOf(source)}.json`);
  }

  /** The photo's committed entry, read from disk now; undefined when there is none (or it is unreadable). */
  async read(source: string): Promise<StateEntry | undefined> {
    const file = this.fileOf(source);
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    return text === undefined ? undefined : parseEntry(text, path.basename(file));
  }

  async save(entry: StateEntry): Promise<void> {
    // The state folder is made when the output folder is opened.
    await writeFileAtomic(this.fileOf(entry.source), JSON.stringify(entry), { dirExists: true });
  }

  async invalidate(source: string): Promise<void> {
    await fs.rm(this.fileOf(source), { force: true });
  }
}

export class BatchState {
  readonly entries = new Map<string, StateEntry>();
  readonly files: StateFiles;
  private released = false;

  private constructor(
    readonly outDir: string,
    readonly dir: string,
  ) {
    this.files = new StateFiles(path.join(dir, 'state'));
  }

  get stateDir(): string {
    return this.files.stateDir;
  }

  get tmpRoot(): string {
    return path.join(this.dir, 'tmp');
  }

  /** Take the output folder's lock, load every state file, empty tmp/. */
  static async open(outDir: string): Promise<BatchState> {
    const dir = path.join(outDir, STATE_DIR);
    // The first write into the output folder: a file in the way, permissions or a full disk show up here.
    await makeDir(path.join(dir, 'state')).catch((e: unknown) => {
      throw outputWriteError(e, outDir);
    });
    const s = new BatchState(outDir, dir);
    await s.lock();
    try {
      await fs.rm(s.tmpRoot, { recursive: true, force: true });
      await makeDir(s.tmpRoot);
      await s.load();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  private get lockFile(): string {
    return path.join(this.dir, 'lock');
  }

  private async lock(): Promise<void> {
    const body = JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.writeFile(this.lockFile, body, { flag: 'wx' });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let holder: { pid?: number; hostname?: string } = {};
      try {
        holder = JSON.parse(await fs.readFile(this.lockFile, 'utf8')) as typeof holder;
      } catch {
        // half-written or unreadable: treat as stale
      }
      const pid = Number(holder.pid);
      const sameHost = holder.hostname === undefined || holder.hostname === os.hostname();
      // A lock from another machine (shared drive) cannot be checked: respect it.
      if (!sameHost || (pid !== process.pid && isProcessAlive(pid))) throw new BatchLockedError(this.outDir, pid);
      await fs.rm(this.lockFile, { force: true }); // stale: its run was killed
    }
    throw new BatchLockedError(this.outDir, NaN);
  }

  private async load(): Promise<void> {
    const names = await fs.readdir(this.stateDir);
    await Promise.all(
      names.map(async (n) => {
        const file = path.join(this.stateDir, n);
        if (!n.endsWith('.json')) {
          // A temp file of an atomic write that never finished; a recent one may be a queue worker's, mid-write.
          if (n.endsWith('.tmp')) {
            const st = await fs.stat(file).catch(() => undefined);
            if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await fs.rm(file, { force: true });
          }
          return;
        }
        const text = await fs.readFile(file, 'utf8').catch(() => undefined);
        if (text === undefined) return; // removed meanwhile (a queue worker replacing it)
        const e = parseEntry(text, n);
        if (e) this.entries.set(e.source, e);
        else await fs.rm(file, { force: true });
      }),
    );
  }

  /** The photo's committed entry as this run knows it (it holds the lock: nobody else commits locally). */
  async read(source: string): Promise<StateEntry | undefined> {
    return this.entries.get(source);
  }

  async save(entry: StateEntry): Promise<void> {
    await this.files.save(entry);
    this.entries.set(entry.source, entry);
  }

  /** Forget a photo before its outputs are replaced. */
  async invalidate(source: string): Promise<void> {
    await this.files.invalidate(source);
    this.entries.delete(source);
  }

  /** An entry committed by someone else (a queue worker) into this folder's state files. */
  remember(entry: StateEntry): void {
    this.entries.set(entry.source, entry);
  }

  /** A fresh, empty folder for one task. */
  async newTmp(): Promise<string> {
    const d = path.join(this.tmpRoot, randomBytes(6).toString('hex'));
    await makeDir(d);
    return d;
  }

  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await fs.rm(this.tmpRoot, { recursive: true, force: true }).catch(() => undefined);
    try {
      const holder = JSON.parse(await fs.readFile(this.lockFile, 'utf8')) as { pid?: number };
      if (holder.pid === process.pid) await fs.rm(this.lockFile, { force: true });
    } catch {
      // already gone
    }
  }
}
