// A fixed pool of worker threads, one job per worker at a time. Each worker loads the models once. A worker
// that dies mid-job fails that job (INTERNAL_ERROR) and is replaced; one that cannot load the models at all
// makes the pool report that error for every job instead of respawning forever. A cancelled job stops at the
// engine's next check; a worker still on it after `cancelGraceMs` (inside one long native decode, which no
// signal and not even Worker.terminate() interrupts) is retired: the job ends CANCELLED at once, a fresh
// worker takes the slot, and the old thread is terminated and exits as soon as its native call returns. At
// most `size` threads retire at a time; beyond that a slot waits for one to exit before it is refilled.
import { Worker } from 'node:worker_threads';
import { requiredScript } from '../util/compiled-script.js';
import type { EngineErrorJson } from '../rpc/errors.js';
import type { JobCompletedResult } from '../rpc/protocol.js';
import type { Logger } from './log.js';
import type { FromWorker, ToWorker, WorkerData, WorkerInput } from './worker-messages.js';

export interface PoolJob {
  jobId: string;
  input: WorkerInput;
  dir: string;
  options: Extract<ToWorker, { type: 'run' }>['options'];
}

export interface PoolJobHandlers {
  onStart(): void;
  onProgress(stage: string, fraction: number): void;
  onCompleted(result: JobCompletedResult): void;
  onFailed(error: EngineErrorJson, wroteResult: boolean): void;
}

interface Slot {
  id: number;
  worker: Worker;
  state: 'starting' | 'idle' | 'busy' | 'dead';
  job?: { jobId: string; handlers: PoolJobHandlers };
  /** Pending retirement of a cancelled job's worker. */
  cancelTimer?: NodeJS.Timeout;
}

const MAX_RESPAWNS = 5;

export class WorkerPool {
  private readonly slots: Slot[] = [];
  /** Workers retired by cancel, still finishing a native call before they exit. */
  private readonly retiring = new Set<Slot>();
  /** Slot indices waiting for a retiring worker to exit before they are refilled. */
  private readonly refill: number[] = [];
  private nextId = 0;
  private respawns = 0;
  private closing = false;
  /** Set when workers cannot load the models; every job then fails with it. */
  startupError: EngineErrorJson | undefined;

