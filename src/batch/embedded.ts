// The embedded runner: a fixed pool of batch worker threads in this process, one photo per worker at a time,
// models loaded once per worker. A worker that dies mid-photo fails that photo with INTERNAL_ERROR (retried on
// the next run) and is replaced; workers that cannot load the models break the runner.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { requiredScript } from '../util/compiled-script.js';
import type { PhotoOutcome } from './record.js';
import { cancelledOutcome, RunnerBrokenError, type PhotoTask, type Runner } from './runner.js';
import type { BatchWorkerData, FromBatchWorker, ToBatchWorker } from './worker.js';

export function defaultWorkers(): number {
  return Math.max(1, Math.min(64, os.availableParallelism()));
}

interface Pending {
  id: number;
  task: PhotoTask;
  resolve: (o: PhotoOutcome) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  state: 'starting' | 'idle' | 'busy' | 'dead';
  job?: Pending;
}

const MAX_RESPAWNS = 5;

export class EmbeddedRunner implements Runner {
  readonly kind = 'embedded' as const;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private respawns = 0;
  private closing = false;
  private broken: RunnerBrokenError | undefined;
  private readyWaiters: Array<() => void> = [];

  private constructor(
    readonly workers: number,
    private readonly threads: number,
  ) {
    for (let i = 0; i < workers; i++) this.slots.push(this.spawn());
  }

  get description(): string {
    const outputs = this.inlineOutputs ? 'outputs on the workers' : 'maps on helper threads';
    return `embedded, ${this.workers} worker thread${this.workers === 1 ? '' : 's'}, ${outputs}`;
  }

  /** With a worker per core, a photo's outputs stay on its worker: helper threads would find no free core. */
  private get inlineOutputs(): boolean {
    return this.workers >= os.availableParallelism();
  }

  /** One photo queued per worker beyond the running ones, so a finishing worker never waits for the next. */
  get concurrency(): number {
    return this.workers * 2;
  }

  /** Start the workers and wait until every one has loaded the models. */
  static async start(workers: number, threads = 1): Promise<EmbeddedRunner> {
    const r = new EmbeddedRunner(workers, threads);
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (r.broken) reject(r.broken);
        else if (r.slots.every((s) => s.state !== 'starting')) resolve();
        else r.readyWaiters.push(check);
      };
      check();
    });
    return r;
  }

  private spawn(): Slot {
    const data: BatchWorkerData = { threads: this.threads, inlineOutputs: this.inlineOutputs };
    const worker = new Worker(requiredScript('batch/worker.js'), { workerData: data });
    const slot: Slot = { worker, state: 'starting' };
    worker.on('message', (m: FromBatchWorker) => this.onMessage(slot, m));
    worker.on('error', () => undefined); // reported through 'exit'
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private wake(): void {
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private onMessage(slot: Slot, m: FromBatchWorker): void {
    if (m.type === 'ready') {
      slot.state = 'idle';
      this.wake();
      this.pump();
    } else if (m.type === 'fatal') {
      this.broken = new RunnerBrokenError(`The worker threads could not load the models: ${m.error.message}`, m.error.hint);
      slot.state = 'dead';
      void slot.worker.terminate();
      this.failAll();
      this.wake();
    } else if (m.type === 'done') {
      const job = slot.job;
      slot.job = undefined;
      slot.state = 'idle';
      if (job && job.id === m.id) job.resolve(m.outcome);
      this.pump();
    }
  }

  private onExit(slot: Slot, code: number): void {
    const job = slot.job;
    slot.job = undefined;
    const wasDead = slot.state === 'dead';
    slot.state = 'dead';
    if (job) {
      job.resolve({
        ...cancelledOutcome(),
        error: {
          code: 'INTERNAL_ERROR',
          message: `The worker thread reconstructing this photo stopped unexpectedly (exit code ${code})`,
          hint: 'Run the batch again to retry it; if it keeps happening, report it with the photo.',
        },
      });
    }
    if (this.closing || wasDead) return;
    const i = this.slots.indexOf(slot);
    if (this.respawns < MAX_RESPAWNS) {
      this.respawns++;
      this.slots[i] = this.spawn();
    } else {
      this.broken ??= new RunnerBrokenError(`Worker threads keep exiting (last exit code ${code})`, 'Try fewer workers (--workers 1); report it if it keeps happening.');
      this.failAll();
      this.wake();
    }
  }

  private failAll(): void {
    if (!this.broken || this.slots.some((s) => s.state !== 'dead')) return;
    for (const p of this.queue.splice(0)) p.reject(this.broken);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.state !== 'idle') continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.state = 'busy';
      slot.job = job;
      slot.worker.postMessage({ type: 'run', id: job.id, task: job.task } satisfies ToBatchWorker);
    }
  }

  run(task: PhotoTask): Promise<PhotoOutcome> {
    if (this.broken && this.slots.every((s) => s.state === 'dead')) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.pump();
    });
  }

  cancelAll(): void {
    for (const p of this.queue.splice(0)) p.resolve(cancelledOutcome());
    for (const s of this.slots) if (s.job) s.worker.postMessage({ type: 'cancel', id: s.job.id } satisfies ToBatchWorker);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.state === 'dead') return;
        const exited = new Promise<void>((r) => s.worker.once('exit', () => r()));
        s.worker.postMessage({ type: 'dispose' } satisfies ToBatchWorker);
        await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 2000).unref())]);
        await s.worker.terminate();
      }),
    );
  }
}
