// Jobs: a bounded queue in front of the worker pool, job states, cancellation (queued or running) and the
// notifications each job produces. One folder per job under the output root, named by its jobId; nothing
// here writes anywhere else. The queue is shared fairly: one client may have at most `maxQueuePerClient`
// jobs waiting, and the next job to start is the oldest of the client whose last start is longest ago.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fromEngineError, RpcError, type EngineErrorJson } from '../rpc/errors.js';
import {
  JobCompleted,
  JobFailed,
  JobProgress,
  type JobCancelResult,
  type JobCompletedParams,
  type JobFailedParams,
  type JobInfo,
  type JobProgressParams,
  type JobState,
  type ReconstructOptions,
  type RpcErrorObject,
} from '../rpc/protocol.js';
import type { Logger } from './log.js';
import type { WorkerPool } from './pool.js';
import type { WorkerInput } from './worker-messages.js';

export type JobNotification =
  | { method: typeof JobProgress.method; params: JobProgressParams }
  | { method: typeof JobCompleted.method; params: JobCompletedParams }
  | { method: typeof JobFailed.method; params: JobFailedParams };

export interface Job {
  id: string;
  clientId: string;
  state: JobState;
  source: string;
  dir: string;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  stage?: string;
  fraction?: number;
  error?: RpcErrorObject;
  cancelRequested: boolean;
  /** Dropped once the job starts, so queued photo bytes are the only ones held. */
  input?: WorkerInput;
  options: ReconstructOptions;
}

export interface JobManagerOptions {
  pool: WorkerPool;
  outputRoot: string;
  maxQueue: number;
  /** Jobs one client may have waiting; default maxQueue (no share). */
  maxQueuePerClient?: number;
  log: Logger;
  notify: (job: Job, n: JobNotification) => void;
  /** Finished jobs remembered for jobs.list / job.cancel answers. */
  historyLimit?: number;
}

/** Photo bytes held by queued jobs, at most: a bounded queue of uploads must also be bounded in memory. */
export const MAX_QUEUED_BYTES = 512 * 1024 * 1024;

