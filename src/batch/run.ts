// One batch run over an output folder: a queue of input files, `concurrency` slots that each take the next
// file, hash it, skip it if its state says it is done (same content hash, same options key, outputs present),
// otherwise have the runner reconstruct it into a temp folder and commit it (commit.ts: old state removed,
// stale files removed, new files renamed in, new state written last). With a remote runner (the queue,
// src/cluster) a worker elsewhere reconstructs and commits the photo the same way and reports its state entry.
//
// A run killed at any point leaves either a state file describing complete outputs, or none (then the photo is
// redone and its files overwritten). The manifests are rebuilt from the records every `manifestIntervalMs`
// and at the end; `watch` uses the same run with `continuous` set, fed by a file watcher.
import fs from 'node:fs/promises';
import path from 'node:path';
import { commitPhoto, isDone, reconstructPhoto, type PhotoWork } from './commit.js';
import { sha256File, readErrorInfo } from './hash.js';
import type { InputFile } from './inputs.js';
import { NameRegistry, PAIRS_FOLDERS } from './layout.js';
import { summarise, writeManifests, type Summary } from './manifest.js';
import { optionsKey, type BatchOptions } from './options.js';
import { unreadableRecord, type ManifestRecord, type Status } from './record.js';
import { isRemote, type RemoteRunner, type Runner } from './runner.js';
import type { BatchState } from './state.js';

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
  runner: Runner | RemoteRunner;
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

/** Files hashed at once: a remote runner keeps thousands of photos in flight, but not thousands of open files. */
const HASH_SLOTS = 8;

/** `face-N` names: a folder of another photo's extra face, or a photo of that name (layout.ts). */
const FACE_NAME = /^(.*)\/face-\d+$/;

export class BatchRun {
  readonly records = new Map<string, ManifestRecord>();
  private readonly queue: InputFile[] = [];
  private readonly queued = new Set<string>();
  private readonly inflight = new Set<string>();
  private readonly again = new Map<string, InputFile>();
  private readonly names = new NameRegistry();
  private readonly nameOf = new Map<string, string>();
  /** Lower-cased name → the lower-cased `<name>/face-N` names of photos (so an extra-face folder is not removed as stale). */
  private readonly faceNames = new Map<string, Set<string>>();
  private hashing = 0;
  private hashWaiters: Array<() => void> = [];
  private readonly key: string;
  private readonly counts: Record<Status, number> = { ok: 0, warned: 0, failed: 0, filtered: 0 };
  private waiters: Array<() => void> = [];
  private stopping = false;
  private interrupted = false;
  private cancelled = false;
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
    for (const e of cfg.state.entries.values()) {
      this.names.claim(e.name, e.source);
      this.indexName(e.name);
    }
  }

  private indexName(name: string): void {
    const m = FACE_NAME.exec(name.toLowerCase());
    if (!m) return;
    let set = this.faceNames.get(m[1]);
    if (!set) this.faceNames.set(m[1], (set = new Set()));
    set.add(m[0]);
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
      if (!this.nameOf.has(f.source)) {
        const name = this.cfg.state.entries.get(f.source)?.name ?? this.names.assign(f.source);
        this.nameOf.set(f.source, name);
        this.indexName(name);
      }
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
    this.cancelled = true;
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

  private async hash(file: string): Promise<string> {
    while (this.hashing >= HASH_SLOTS) await new Promise<void>((r) => this.hashWaiters.push(r));
    this.hashing++;
    try {
      return await sha256File(file);
    } finally {
      this.hashing--;
      this.hashWaiters.shift()?.();
    }
  }

  private async process(f: InputFile): Promise<void> {
    const { state, options: o, outDir, runner } = this.cfg;
    this.inflight.add(f.source);
    try {
      let sha: string;
      try {
        sha = await this.hash(f.abs);
      } catch (e) {
        // Unreadable: a manifest line, no state (tried again on the next run).
        this.finish(unreadableRecord(f.source, readErrorInfo(e, f.source)), false);
        return;
      }
      const entry = state.entries.get(f.source);
      if (!this.cfg.redo && entry && (await isDone(outDir, entry, sha, this.key))) {
        this.finish(entry.record, true);
        return;
      }
      // Cancelled while this photo was being hashed: the runner's cancel came before the photo reached it.
      if (this.cancelled) return;
      const work: PhotoWork = { source: f.source, abs: f.abs, sha256: sha, name: this.nameOf.get(f.source)!, options: o, optionsKey: this.key };
      if (isRemote(runner)) {
        const r = await runner.process({ ...work, ownedNames: [...(this.faceNames.get(work.name.toLowerCase()) ?? [])] });
        if ('cancelled' in r) return;
        if ('error' in r) {
          // Nothing committed: a manifest line without state, like an unreadable file.
          this.finish({ ...unreadableRecord(f.source, r.error), sha256: sha }, false);
          return;
        }
        state.remember(r.entry);
        this.finish(r.entry.record, r.reused);
        return;
      }
      const tmp = await state.newTmp();
      try {
        const made = await reconstructPhoto(runner, work, tmp);
        if (!made) return;
        await commitPhoto(state, o, entry, made.entry, tmp, made.moves, (n) => this.isOwnedName(n));
        this.finish(made.entry.record, false);
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

  private isOwnedName(name: string): boolean {
    const m = FACE_NAME.exec(name.toLowerCase());
    return m ? (this.faceNames.get(m[1])?.has(m[0]) ?? false) : false;
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
