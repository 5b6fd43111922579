// One batch run over an output folder: a queue of input files, `concurrency` slots that each take the next
// file, hash it, skip it if its state says it is done (same content hash, same options key, outputs present),
// otherwise have the runner reconstruct it into a temp folder and commit it:
//
//   1. remove the photo's old state file (from here on a rerun would redo it),
//   2. remove its old files that the new result does not overwrite,
//   3. rename each new file into place, each result.json after its face's other files,
//   4. write its new state file atomically (the commit point).
//
// A run killed at any point leaves either a state file describing complete outputs, or none (then the photo is
// redone and its files overwritten). The manifests are rebuilt from the records every `manifestIntervalMs`
// and at the end; `watch` uses the same run with `continuous` set, fed by a file watcher.
import fs from 'node:fs/promises';
import path from 'node:path';
import { OUTPUT_FILES } from '../recon/outputs/kinds.js';
import { sha256File, readErrorInfo } from './hash.js';
import type { InputFile } from './inputs.js';
import { NameRegistry, PAIRS_FOLDERS, placeFile } from './layout.js';
import { summarise, writeManifests, type Summary } from './manifest.js';
import { engineOptions, optionsKey, type BatchOptions } from './options.js';
import { buildRecord, RETRY_CODES, unreadableRecord, type ManifestRecord, type Status } from './record.js';
import { CANCELLED, type Runner } from './runner.js';
import { STATE_VERSION, type BatchState, type StateEntry } from './state.js';
import { makeDir } from '../util/fs.js';

export interface Progress {
  /** Input files known (grows in watch mode). */
  total: number;
  /** Handled: reconstructed in this run or skipped as already done. */
  done: number;
  processed: number;
  skipped: number;
  ok: number;
  warned: number;
  failed: number;
  filtered: number;
  /** Since the run started, ms. */
  elapsedMs: number;
  /** Photos reconstructed per second in this run (skipped ones not counted). */
  rate: number;
  /** Seconds left at the current rate; null until it is known. */
  etaSeconds: number | null;
}

export interface PhotoEvent {
  source: string;
  record: ManifestRecord;
  /** Already done by an earlier run (same content and options). */
  skipped: boolean;
}

export interface BatchRunConfig {
  outDir: string;
  options: BatchOptions;
  runner: Runner;
  state: BatchState;
  /** Redo every photo, even those already done. */
  redo?: boolean;
  /** Watch mode: wait for more files until stop(). */
  continuous?: boolean;
  /** How often the manifests are rebuilt while running (default 10 s). */
  manifestIntervalMs?: number;
  onPhoto?: (e: PhotoEvent, p: Progress) => void;
  onTotal?: (p: Progress) => void;
}

export interface RunResult {
  /** Every input file was handled and the run was not stopped. */
  complete: boolean;
  /** stop() or cancel() was called. */
  interrupted: boolean;
  progress: Progress;
  summary: Summary;
  /** The runner broke (the daemon went away…); the run stopped. */
  error?: Error;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

export class BatchRun {
  readonly records = new Map<string, ManifestRecord>();
  private readonly queue: InputFile[] = [];
  private readonly queued = new Set<string>();
  private readonly inflight = new Set<string>();
  private readonly again = new Map<string, InputFile>();
  private readonly names = new NameRegistry();
  private readonly nameOf = new Map<string, string>();
  private readonly key: string;
  private readonly counts: Record<Status, number> = { ok: 0, warned: 0, failed: 0, filtered: 0 };
  private waiters: Array<() => void> = [];
  private stopping = false;
  private interrupted = false;
  private fatal: Error | undefined;
  private total = 0;
  private processed = 0;
  private skipped = 0;
  private startedAt = performance.now();
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private flushError: Error | undefined;
  /** A manifest rebuild is O(photos): on huge runs, rebuild no more often than 20× its own duration. */
  private lastFlushMs = 0;
  private lastFlushAt = 0;

  constructor(private readonly cfg: BatchRunConfig) {
    this.key = optionsKey(cfg.options);
    for (const e of cfg.state.entries.values()) this.names.claim(e.name, e.source);
  }

  get optionsKey(): string {
    return this.key;
  }