/** Sortable and readable as a folder name: 20250131-142501-9f3a61c2. */
export function newJobId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${randomBytes(4).toString('hex')}`;
}

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private readonly counts = { completed: 0, failed: 0, cancelled: 0 };
  /** Queued or running jobs per client. */
  private readonly active = new Map<string, { queued: number; running: number }>();
  /** When each client last had a job started (a counter), for round-robin starts. */
  private readonly lastStart = new Map<string, number>();
  private starts = 0;
  private accepting = true;

  constructor(private readonly o: JobManagerOptions) {}

  submit(clientId: string, input: WorkerInput, options: ReconstructOptions): Job {
    if (!this.accepting) throw RpcError.of('SHUTTING_DOWN', 'The daemon is shutting down and takes no new jobs');
    const waiting = this.waiting();
    if (waiting >= this.o.maxQueue) {
      throw RpcError.of('SERVER_BUSY', `The job queue is full (${waiting} of ${this.o.maxQueue} jobs waiting)`, {
        queued: waiting,
        maxQueue: this.o.maxQueue,
      });
    }
    const share = this.o.maxQueuePerClient ?? this.o.maxQueue;
    const mine = this.waitingOf(clientId);
    if (mine >= share) {
      throw RpcError.of('SERVER_BUSY', `This client already has ${mine} jobs waiting, its share of the queue (${share} of ${this.o.maxQueue})`, {
        queued: mine,
        maxQueuePerClient: share,
        hint: 'Wait for a job.completed or job.failed notification before submitting more; other clients share the queue.',
      });
    }
    const bytes = 'data' in input ? input.data.byteLength : 0;
    if (bytes && this.queuedBytes() + bytes > MAX_QUEUED_BYTES) {
      throw RpcError.of('SERVER_BUSY', `Queued uploads would exceed ${MAX_QUEUED_BYTES} bytes`, { hint: 'Wait for queued jobs to finish, or pass the photo by path.' });
    }
    let id = newJobId();
    while (this.jobs.has(id)) id = newJobId();
    const job: Job = {
      id,
      clientId,
      state: 'queued',
      source: 'path' in input ? path.basename(input.path) : 'upload',
      dir: path.join(this.o.outputRoot, id),
      createdAt: new Date(),
      cancelRequested: false,
      input,
      options,
    };
    this.jobs.set(id, job);
    this.queue.push(job);
    this.count(clientId).queued++;
    // After the current turn, so the client has its { jobId } answer before the first notification.
    setImmediate(() => {
      if (job.state === 'queued' && job.stage === undefined) this.progress(job, 'queued', 0);
      this.pump();
    });
    return job;
  }

  /** Jobs that will still wait once idle workers have taken theirs (queued jobs start on the next turn). */
  private waiting(): number {
    const s = this.o.pool.stats();
    return this.queue.length - (s.ready - s.busy);
  }

  /** A client's jobs that will still wait once idle workers have taken theirs. */
  private waitingOf(clientId: string): number {
    const s = this.o.pool.stats();
    return Math.max(0, (this.active.get(clientId)?.queued ?? 0) - (s.ready - s.busy));
  }

  private count(clientId: string): { queued: number; running: number } {
    let c = this.active.get(clientId);
    if (!c) this.active.set(clientId, (c = { queued: 0, running: 0 }));
    return c;
  }

  /** Whether a client has jobs queued or running (its connection still matters to them). */
  hasActiveJobs(clientId: string): boolean {
    const c = this.active.get(clientId);
    return c !== undefined && c.queued + c.running > 0;
  }

  /** Leaves the queue: from queued to running, or to an end. */
  private dequeued(job: Job, running: boolean): void {
    const c = this.count(job.clientId);
    c.queued--;
    if (running) c.running++;
    else if (c.queued + c.running === 0) this.forgetClient(job.clientId);
  }

  private ended(job: Job): void {
    const c = this.count(job.clientId);
    c.running--;
    if (c.queued + c.running === 0) this.forgetClient(job.clientId);
  }

  /** A client with nothing queued or running: its next job is first in line again. */
  private forgetClient(clientId: string): void {
    this.active.delete(clientId);
    this.lastStart.delete(clientId);
  }

  /** The next job to start: the oldest of the client whose last start is longest ago (round-robin). */
  private nextIndex(): number {
    let best = 0;
    let bestStart = Infinity;
    const seen = new Set<string>();
    for (let i = 0; i < this.queue.length; i++) {
      const c = this.queue[i].clientId;
      if (seen.has(c)) continue;
      seen.add(c);
      const last = this.lastStart.get(c) ?? -1;
      if (last < bestStart) {
        bestStart = last;
        best = i;
      }
      if (last === -1) break;
    }
    return best;
  }

  private queuedBytes(): number {
    let n = 0;
    for (const j of this.queue) if (j.input && 'data' in j.input) n += j.input.data.byteLength;
    return n;
  }

  get(jobId: string): Job | undefined {
    return this.jobs.get(jobId);
  }

  /** Start queued jobs on idle workers, oldest first. */
  pump(): void {
    if (this.o.pool.broken && this.o.pool.startupError) {
      for (const job of this.queue.splice(0)) {
        this.dequeued(job, false);
        this.fail(job, this.o.pool.startupError, false);
      }
      return;
    }
    while (this.queue.length) {
      const index = this.nextIndex();
      const job = this.queue[index];
      const started = this.o.pool.tryRun({ jobId: job.id, input: job.input!, dir: job.dir, options: job.options }, {
        onStart: () => {
          // Every job reports "queued" first, even one started by an earlier job's pump in the same turn.
          if (job.stage === undefined) this.progress(job, 'queued', 0);
          this.queue.splice(index, 1);
          this.dequeued(job, true);
          this.lastStart.set(job.clientId, this.starts++);
          job.state = 'running';
          job.startedAt = new Date();
          job.input = undefined;
          this.progress(job, 'started', 0);
        },
        onProgress: (stage, fraction) => this.progress(job, stage, fraction),
        onCompleted: (result) => this.complete(job, result),
        onFailed: (error, wroteResult) => this.fail(job, error, wroteResult),
      });
      if (!started) return;
    }
  }

  cancel(jobId: string): JobCancelResult {
    const job = this.jobs.get(jobId);
    if (!job) throw RpcError.of('JOB_NOT_FOUND', `No job with id ${JSON.stringify(jobId)}`, { jobId });
    if (job.state === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.dequeued(job, false);
      this.fail(job, { code: 'CANCELLED', message: 'The job was cancelled before it started', hint: 'Start it again if you still need it.' }, false);
      return { jobId, cancelled: true, state: job.state };
    }
    if (job.state === 'running') {
      job.cancelRequested = true;
      this.o.pool.cancel(jobId);
      return { jobId, cancelled: true, state: job.state };
    }
    return { jobId, cancelled: false, state: job.state };
  }

  /** Stop taking jobs and cancel every queued one (shutdown). */
  stopAccepting(): void {
    this.accepting = false;
    for (const job of this.queue.splice(0)) {
      this.dequeued(job, false);
      this.fail(job, { code: 'CANCELLED', message: 'The daemon shut down before the job started', hint: 'Start the daemon and submit the job again.' }, false);
    }
  }

  cancelRunning(): void {
    for (const job of this.jobs.values()) if (job.state === 'running') this.cancel(job.id);
  }

  list(clientId?: string): JobInfo[] {
    return [...this.jobs.values()].filter((j) => clientId === undefined || j.clientId === clientId).map(info);
  }

  stats(): { queued: number; running: number; completed: number; failed: number; cancelled: number } {
    let running = 0;
    for (const j of this.jobs.values()) if (j.state === 'running') running++;
    return { queued: this.queue.length, running, ...this.counts };
  }

  private progress(job: Job, stage: string, rawFraction: number): void {
    const fraction = Math.round(rawFraction * 1000) / 1000;
    job.stage = stage;
    job.fraction = fraction;
    this.o.notify(job, { method: JobProgress.method, params: { jobId: job.id, stage, fraction } });
  }

  private complete(job: Job, result: JobCompletedParams['result']): void {
    this.ended(job);
    job.state = 'completed';
    job.finishedAt = new Date();
    this.counts.completed++;
    this.o.log.info('job completed', { jobId: job.id, ms: result.timings.total });
    this.o.notify(job, { method: JobCompleted.method, params: { jobId: job.id, result } });
    this.forgetOld();
  }

  private fail(job: Job, engineError: EngineErrorJson, wroteResult: boolean): void {
    if (job.state === 'running') this.ended(job);
    const err = fromEngineError(engineError);
    const cancelled = engineError.code === 'CANCELLED';
    job.state = cancelled ? 'cancelled' : 'failed';
    job.finishedAt = new Date();
    job.input = undefined;
    job.error = err.toObject();
    this.counts[cancelled ? 'cancelled' : 'failed']++;
    this.o.log.info(cancelled ? 'job cancelled' : 'job failed', { jobId: job.id, code: err.data.code });
    // A cancelled job leaves no half-written folder behind.
    if (cancelled) void fs.rm(job.dir, { recursive: true, force: true }).catch(() => undefined);
    this.o.notify(job, {
      method: JobFailed.method,
      params: { jobId: job.id, ...(wroteResult ? { dir: job.dir } : {}), error: job.error },
    });
    this.forgetOld();
  }

  private forgetOld(): void {
    const limit = this.o.historyLimit ?? 1000;
    if (this.jobs.size <= limit) return;
    for (const [id, j] of this.jobs) {
      if (this.jobs.size <= limit) break;
      if (j.state !== 'queued' && j.state !== 'running') this.jobs.delete(id);
    }
  }
}

function info(j: Job): JobInfo {
  return {
    jobId: j.id,
    state: j.state,
    clientId: j.clientId,
    source: j.source,
    dir: j.dir,
    createdAt: j.createdAt.toISOString(),
    ...(j.startedAt ? { startedAt: j.startedAt.toISOString() } : {}),
    ...(j.finishedAt ? { finishedAt: j.finishedAt.toISOString() } : {}),
    ...(j.stage !== undefined ? { stage: j.stage, fraction: j.fraction } : {}),
    ...(j.error ? { error: j.error } : {}),
  };
}
