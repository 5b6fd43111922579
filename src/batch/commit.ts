// One photo, from a runner's temp folder to committed outputs, the same way wherever it happens: in a local
// run (run.ts) or in a queue worker on another machine (src/cluster/consumer.ts). The commit order:
//
//   1. remove the photo's old state file (from here on a rerun would redo it),
//   2. remove its old files that the new result does not overwrite,
//   3. rename each new file into place, each result.json after its face's other files,
//   4. write its new state file atomically (the commit point).
//
// A process killed at any point leaves either a state file describing complete outputs, or none (then the
// photo is redone and its files overwritten).
import fs from 'node:fs/promises';
import path from 'node:path';
import { OUTPUT_FILES } from '../recon/outputs/kinds.js';
import { PAIRS_FOLDERS, placeFile } from './layout.js';
import { engineOptions, type BatchOptions } from './options.js';
import { buildRecord, RETRY_CODES, type PhotoOutcome } from './record.js';
import { CANCELLED, type Runner } from './runner.js';
import { STATE_VERSION, type StateEntry } from './state.js';
import { makeDir } from '../util/fs.js';

/** What it takes to reconstruct and commit one photo. */
export interface PhotoWork {
  source: string;
  /** Absolute path of the photo. */
  abs: string;
  /** SHA-256 of the bytes about to be reconstructed. */
  sha256: string;
  /** The photo's name in the layout (layout.ts), given by the run. */
  name: string;
  options: BatchOptions;
  optionsKey: string;
  /** The queue job doing it (recorded in the state entry). */
  by?: string;
}

/** The state files a commit reads and writes: the local run's BatchState, or a worker's StateFiles. */
export interface CommitTarget {
  readonly outDir: string;
  read(source: string): Promise<StateEntry | undefined>;
  invalidate(source: string): Promise<void>;
  save(entry: StateEntry): Promise<void>;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Is `entry` a finished result of these bytes under these options, with every file it names still present? */
export async function isDone(outDir: string, entry: StateEntry | undefined, sha256: string, optionsKey: string): Promise<boolean> {
  if (!entry || entry.sha256 !== sha256 || entry.optionsKey !== optionsKey || entry.retry) return false;
  const present = await Promise.all(entry.files.map((p) => exists(path.join(outDir, p))));
  return present.every(Boolean);
}

export interface Reconstructed {
  outcome: PhotoOutcome;
  /** The state entry the commit will write. */
  entry: StateEntry;
  /** [face folder in tmp, file, destination relative to the output folder]. */
  moves: Array<[number, string, string]>;
}

/** Have the runner reconstruct the photo into `tmp`; undefined when it was cancelled (nothing to commit). */
export async function reconstructPhoto(runner: Runner, w: PhotoWork, tmp: string): Promise<Reconstructed | undefined> {
  const o = w.options;
  const outcome = await runner.run({ abs: w.abs, dir: tmp, options: engineOptions(o), faces: o.faces });
  if (outcome.error?.code === CANCELLED) return undefined;
  const { record, moves } = buildRecord(w.source, w.sha256, outcome, o, (face, kind, file) => placeFile(o.layout, w.name, face, kind, file));
  const entry: StateEntry = {
    v: STATE_VERSION,
    source: w.source,
    name: w.name,
    sha256: w.sha256,
    optionsKey: w.optionsKey,
    ...(outcome.error && RETRY_CODES.has(outcome.error.code) ? { retry: true } : {}),
    ...(w.by ? { by: w.by } : {}),
    record,
    files: moves.map((m) => m[2]),
  };
  return { outcome, entry, moves };
}

/**
 * Commit a reconstructed photo from `tmp` into the output folder, replacing `old` (its entry before, if any).
 * `isOwnedName(name)`: another photo has that name, so a `face-N` folder of that name is not this photo's to remove.
 */
export async function commitPhoto(
  target: CommitTarget,
  options: BatchOptions,
  old: StateEntry | undefined,
  next: StateEntry,
  tmp: string,
  moves: Array<[number, string, string]>,
  isOwnedName: (name: string) => boolean,
): Promise<void> {
  const { outDir } = target;
  await target.invalidate(next.source);
  const keep = new Set(next.files);
  const stale = new Set(old?.files ?? []);
  // Files a killed run may have moved in without committing (their state was never written).
  if (options.layout === 'folders') {
    for (const f of Object.values(OUTPUT_FILES)) stale.add(`${next.name}/${f}`);
  } else {
    for (const kind of Object.keys(PAIRS_FOLDERS)) stale.add(placeFile('pairs', next.name, 0, kind, ''));
  }
  await Promise.all([...stale].filter((f) => !keep.has(f)).map((f) => fs.rm(path.join(outDir, f), { force: true })));
  if (options.layout === 'folders') {
    // Extra-face folders of an earlier `--faces all` result (unless another photo owns that name).
    const dir = path.join(outDir, next.name);
    const entries = await fs.readdir(dir).catch(() => [] as string[]);
    for (const e of entries) {
      if (/^face-\d+$/.test(e) && !isOwnedName(`${next.name}/${e}`) && ![...keep].some((k) => k.startsWith(`${next.name}/${e}/`))) {
        await fs.rm(path.join(dir, e), { recursive: true, force: true });
      }
    }
  }
  // Each folder made once; the files move in parallel, each face's result.json after its other files.
  for (const dir of new Set(moves.map((m) => path.dirname(path.join(outDir, m[2]))))) await makeDir(dir);
  const move = ([i, file, dest]: [number, string, string]) => fs.rename(path.join(tmp, String(i), file), path.join(outDir, dest));
  await Promise.all(moves.filter((m) => m[1] !== OUTPUT_FILES.result).map(move));
  await Promise.all(moves.filter((m) => m[1] === OUTPUT_FILES.result).map(move));
  await target.save(next);
}