  /** Queue files; a file already queued is not queued twice, one in flight is redone after it finishes. */
  add(files: InputFile[]): void {
    let added = 0;
    for (const f of files) {
      if (this.queued.has(f.source)) continue;
      if (this.inflight.has(f.source)) {
        this.again.set(f.source, f);
        continue;
      }
      if (!this.nameOf.has(f.source)) this.nameOf.set(f.source, this.cfg.state.entries.get(f.source)?.name ?? this.names.assign(f.source));
      this.queued.add(f.source);
      this.queue.push(f);
      added++;
    }
    if (!added) return;
    this.total += added;
    this.cfg.onTotal?.(this.progress());
    for (const w of this.waiters.splice(0)) w();
  }

  /** Take no new photos; the ones in flight finish and are committed. */
  stop(): void {
    this.interrupted = true;
    this.stopping = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** stop(), and cancel the photos in flight (they are not committed; a rerun does them). */
  cancel(): void {
    this.stop();
    this.cfg.runner.cancelAll();
  }

  progress(): Progress {
    const elapsedMs = performance.now() - this.startedAt;
    const rate = this.processed && elapsedMs > 0 ? this.processed / (elapsedMs / 1000) : 0;
    const done = this.processed + this.skipped;
    return {
      total: this.total,
      done,
      processed: this.processed,
      skipped: this.skipped,
      ...this.counts,
      elapsedMs,
      rate,
      etaSeconds: rate > 0 ? Math.max(0, this.total - done) / rate : null,
    };
  }

  async run(): Promise<RunResult> {
    this.startedAt = performance.now();
    const timer = setInterval(() => void this.flush(false), this.cfg.manifestIntervalMs ?? 10_000);
    timer.unref();
    try {
      await Promise.all(Array.from({ length: Math.max(1, this.cfg.runner.concurrency) }, () => this.slot()));
    } finally {
      clearInterval(timer);
    }
    await this.flush(true);
    // A manifest that could not be written (disk full…) is the run's failure, not a detail.
    if (this.flushError) this.fatal ??= this.flushError;
    const complete = !this.interrupted && !this.fatal && !this.cfg.continuous && this.queue.length === 0;
    if (complete) await this.sweep();
    return {
      complete,
      interrupted: this.interrupted,
      progress: this.progress(),
      summary: summarise(this.records.values()),
      ...(this.fatal ? { error: this.fatal } : {}),
    };
  }

  /** Rebuild the manifests (when something changed, or always when `force`). Writes never overlap. */
  flush(force: boolean): Promise<void> {
    if (!force && (!this.dirty || performance.now() - this.lastFlushAt < 20 * this.lastFlushMs)) return this.writing;
    this.dirty = false;
    const snapshot = [...this.records.values()];
    this.writing = this.writing
      .then(async () => {
        const t = performance.now();
        await writeManifests(this.cfg.outDir, snapshot);
        this.lastFlushAt = performance.now();
        this.lastFlushMs = this.lastFlushAt - t;
      })
      .then(
        () => (this.flushError = undefined),
        (e: unknown) => void (this.flushError = e as Error),
      );
    return this.writing;
  }

  private async next(): Promise<InputFile | undefined> {
    for (;;) {
      if (this.stopping) return undefined;
      const f = this.queue.shift();
      if (f) {
        this.queued.delete(f.source);
        return f;
      }
      if (!this.cfg.continuous) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private async slot(): Promise<void> {
    for (;;) {
      const f = await this.next();
      if (!f) return;
      try {
        await this.process(f);
      } catch (e) {
        this.fatal ??= e as Error;
        this.stopping = true;
        for (const w of this.waiters.splice(0)) w();
        return;
      }
    }
  }

  private finish(record: ManifestRecord, skipped: boolean): void {
    const old = this.records.get(record.source);
    if (old) this.counts[old.status]--;
    this.records.set(record.source, record);
    this.counts[record.status]++;
    if (skipped) this.skipped++;
    else this.processed++;
    this.dirty = true;
    this.cfg.onPhoto?.({ source: record.source, record, skipped }, this.progress());
  }

  private async process(f: InputFile): Promise<void> {
    const { state, options: o, outDir, runner } = this.cfg;
    this.inflight.add(f.source);
    try {
      let sha: string;
      try {
        sha = await sha256File(f.abs);
      } catch (e) {
        // Unreadable: a manifest line, no state (tried again on the next run).
        this.finish(unreadableRecord(f.source, readErrorInfo(e, f.source)), false);
        return;
      }
      const entry = state.entries.get(f.source);
      if (!this.cfg.redo && entry && entry.sha256 === sha && entry.optionsKey === this.key && !entry.retry) {
        const present = await Promise.all(entry.files.map((p) => exists(path.join(outDir, p))));
        if (present.every(Boolean)) {
          this.finish(entry.record, true);
          return;
        }
      }
      const name = this.nameOf.get(f.source)!;
      const tmp = await state.newTmp();
      try {
        const outcome = await runner.run({ abs: f.abs, dir: tmp, options: engineOptions(o), faces: o.faces });
        if (outcome.error?.code === CANCELLED) return;
        const { record, moves } = buildRecord(f.source, sha, outcome, o, (face, kind, file) => placeFile(o.layout, name, face, kind, file));
        const next: StateEntry = {
          v: STATE_VERSION,
          source: f.source,
          name,
          sha256: sha,
          optionsKey: this.key,
          ...(outcome.error && RETRY_CODES.has(outcome.error.code) ? { retry: true } : {}),
          record,
          files: moves.map((m) => m[2]),
        };
        await this.commit(entry, next, tmp, moves);
        this.finish(record, false);
      } finally {
        await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      }
    } finally {
      this.inflight.delete(f.source);
      const again = this.again.get(f.source);
      if (again) {
        this.again.delete(f.source);
        this.add([again]);
      }
    }
  }

  private async commit(old: StateEntry | undefined, next: StateEntry, tmp: string, moves: Array<[number, string, string]>): Promise<void> {
    const { state, outDir, options: o } = this.cfg;
    await state.invalidate(next.source);
    const keep = new Set(next.files);
    const stale = new Set(old?.files ?? []);
    // Files a killed run may have moved in without committing (their state was never written).
    if (o.layout === 'folders') {
      for (const f of Object.values(OUTPUT_FILES)) stale.add(`${next.name}/${f}`);
    } else {
      for (const kind of Object.keys(PAIRS_FOLDERS)) stale.add(placeFile('pairs', next.name, 0, kind, ''));
    }
    await Promise.all([...stale].filter((f) => !keep.has(f)).map((f) => fs.rm(path.join(outDir, f), { force: true })));
    if (o.layout === 'folders') {
      // Extra-face folders of an earlier `--faces all` result (unless another photo owns that name).
      const dir = path.join(outDir, next.name);
      const entries = await fs.readdir(dir).catch(() => [] as string[]);
      for (const e of entries) {
        if (/^face-\d+$/.test(e) && !this.isOwnedName(`${next.name}/${e}`) && ![...keep].some((k) => k.startsWith(`${next.name}/${e}/`))) {
          await fs.rm(path.join(dir, e), { recursive: true, force: true });
        }
      }
    }
    // Each folder made once; the files move in parallel, each face's result.json after its other files.
    for (const dir of new Set(moves.map((m) => path.dirname(path.join(outDir, m[2]))))) await makeDir(dir);
    const move = ([i, file, dest]: [number, string, string]) => fs.rename(path.join(tmp, String(i), file), path.join(outDir, dest));
    await Promise.all(moves.filter((m) => m[1] !== OUTPUT_FILES.result).map(move));
    await Promise.all(moves.filter((m) => m[1] === OUTPUT_FILES.result).map(move));
    await state.save(next);
  }

  private isOwnedName(name: string): boolean {
    const lower = name.toLowerCase();
    for (const n of this.nameOf.values()) if (n.toLowerCase() === lower) return true;
    for (const e of this.cfg.state.entries.values()) if (e.name.toLowerCase() === lower) return true;
    return false;
  }

  /**
   * After a complete run of the pairs layout: files in the layout's folders that no state file owns (left by a
   * run killed mid-commit, or by an earlier run with other options) are removed, so the folders hold exactly
   * what the manifests list for the photos done.
   */
  private async sweep(): Promise<void> {
    const { outDir, options: o, state } = this.cfg;
    if (o.layout !== 'pairs') return;
    const owned = new Set<string>();
    for (const e of state.entries.values()) for (const f of e.files) owned.add(f);
    const visit = async (rel: string): Promise<void> => {
      const entries = await fs.readdir(path.join(outDir, rel), { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const r = `${rel}/${e.name}`;
        if (e.isDirectory()) await visit(r);
        else if (e.isFile() && /\.(png|json|glb)$/i.test(e.name) && !owned.has(r)) await fs.rm(path.join(outDir, r), { force: true });
      }
    };
    for (const folder of new Set(Object.values(PAIRS_FOLDERS))) await visit(folder);
  }
}
