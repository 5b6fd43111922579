// `batch --queue`: the runner of a BatchRun (src/batch/run.ts) that hands photos to a BullMQ queue instead of
// reconstructing them. The run does everything else as for a local batch (inputs, hashing, skipping what is done,
// names, the progress bar, manifests, summary); this module only turns "do this photo" into a job and the job's
// outcome back into the photo's state entry, which its worker committed into the shared output folder.
//
// Exactly once: each job's id is its idempotency key (output folder, source, content hash, options key), so a
// restarted producer re-attaches to the jobs already queued instead of adding them twice; a job finished before
// the restart is taken again only when the run's state files say the photo is not done (its worker then finds it
// done and says so). Results arrive through QueueEvents; a sweep every 10 s (and whenever Redis comes back) looks
// up the jobs still awaited, so an event missed during an outage delays a result but never loses it, and a job
// that Redis lost (restarted without persistence) is queued again. The manifest is keyed by source, so a photo
// done twice by two workers is still one line.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { STATE_DIR } from '../batch/layout.js';
import type { ErrorInfo } from '../batch/record.js';
import { RunnerBrokenError, type RemoteOutcome, type RemoteRunner, type RemoteWork } from '../batch/runner.js';
import { QueueConnection } from './connection.js';
import { queueErrorOf } from './errors.js';
import { VERSION } from './consumer.js';
import { JOB_VERSION, photoJobId, PHOTO_JOB, QUEUE_TMP, type PhotoJobData, type PhotoJobResult } from './job.js';
import { KEY_PREFIX, type QueueTarget } from './target.js';

/** Photos a producer keeps in the queue at once (the rest wait in the producer, already in order). */
export const QUEUE_WINDOW = 1000;
/** Tries per photo for failures that say nothing about it, spaced 2 s, 4 s… apart. */
export const JOB_ATTEMPTS = 3;
export const JOB_BACKOFF_MS = 2000;
const SWEEP_MS = 10_000;
const NO_WORKER_REMIND_MS = 60_000;

export interface ProducerConfig {
  target: QueueTarget;
  outDir: string;
  redo: boolean;
  log: (line: string) => void;
}

interface Awaited {
  work: RemoteWork;
  resolve: (o: RemoteOutcome) => void;
  reject: (e: Error) => void;
}

const FAILURE_HINTS: Record<string, string> = {
  OUTPUT_NOT_SHARED: 'Mount the shared storage at the same path on every worker (docs/cluster.md), then run the batch again.',
  OUTPUT_NOT_WRITABLE: 'Free space or fix permissions on the shared output folder, then run the batch again.',
  FILE_NOT_FOUND: 'Make the photo visible at the same path on every worker, then run the batch again.',
};

/** A BullMQ failure reason ("CODE: message" from our workers, or BullMQ's own words) as a manifest error. */
export function errorOfFailure(reason: string): ErrorInfo {
  const m = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(reason);
  if (m) return { code: m[1], message: m[2], hint: FAILURE_HINTS[m[1]] ?? 'See the workers\' output; run the batch again to retry this photo.' };
  if (/stalled more than allowable limit/.test(reason)) {
    return {
      code: 'INTERNAL_ERROR',
      message: 'The workers doing this photo stopped before finishing it, several times (killed or crashed)',
      hint: "Check the workers' memory and logs; run the batch again to retry this photo.",
    };
  }
  return { code: 'INTERNAL_ERROR', message: `A worker failed on this photo: ${reason}`, hint: "See the workers' output; run the batch again to retry this photo." };
}

export class QueueRunner implements RemoteRunner {
  readonly kind = 'queue' as const;
  readonly concurrency = QUEUE_WINDOW;
  private readonly awaited = new Map<string, Awaited>();
  private readonly nonce: string;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private lastResultAt = Date.now();
  private lastNoWorkerNote = 0;
  private workersSeen = 0;
  private broken: RunnerBrokenError | undefined;

