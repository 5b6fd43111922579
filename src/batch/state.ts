// The batch's memory between runs, kept in <output>/.recon-batch/:
//
//   lock               {pid, hostname, startedAt}: one run per output folder at a time
//   state/<key>.json   one file per photo done: source, name, sha256, options key, its manifest line, files
//   tmp/<task>/        where runners write a photo before it is committed (emptied at every start)
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

export class BatchState {
  readonly entries = new Map<string, StateEntry>();
  private released = false;

  private constructor(
    readonly outDir: string,
    readonly dir: string,
  ) {}

  get stateDir(): string {
    return path.join(this.dir, 'state');
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
          // A temp file of an atomic write that never finished.
          if (n.endsWith('.tmp')) await fs.rm(file, { force: true });
          return;
        }
        try {
          const e = JSON.parse(await fs.readFile(file, 'utf8')) as StateEntry;
          if (e.v === STATE_VERSION && typeof e.source === 'string' && keyOf(e.source) + '.json' === n) this.entries.set(e.source, e);
          else await fs.rm(file, { force: true });
        } catch {
          await fs.rm(file, { force: true });
        }
      }),
    );
  }

  private fileOf(source: string): string {
    return path.join(this.stateDir, `${keyOf(source)}.json`);
  }

  async save(entry: StateEntry): Promise<void> {
    // The state folder is made when the state is opened.
    await writeFileAtomic(this.fileOf(entry.source), JSON.stringify(entry), { dirExists: true });
    this.entries.set(entry.source, entry);
  }

  /** Forget a photo before its outputs are replaced. */
  async invalidate(source: string): Promise<void> {
    await fs.rm(this.fileOf(source), { force: true });
    this.entries.delete(source);
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