  constructor(
    readonly size: number,
    private readonly onIdle: () => void,
    private readonly log: Logger,
    private readonly threads = 1,
    private readonly cancelGraceMs = 1000,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const data: WorkerData = { threads: this.threads };
    const worker = new Worker(requiredScript('server/worker.js'), { workerData: data });
    const slot: Slot = { id: this.nextId++, worker, state: 'starting' };
    worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
    worker.on('error', (e) => this.log.error('worker error', { worker: slot.id, error: e.message }));
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') {
      slot.state = 'idle';
      this.log.info('worker ready', { worker: slot.id, modelLoadMs: m.loadMs });
      this.onIdle();
      return;
    }
    if (m.type === 'fatal') {
      this.log.error('worker could not load the models', { worker: slot.id, error: m.error.message });
      this.startupError = m.error;
      slot.state = 'dead';
      void slot.worker.terminate();
      this.onIdle(); // lets the job manager fail what is queued
      return;
    }
    const job = slot.job;
    if (!job || job.jobId !== m.jobId) return;
    if (m.type === 'progress') job.handlers.onProgress(m.stage, m.fraction);
    else {
      clearTimeout(slot.cancelTimer);
      slot.job = undefined;
      slot.state = 'idle';
      if (m.type === 'completed') job.handlers.onCompleted(m.result);
      else job.handlers.onFailed(m.error, m.wroteResult);
      this.onIdle();
    }
  }

  private onExit(slot: Slot, code: number): void {
    if (this.retiring.delete(slot)) {
      this.log.info('retired worker exited', { worker: slot.id });
      const i = this.refill.shift();
      if (i !== undefined && !this.closing) this.slots[i] = this.spawn();
      return;
    }
    const wasDead = slot.state === 'dead';
    slot.state = 'dead';
    clearTimeout(slot.cancelTimer);
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      job.handlers.onFailed(
        { code: 'INTERNAL_ERROR', message: `The worker running this job stopped unexpectedly (exit code ${code})`, hint: 'Try again; if it keeps happening, report it with the photo and the daemon log.' },
        false,
      );
    }
    if (this.closing || wasDead) return;
    const i = this.slots.indexOf(slot);
    if (i >= 0 && this.respawns < MAX_RESPAWNS) {
      this.respawns++;
      this.log.warn('worker exited; starting a new one', { worker: slot.id, code });
      this.slots[i] = this.spawn();
    } else if (i >= 0) {
      this.startupError ??= { code: 'INTERNAL_ERROR', message: `Worker threads keep exiting (last exit code ${code})`, hint: 'See the daemon log; restart the daemon.' };
      this.onIdle();
    }
  }

  /** Run a job on an idle worker; false when none is idle. */
  tryRun(job: PoolJob, handlers: PoolJobHandlers): boolean {
    const slot = this.slots.find((s) => s.state === 'idle');
    if (!slot) return false;
    slot.state = 'busy';
    slot.job = { jobId: job.jobId, handlers };
    handlers.onStart();
    const msg: ToWorker = { type: 'run', jobId: job.jobId, input: job.input, dir: job.dir, options: job.options };
    // Photo bytes move to the worker instead of being copied.
    // Only a view that owns its whole buffer is transferred (a pooled Buffer slice must never be detached).
    const d = 'data' in job.input ? job.input.data : undefined;
    const transfer = d && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? [d.buffer as ArrayBuffer] : [];
    slot.worker.postMessage(msg, transfer);
    return true;
  }

  /**
   * Ask the worker running this job to stop it; it answers with a failed (CANCELLED) or completed message, or
   * is terminated after the grace period (the job then fails CANCELLED and a new worker starts).
   */
  cancel(jobId: string): boolean {
    const slot = this.slots.find((s) => s.job?.jobId === jobId);
    if (!slot) return false;
    slot.worker.postMessage({ type: 'cancel', jobId } satisfies ToWorker);
    slot.cancelTimer ??= setTimeout(() => {
      if (slot.job?.jobId === jobId && slot.state === 'busy') this.retire(slot);
    }, this.cancelGraceMs);
    return true;
  }

  /** End a cancelled job that is still running now, and give its slot a fresh worker. */
  private retire(slot: Slot): void {
    const job = slot.job!;
    slot.job = undefined;
    slot.state = 'dead';
    this.retiring.add(slot);
    const i = this.slots.indexOf(slot);
    this.log.warn('cancelled job still running; retiring its worker', { worker: slot.id, jobId: job.jobId, graceMs: this.cancelGraceMs });
    void slot.worker.terminate();
    if (i >= 0) {
      if (this.retiring.size <= this.size) this.slots[i] = this.spawn();
      else this.refill.push(i);
    }
    job.handlers.onFailed({ code: 'CANCELLED', message: 'The job was cancelled while it ran', hint: 'Start it again if you still need it.' }, false);
    this.onIdle();
  }

  /** True while no worker can ever run a job (all failed to load the models). */
  get broken(): boolean {
    return this.startupError !== undefined && this.slots.every((s) => s.state === 'dead');
  }

  stats(): { total: number; ready: number; busy: number } {
    return {
      total: this.size,
      ready: this.slots.filter((s) => s.state === 'idle' || s.state === 'busy').length,
      busy: this.slots.filter((s) => s.state === 'busy').length,
    };
  }

  busyCount(): number {
    return this.slots.filter((s) => s.state === 'busy').length;
  }

  /** Wait until no worker is busy or the deadline passes. */
  async drain(deadlineMs: number): Promise<boolean> {
    const end = Date.now() + deadlineMs;
    while (this.busyCount() > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.busyCount() === 0;
  }

  async close(): Promise<void> {
    this.closing = true;
    // Retired threads end when their native call returns; the process exit ends them otherwise.
    for (const s of this.retiring) s.worker.unref();
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.state === 'dead') return;
        s.worker.postMessage({ type: 'dispose' } satisfies ToWorker);
        // Give the engine a moment to release its sessions, then make sure the thread is gone.
        const exited = new Promise<void>((r) => s.worker.once('exit', () => r()));
        const timer = new Promise<void>((r) => setTimeout(r, 2000).unref());
        await Promise.race([exited, timer]);
        await s.worker.terminate();
      }),
    );
  }
}
