// The consuming side of a queue, shared by `recon-daemon worker` (embedded worker threads) and the daemon
// (`start --queue`: its own workers). A BullMQ Worker hands it jobs; each job is one photo on the shared
// storage, done the way a local batch does it (src/batch/commit.ts) and reported back as the photo's state
// entry, which carries its manifest line:
//
//   check the job → check the output folder is visible here → hash the photo → done already? report that →
//   reconstruct into <out>/.recon-batch/queue-tmp/<job>-… → under the photo's commit lock: done meanwhile by a
//   twin? keep that : commit → report.
//
// Retries: only for failures that say nothing about the photo (the engine's INTERNAL_ERROR, MODEL_UNAVAILABLE,
// FILE_NOT_FOUND; an output folder this machine cannot see or write), with BullMQ's exponential backoff, on any
// worker; on the last attempt an engine failure is committed like a local batch commits it (its result.json says
// why; the next run retries it). A photo's own failure (NO_FACE, IMAGE_DECODE_FAILED…) is committed at once.
//
// Stopping: close(graceMs) takes no new photos and lets those in progress finish; after the grace period (or
// handBack()) they are cancelled and handed back to the queue, for another worker. A worker killed outright
// holds its photos until its locks expire (lockMs); BullMQ's stalled-job check then gives them to another.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { commitPhoto, isDone, reconstructPhoto, type CommitTarget } from '../batch/commit.js';
import { readErrorInfo, sha256File } from '../batch/hash.js';
import { STATE_DIR } from '../batch/layout.js';
import { RETRY_CODES, type ErrorInfo, type ManifestRecord } from '../batch/record.js';
import type { Runner } from '../batch/runner.js';
import { StateFiles, type StateEntry } from '../batch/state.js';
import { outputWriteError, toReconError } from '../recon/errors.js';
import { makeDir } from '../util/fs.js';
import { CommitLocks } from './commit-lock.js';
import type { QueueConsumerStatus } from '../rpc/protocol.js';
import { QueueConnection } from './connection.js';
import { queueErrorOf } from './errors.js';
import { commitLockId, MalformedJobError, parsePhotoJob, PHOTO_JOB, QUEUE_TMP, type PhotoJobData, type PhotoJobResult } from './job.js';
import { KEY_PREFIX, type QueueTarget } from './target.js';

export const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** How long a worker's hold on a photo lasts without renewal: a killed worker's photos go back after this. */
export const DEFAULT_LOCK_MS = 30_000;
/** A photo survives this many deaths of its worker; one more fails it (a photo that kills workers must not kill them all). */
export const MAX_STALLED = 2;

export interface ConsumedPhoto {
  source: string;
  outDir: string;
  record: ManifestRecord;
  /** Done already (an earlier run, or a twin of this job): nothing was redone. */
  reused: boolean;
  ms: number;
}

export interface ConsumerConfig {
  target: QueueTarget;
  runner: Runner;
  /** Photos held at once (reconstructing or waiting for a free engine thread). */
  concurrency: number;
  /** BullMQ lock duration (default 30 s). */
  lockMs?: number;
  /** How this worker appears in `queue status`. */
  workerName: string;
  log: (line: string) => void;
  onPhoto?: (p: ConsumedPhoto) => void;
  /** A try that failed for a reason that says nothing about the photo (`final`: no try is left; nothing was committed). */
  onTryFailed?: (p: { source: string; outDir: string; error: ErrorInfo; attempt: number; attempts: number; final: boolean }) => void;
  /** Give up connecting (the daemon stops before Redis was ever reached). */
  signal?: AbortSignal;
  /** The connection, as soon as it exists (to report its state while start() still waits for Redis). */
  onConnection?: (c: QueueConnection) => void;
}

/** The consumer's counters and connection (daemon.status shows them as `queueConsumer`). */
export type ConsumerStats = QueueConsumerStatus;

/** A failure that says nothing about the photo: BullMQ retries the job (`CODE: message`, read back by the producer). */
class TransientJobError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(`${info.code}: ${info.message}`);
    this.name = 'TransientJobError';
  }
}

