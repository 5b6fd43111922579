// Watched folders (watch.add / watch.remove / watch.list). Each watch is a chokidar watcher (batch/watcher.ts:
// photo files only, reported once they stop growing) whose photos become ordinary jobs of the client that
// added it, so they share the queue, the workers, the output root and the job notifications. When a job of a
// watch ends, `watch.result` goes to that client and to every client subscribed to it (events.subscribe).
//
// Limits: at most MAX_WATCHES watches; each keeps at most `maxInFlight` jobs in the job queue at a time (a
// folder of 5 000 new photos must not fill the queue for everyone else) and at most MAX_PENDING photos waiting
// behind them. The daemon's output root is never watched or entered: its new files would be watched in turn.
// A watch ends with watch.remove, when its connection closes (unless `persistent`), or at shutdown.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../batch/inputs.js';
import { DEFAULT_STABLE_MS, watchPhotos, type PhotoWatcher } from '../batch/watcher.js';
import { RpcError } from '../rpc/errors.js';
import { JobCompleted, JobFailed, WatchResult, type WatchAddParams, type WatchInfo, type WatchResultParams } from '../rpc/protocol.js';
import type { Job, JobManager, JobNotification } from './jobs.js';
import type { Logger } from './log.js';

export const MAX_WATCHES = 32;
export const MAX_PENDING = 100_000;
const BUSY_RETRY_MS = 500;

export interface WatchServiceOptions {
  jobs: JobManager;
  outputRoot: string;
  /** The daemon's decoded-pixel limit (a watch's options.maxPixels may not exceed it). */
  maxPixels: number;
  /** Jobs one watch keeps queued or running at once. */
  maxInFlight: number;
  log: Logger;
  /** Send to the client `ownerId` (when connected) and to every other client subscribed to the method. */
  publish: (ownerId: string, method: typeof WatchResult.method, params: WatchResultParams) => void;
}

interface Watch {
  info: Omit<WatchInfo, 'counts'>;
  watcher?: PhotoWatcher;
  pending: string[];
  pendingSet: Set<string>;
  /** jobId → photo path. */
  running: Map<string, string>;
  seen: number;
  completed: number;
  failed: number;
  closed: boolean;
}

function invalid(field: string, expected: string, actual: unknown, hint?: string): RpcError {
  return RpcError.of('INVALID_PARAMS', `Invalid params for watch.add: Expected ${expected} for ${field} but received ${JSON.stringify(actual)}`, {
    fields: [field],
    ...(hint ? { hint } : {}),
  });
}