  private constructor(
    private readonly cfg: ProducerConfig,
    private readonly connection: QueueConnection,
    private readonly queue: Queue<PhotoJobData, PhotoJobResult>,
    private readonly events: QueueEvents,
  ) {
    this.nonce = cfg.redo ? randomBytes(8).toString('hex') : '';
    events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, { returnvalue }));
    events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, { failedReason }));
    events.on('error', () => undefined); // told by the connection
    queue.on('error', () => undefined);
    connection.onChange((s) => {
      if (s === 'up') void this.sweep();
      if (s === 'failed') this.fail(connection.lastError);
    });
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
  }

  /** Connect (waiting, with backoff, while Redis is unreachable) and listen for results. */
  static async connect(cfg: ProducerConfig): Promise<QueueRunner> {
    const connection = new QueueConnection(cfg.target, { log: cfg.log });
    try {
      await connection.ready();
    } catch (e) {
      await connection.close();
      throw e;
    }
    const { name } = cfg.target;
    const queue = new Queue<PhotoJobData, PhotoJobResult>(name, {
      connection: connection.redis,
      prefix: KEY_PREFIX,
      defaultJobOptions: {
        attempts: JOB_ATTEMPTS,
        backoff: { type: 'exponential', delay: JOB_BACKOFF_MS },
        // Results stay a day for `queue status` and late producers; the state files are what resume trusts.
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
    const events = new QueueEvents(name, { connection: connection.redis, prefix: KEY_PREFIX });
    const r = new QueueRunner(cfg, connection, queue, events);
    await events.waitUntilReady();
    r.workersSeen = await r.countWorkers();
    if (!r.workersSeen) r.noWorkerNote();
    return r;
  }

  get description(): string {
    const w = this.workersSeen;
    return `the queue "${this.cfg.target.name}" on ${this.cfg.target.display}, ${w} worker${w === 1 ? '' : 's'} connected`;
  }

  private async countWorkers(): Promise<number> {
    return (await this.queue.getWorkers().catch(() => [])).filter((w) => w.name !== 'GCP does not support client list').length;
  }

  private noWorkerNote(): void {
    this.lastNoWorkerNote = Date.now();
    const t = this.cfg.target;
    this.cfg.log(
      `no worker is connected to the queue "${t.name}" on ${t.display} yet: photos wait until one starts\n` +
        `hint: on each machine run \`recon-daemon worker --queue ${t.display}${t.name === 'recon-batch' ? '' : ` --queue-name ${t.name}`}\` (or \`recon-daemon start --queue …\`)`,
    );
  }

  process(work: RemoteWork): Promise<RemoteOutcome> {
    if (this.broken) return Promise.reject(this.broken);
    const id = photoJobId(this.cfg.outDir, work.source, work.sha256, work.optionsKey, this.nonce);
    return new Promise<RemoteOutcome>((resolve, reject) => {
      // Listening before the job exists: its result cannot come before we wait for it.
      this.awaited.set(id, { work, resolve, reject });
      this.enqueue(id, work).catch((e: unknown) => {
        if (this.awaited.delete(id)) reject(queueErrorOf(e, this.cfg.target.display));
      });
    });
  }

  private data(work: RemoteWork): PhotoJobData {
    return {
      v: JOB_VERSION,
      outDir: this.cfg.outDir,
      source: work.source,
      abs: work.abs,
      sha256: work.sha256,
      name: work.name,
      options: work.options,
      optionsKey: work.optionsKey,
      ...(work.ownedNames.length ? { ownedNames: work.ownedNames } : {}),
      ...(this.cfg.redo ? { redo: true } : {}),
      version: VERSION,
      producer: { host: os.hostname(), pid: process.pid },
    };
  }

  private async enqueue(id: string, work: RemoteWork): Promise<void> {
    const existing = await this.queue.getJob(id);
    if (existing) {
      const state = await existing.getState();
      // Waiting, delayed or being done (queued by an earlier run of this producer): wait for it.
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
      // Finished before, yet the state files did not count the photo as done: do it again (a worker that finds
      // it done after all just says so).
      await existing.remove().catch(() => undefined);
    }
    await this.queue.add(PHOTO_JOB, this.data(work), { jobId: id });
  }

  private settle(id: string, r: { returnvalue?: unknown; failedReason?: string }): void {
    const a = this.awaited.get(id);
    if (!a) return; // another run's job, or one already settled
    this.awaited.delete(id);
    this.lastResultAt = Date.now();
    if (r.failedReason !== undefined) {
      a.resolve({ error: errorOfFailure(r.failedReason) });
      return;
    }
    let v = r.returnvalue;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        // reported below
      }
    }
    const res = v as Partial<PhotoJobResult> | null | undefined;
    if (res && 'entry' in res && res.entry && res.entry.source === a.work.source) a.resolve({ entry: res.entry, reused: Boolean(res.reused) });
    else if (res && 'error' in res && res.error) a.resolve({ error: res.error });
    else a.resolve({ error: { code: 'INTERNAL_ERROR', message: 'A worker reported an unexpected result for this photo', hint: 'Use the same recon-daemon version on every machine; run the batch again to retry it.' } });
  }

  /** Look up every job still awaited: results whose event was missed, jobs Redis no longer has. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.connection.state !== 'up' || !this.awaited.size) return;
    this.sweeping = true;
    try {
      const ids = [...this.awaited.keys()];
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const jobs = await Promise.all(chunk.map((id) => this.queue.getJob(id) as Promise<Job<PhotoJobData, PhotoJobResult> | undefined>));
        for (let k = 0; k < chunk.length; k++) {
          const id = chunk[k];
          const a = this.awaited.get(id);
          if (!a) continue;
          const job = jobs[k];
          if (!job) await this.queue.add(PHOTO_JOB, this.data(a.work), { jobId: id });
          else if (job.finishedOn) {
            if (job.returnvalue !== null && job.returnvalue !== undefined) this.settle(id, { returnvalue: job.returnvalue });
            else this.settle(id, { failedReason: job.failedReason ?? 'unknown failure' });
          }
        }
      }
      if (Date.now() - this.lastResultAt > NO_WORKER_REMIND_MS && Date.now() - this.lastNoWorkerNote > NO_WORKER_REMIND_MS) {
        this.workersSeen = await this.countWorkers();
        if (!this.workersSeen) this.noWorkerNote();
      }
    } catch {
      // Redis went away mid-sweep: the next one (when it is back) does it.
    } finally {
      this.sweeping = false;
    }
  }

  private fail(e: Error | undefined): void {
    const err = e as (Error & { hint?: string }) | undefined;
    this.broken ??= new RunnerBrokenError(err?.message ?? 'The connection to Redis failed', err?.hint ?? 'Check --queue, then run the same command again: it resumes.');
    for (const [id, a] of this.awaited) {
      this.awaited.delete(id);
      a.reject(this.broken);
    }
  }

  /** Stop waiting: the photos handed out stay in the queue; the workers finish them and a rerun collects them. */
  cancelAll(): void {
    for (const [id, a] of this.awaited) {
      this.awaited.delete(id);
      a.resolve({ cancelled: true });
    }
  }

  /** Photos handed out and not yet reported. */
  get outstanding(): number {
    return this.awaited.size;
  }

  /** After a complete run: temp folders of workers killed mid-photo can go (every photo is committed). */
  async afterCompleteRun(): Promise<void> {
    await fs.rm(path.join(this.cfg.outDir, STATE_DIR, QUEUE_TMP), { recursive: true, force: true }).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const quick = <T>(p: Promise<T>) => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    await quick(this.events.close());
    await quick(this.queue.close());
    await this.connection.close();
  }
}