async function isDir(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

export class QueueConsumer {
  private readonly worker: Worker<PhotoJobData, PhotoJobResult>;
  private readonly locks: CommitLocks;
  private active = 0;
  private completed = 0;
  private failed = 0;
  private handedBack = 0;
  private handingBack = false;
  private closing: Promise<void> | undefined;
  private readonly warned = new Set<string>();

  private constructor(
    private readonly cfg: ConsumerConfig,
    readonly connection: QueueConnection,
  ) {
    const lockMs = cfg.lockMs ?? DEFAULT_LOCK_MS;
    this.locks = new CommitLocks(connection.redis, `${KEY_PREFIX}:${cfg.target.name}:commit:`);
    // Made once Redis has answered: BullMQ's own connections would otherwise fail their set-up loudly.
    this.worker = new Worker<PhotoJobData, PhotoJobResult>(cfg.target.name, (job, token) => this.process(job, token), {
      connection: connection.redis,
      prefix: KEY_PREFIX,
      name: cfg.workerName,
      concurrency: cfg.concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: MAX_STALLED,
      // After an outage, fetch again within a second (the connection itself backs off).
      runRetryDelay: 1000,
      autorun: false,
    });
    this.worker.on('error', (e) => {
      // Trouble with the connection is told once, by the connection; anything else is worth a line.
      const qe = queueErrorOf(e, cfg.target.display);
      if (qe.transient) return;
      if (qe.code !== 'QUEUE_ERROR') {
        this.warnOnce(qe.message, `error: ${qe.message}\nhint: ${qe.hint}`);
        return;
      }
      const lost = /^Missing (key|lock) for job (\S+)\./.exec(e.message);
      if (lost) {
        // The photo is committed; only its report was lost (Redis restarted without its data, or BullMQ gave the job
        // to another worker meanwhile). The producer looks it up again and reaches the same result.
        this.warnOnce(`lost:${lost[2]}`, `note: job ${lost[2]} ${lost[1] === 'key' ? 'vanished from Redis' : 'went to another worker'} before its result was stored; the photo is committed, and the producer sees it done`);
        return;
      }
      this.cfg.log(`queue: ${e.message}`);
    });
  }

  /** Connect (retrying while Redis is unreachable) and start taking photos. Rejects on a wrong password or certificate. */
  static async start(cfg: ConsumerConfig): Promise<QueueConsumer> {
    const connection = new QueueConnection(cfg.target, { log: cfg.log });
    cfg.onConnection?.(connection);
    const abort = () => void connection.close();
    cfg.signal?.addEventListener('abort', abort);
    try {
      await connection.ready();
    } catch (e) {
      await connection.close();
      throw e;
    } finally {
      cfg.signal?.removeEventListener('abort', abort);
    }
    const c = new QueueConsumer(cfg, connection);
    void c.worker.run().catch((e: unknown) => cfg.log(`queue: the worker stopped: ${(e as Error).message}`));
    return c;
  }

  stats(): ConsumerStats {
    const e = this.connection.lastError;
    return {
      queue: this.cfg.target.display,
      queueName: this.cfg.target.name,
      worker: this.cfg.workerName,
      connection: this.connection.state,
      active: this.active,
      completed: this.completed,
      failed: this.failed,
      handedBack: this.handedBack,
      ...(e && this.connection.state !== 'up' ? { error: e.toJSON() } : {}),
    };
  }

  /** Cancel the photos in progress and give them back to the queue now. */
  handBack(): void {
    this.handingBack = true;
    this.cfg.runner.cancelAll();
  }

  /** Take no new photos; those in progress finish within `graceMs`, then are handed back. */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      const timer = setTimeout(() => this.handBack(), graceMs);
      try {
        await this.worker.close();
      } finally {
        clearTimeout(timer);
        await this.connection.close();
      }
    })();
    return this.closing;
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.cfg.log(line);
  }

  private async process(job: Job<PhotoJobData, PhotoJobResult>, token?: string): Promise<PhotoJobResult> {
    if (job.name !== PHOTO_JOB) throw new UnrecoverableError(`Not a recon-daemon photo job: ${job.name}`);
    let data: PhotoJobData;
    try {
      data = parsePhotoJob(job.data);
    } catch (e) {
      if (e instanceof MalformedJobError) throw new UnrecoverableError(e.message);
      throw e;
    }
    if (this.handingBack) return this.giveBack(job, token);
    if (data.version !== VERSION) this.warnOnce(`v${data.version}`, `note: jobs from recon-daemon ${data.version} (this worker is ${VERSION}); each result.json records the version that made it`);
    this.active++;
    const t0 = performance.now();
    const attempts = job.opts.attempts ?? 1;
    const tried = (error: ErrorInfo) =>
      this.cfg.onTryFailed?.({ source: data.source, outDir: data.outDir, error, attempt: job.attemptsMade + 1, attempts, final: job.attemptsMade + 1 >= attempts });
    try {
      const r = await this.photo(job, data, token);
      this.completed++;
      if ('entry' in r) this.cfg.onPhoto?.({ source: data.source, outDir: data.outDir, record: r.entry.record, reused: r.reused, ms: performance.now() - t0 });
      else tried(r.error);
      return r;
    } catch (e) {
      if (!(e instanceof WaitingError)) this.failed++;
      if (e instanceof TransientJobError) tried(e.info);
      throw e;
    } finally {
      this.active--;
    }
  }

  private async giveBack(job: Job<PhotoJobData, PhotoJobResult>, token?: string): Promise<never> {
    // Back to waiting, for any worker; if Redis is away now, the lock runs out and BullMQ does the same.
    await job.moveToWait(token).catch(() => undefined);
    this.handedBack++;
    throw new WaitingError();
  }

  private async photo(job: Job<PhotoJobData, PhotoJobResult>, data: PhotoJobData, token?: string): Promise<PhotoJobResult> {
    const worker = this.cfg.workerName;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const transient = (info: ErrorInfo): never => {
      throw new TransientJobError(info);
    };
    const { outDir } = data;
    if (!(await isDir(path.join(outDir, STATE_DIR, 'state')))) {
      const info = {
        code: 'OUTPUT_NOT_SHARED',
        message: `This worker (${os.hostname()}) cannot see the batch's output folder ${outDir}`,
        hint: 'Mount the shared storage at the same path on every machine (docs/cluster.md), or stop this worker.',
      };
      this.warnOnce(`out:${outDir}`, `error: ${info.code}: ${info.message}\nhint: ${info.hint}`);
      transient(info);
    }
    let sha: string;
    try {
      sha = await sha256File(data.abs);
    } catch (e) {
      const info = readErrorInfo(e, data.source);
      if (info.code === 'FILE_NOT_FOUND') {
        info.message = `No file at ${data.abs} on ${os.hostname()} (moved or deleted, or the shared storage is not mounted at the same path here)`;
        if (!lastAttempt) transient(info);
      }
      // Unreadable: nothing to commit; the producer writes a manifest line without state, as a local batch does.
      return { error: info, worker };
    }
    const files = StateFiles.of(outDir);
    const target: CommitTarget = { outDir, read: (s) => files.read(s), invalidate: (s) => files.invalidate(s), save: (e) => files.save(e) };
    const mine = async (e: StateEntry | undefined): Promise<boolean> => Boolean(e) && (await isDone(outDir, e, sha, data.optionsKey)) && (!data.redo || e!.by === job.id);
    const before = await files.read(data.source);
    if (await mine(before)) return { entry: before!, reused: true, worker };
    // Stopped past the grace period while this photo was being checked: the runner's cancel came before the photo
    // reached it, so hand it back here rather than reconstruct it after the worker was told to let go.
    if (this.handingBack) return this.giveBack(job, token);

    const tmpRoot = path.join(outDir, STATE_DIR, QUEUE_TMP);
    // Leftovers of this job's earlier attempts (a worker killed mid-photo): no partial files stay behind.
    for (const d of await fs.readdir(tmpRoot).catch(() => [] as string[])) {
      if (d.startsWith(`${job.id}-`)) await fs.rm(path.join(tmpRoot, d), { recursive: true, force: true });
    }
    const tmp = path.join(tmpRoot, `${job.id}-${randomBytes(4).toString('hex')}`);
    try {
      try {
        await makeDir(tmp);
      } catch (e) {
        const err = toReconError(outputWriteError(e, outDir));
        transient({ code: err.code, message: err.message, hint: err.hint });
      }
      const made = await reconstructPhoto(this.cfg.runner, { source: data.source, abs: data.abs, sha256: sha, name: data.name, options: data.options, optionsKey: data.optionsKey, by: job.id }, tmp);
      if (!made) return await this.giveBack(job, token);
      const err = made.outcome.error;
      if (err && RETRY_CODES.has(err.code) && !lastAttempt) transient(err);
      const owned = new Set(data.ownedNames ?? []);
      return await this.locks.with(commitLockId(outDir, data.source), async () => {
        const now = await files.read(data.source);
        // A twin of this job (a worker BullMQ thought stalled, or a producer's earlier job) committed it meanwhile.
        if (await mine(now)) return { entry: now!, reused: true, worker };
        try {
          await commitPhoto(target, data.options, now, made.entry, tmp, made.moves, (n) => owned.has(n.toLowerCase()));
        } catch (e) {
          const w = toReconError(outputWriteError(e, outDir));
          transient({ code: w.code, message: w.message, hint: w.hint });
        }
        return { entry: made.entry, reused: false, worker };
      });
    } finally {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