export class WatchService {
  private readonly watches = new Map<string, Watch>();
  private readonly byJob = new Map<string, Watch>();
  private retry: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly o: WatchServiceOptions) {}

  async add(p: WatchAddParams, clientId: string): Promise<WatchInfo> {
    if (this.disposed) throw RpcError.of('SHUTTING_DOWN', 'The daemon is shutting down and takes no new watches');
    if (this.watches.size >= MAX_WATCHES) {
      throw RpcError.of('SERVER_BUSY', `${MAX_WATCHES} folders are already watched`, { hint: 'Remove a watch you no longer need (watch.remove), then try again.' });
    }
    const dir = path.resolve(p.path);
    const st = await fs.stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw invalid('path', 'an existing folder', p.path, st ? 'Watch the folder that holds the photos, not a file.' : 'Check the path; the folder must exist before it is watched.');
    if (isInside(dir, this.o.outputRoot)) {
      throw invalid('path', "a folder outside the daemon's output root", p.path, "The daemon writes its results there; watch the folder your photos arrive in.");
    }
    const options = { ...p.options };
    // Plugin exporters run after a job through the plugin service, which watched jobs do not go through (yet).
    if ((options as { exporters?: unknown[] }).exporters?.length) {
      throw invalid('options.exporters', 'no exporters (watched folders do not run plugin exporters)', (options as { exporters?: unknown[] }).exporters, 'Leave out options.exporters, or run the exporter on each watch.result with recon.reconstruct.');
    }
    delete (options as { exporters?: unknown }).exporters;
    if (options.maxPixels !== undefined && options.maxPixels > this.o.maxPixels) {
      throw invalid('options.maxPixels', `integer 1–${this.o.maxPixels}`, options.maxPixels, `This daemon decodes at most ${this.o.maxPixels} pixels per photo (its --max-pixels setting).`);
    }
    options.maxPixels ??= this.o.maxPixels;
    let watchId = `w-${randomBytes(6).toString('hex')}`;
    while (this.watches.has(watchId)) watchId = `w-${randomBytes(6).toString('hex')}`;
    const w: Watch = {
      info: {
        watchId,
        path: dir,
        recursive: p.recursive ?? true,
        existing: p.existing ?? false,
        persistent: p.persistent ?? false,
        stableMs: p.stableMs ?? DEFAULT_STABLE_MS,
        clientId,
        createdAt: new Date().toISOString(),
        options,
      },
      pending: [],
      pendingSet: new Set(),
      running: new Map(),
      seen: 0,
      completed: 0,
      failed: 0,
      closed: false,
    };
    this.watches.set(watchId, w);
    try {
      w.watcher = await watchPhotos(
        dir,
        { recursive: w.info.recursive, stableMs: w.info.stableMs, existing: w.info.existing, exclude: [this.o.outputRoot] },
        (abs) => this.enqueue(w, abs),
        (e) => this.o.log.warn('watch error', { watchId, error: e.message }),
      );
    } catch (e) {
      this.watches.delete(watchId);
      this.o.log.error('watch could not start', { watchId, path: dir, error: (e as Error).message });
      throw RpcError.of('INTERNAL_ERROR', `Could not watch ${dir}`, { hint: 'See the daemon log; check that the folder is readable.' });
    }
    // Removed while the watcher was starting (its connection closed): stop it now.
    if (w.closed) await w.watcher.close();
    this.o.log.info('watch added', { watchId, path: dir, clientId, persistent: w.info.persistent });
    return this.infoOf(w);
  }

  private infoOf(w: Watch): WatchInfo {
    return { ...w.info, counts: { seen: w.seen, pending: w.pending.length, running: w.running.size, completed: w.completed, failed: w.failed } };
  }

  list(): WatchInfo[] {
    return [...this.watches.values()].map((w) => this.infoOf(w));
  }

  /** Stop watching. Jobs already submitted still finish and still send their watch.result. */
  async remove(watchId: string): Promise<boolean> {
    const w = this.watches.get(watchId);
    if (!w) return false;
    w.closed = true;
    this.watches.delete(watchId);
    w.pending.length = 0;
    w.pendingSet.clear();
    await w.watcher?.close();
    this.o.log.info('watch removed', { watchId });
    return true;
  }

  /** A connection closed: its watches end, except persistent ones. */
  onSessionClosed(clientId: string): void {
    for (const w of [...this.watches.values()]) if (w.info.clientId === clientId && !w.info.persistent) void this.remove(w.info.watchId);
  }

  private enqueue(w: Watch, abs: string): void {
    if (w.closed || w.pendingSet.has(abs)) return;
    if (w.pending.length >= MAX_PENDING) {
      this.o.log.warn('watch backlog full; photo not queued', { watchId: w.info.watchId, path: abs, max: MAX_PENDING });
      return;
    }
    w.seen++;
    w.pending.push(abs);
    w.pendingSet.add(abs);
    this.pump();
  }

  private pump(): void {
    if (this.disposed) return;
    for (const w of this.watches.values()) {
      while (!w.closed && w.pending.length && w.running.size < this.o.maxInFlight) {
        const abs = w.pending[0];
        let job: Job;
        try {
          // Whoever can write the watched folder can plant links there: read only files really inside it.
          job = this.o.jobs.submit(w.info.clientId, { path: abs, noFollow: true, within: w.info.path }, w.info.options);
        } catch (e) {
          const code = e instanceof RpcError ? e.data.code : 'INTERNAL_ERROR';
          if (code === 'SERVER_BUSY') {
            // The queue is full of other clients' jobs: try again shortly.
            this.retry ??= setTimeout(() => {
              this.retry = undefined;
              this.pump();
            }, BUSY_RETRY_MS);
            break;
          }
          if (code === 'SHUTTING_DOWN') return;
          throw e;
        }
        w.pending.shift();
        w.pendingSet.delete(abs);
        w.running.set(job.id, abs);
        this.byJob.set(job.id, w);
      }
    }
  }

  /** Every job notification passes here (daemon.route); the end of a watch's job becomes its watch.result. */
  onJob(job: Job, n: JobNotification): void {
    const w = this.byJob.get(job.id);
    if (!w || (n.method !== JobCompleted.method && n.method !== JobFailed.method)) return;
    const abs = w.running.get(job.id) ?? '';
    this.byJob.delete(job.id);
    w.running.delete(job.id);
    const base = { watchId: w.info.watchId, path: abs, jobId: job.id };
    if (n.method === JobCompleted.method) {
      w.completed++;
      this.o.publish(w.info.clientId, WatchResult.method, { ...base, result: n.params.result });
    } else {
      w.failed++;
      this.o.publish(w.info.clientId, WatchResult.method, { ...base, error: n.params.error });
    }
    this.pump();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.retry) clearTimeout(this.retry);
    await Promise.all([...this.watches.keys()].map((id) => this.remove(id)));
  }
}
