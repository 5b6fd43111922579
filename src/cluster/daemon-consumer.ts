// `recon-daemon start --queue redis://…`: the daemon takes photos from a queue too, with its own warm workers.
// The photos become ordinary jobs of its job manager (a client id of their own, `queue:<name>`), so they share
// the workers, limits and notifications with editor clients; the daemon runner's logic (src/batch/daemon-runner.ts)
// turns them into face folders, and the queue consumer (consumer.ts) commits them into the batch's output folder.
//
// The daemon starts even when Redis cannot be reached: the consumer connects in the background, retrying with
// backoff, and daemon.status says where it stands (`queueConsumer`).
import { DaemonRunner, type DaemonJobs } from '../batch/daemon-runner.js';
import type { RunnerBrokenError } from '../batch/runner.js';
import { RpcError } from '../rpc/errors.js';
import { JobCompleted, JobFailed, type QueueConsumerStatus, type ReconstructOptions } from '../rpc/protocol.js';
import type { Job, JobManager, JobNotification } from '../server/jobs.js';
import type { Logger } from '../server/log.js';
import type { QueueConnection } from './connection.js';
import { QueueConsumer } from './consumer.js';
import { QueueError } from './errors.js';
import { workerId } from './job.js';
import { exposureWarning, parseQueueTarget, type QueueTarget } from './target.js';

export interface DaemonQueueOptions {
  url: string;
  name: string;
}

export interface DaemonConsumerDeps {
  jobs: JobManager;
  workers: number;
  maxQueue: number;
  maxPixels: number;
  log: Logger;
}

/** DaemonJobs straight into this daemon's job manager. */
class InProcessJobs implements DaemonJobs {
  readonly where = 'this daemon';
  private readonly waiting = new Map<string, { resolve: (r: { dir: string }) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly deps: DaemonConsumerDeps,
    private readonly clientId: string,
  ) {}

  get workers(): number {
    return this.deps.workers;
  }

  get maxQueue(): number {
    return this.deps.maxQueue;
  }

  async reconstruct(abs: string, options: ReconstructOptions, onJobId: (jobId: string) => void): Promise<{ dir: string }> {
    // As recon.reconstruct does: never more pixels than this daemon allows.
    const maxPixels = Math.min(options.maxPixels ?? this.deps.maxPixels, this.deps.maxPixels);
    const job = this.deps.jobs.submit(this.clientId, { path: abs }, { ...options, maxPixels });
    const done = new Promise<{ dir: string }>((resolve, reject) => this.waiting.set(job.id, { resolve, reject }));
    onJobId(job.id);
    return done;
  }

  cancel(jobId: string): void {
    try {
      this.deps.jobs.cancel(jobId);
    } catch {
      // finished meanwhile
    }
  }

  onBroken(_listener: (e: RunnerBrokenError) => void): void {
    // In-process: never unreachable.
  }

  async close(): Promise<void> {}

  /** Every job notification of the daemon passes here; the ends of our jobs settle their photos. */
  onJob(job: Job, n: JobNotification): void {
    const w = this.waiting.get(job.id);
    if (!w) return;
    if (n.method === JobCompleted.method) {
      this.waiting.delete(job.id);
      w.resolve({ dir: n.params.result.dir });
    } else if (n.method === JobFailed.method) {
      this.waiting.delete(job.id);
      const e = n.params.error;
      w.reject(new RpcError(e.code, e.message, { ...e.data, ...(n.params.dir ? { dir: n.params.dir } : {}) }));
    }
  }
}

export class DaemonQueueConsumer {
  private consumer: QueueConsumer | undefined;
  private connection: QueueConnection | undefined;
  private startError: QueueError | undefined;
  private closed = false;
  private readonly starting: Promise<void>;
  private readonly jobsIn: InProcessJobs;
  private readonly runner: DaemonRunner;
  private readonly worker = workerId('daemon');
  private readonly abort = new AbortController();

  private constructor(
    private readonly target: QueueTarget,
    private readonly deps: DaemonConsumerDeps,
  ) {
    this.jobsIn = new InProcessJobs(deps, `queue:${target.name}`);
    this.runner = new DaemonRunner(this.jobsIn);
    const log = (line: string) => {
      for (const l of line.split('\n')) deps.log.warn(l, { queue: target.display, queueName: target.name });
    };
    const exposed = exposureWarning(target);
    if (exposed) log(exposed);
    this.starting = QueueConsumer.start({
      target,
      runner: this.runner,
      concurrency: deps.workers + 1,
      workerName: this.worker,
      log,
      signal: this.abort.signal,
      onConnection: (c) => {
        this.connection = c;
        c.onChange((state) => {
          const e = c.lastError;
          if (state === 'failed' && e && !this.closed) deps.log.error('cannot take photos from the queue', { queue: target.display, code: e.code, error: e.detail, hint: e.hint });
        });
      },
      onPhoto: (p) => deps.log.info('queue photo', { source: p.source, outDir: p.outDir, status: p.record.status, reused: p.reused, ms: Math.round(p.ms) }),
    }).then(
      async (c) => {
        this.consumer = c;
        deps.log.info('taking photos from a queue', { queue: target.display, queueName: target.name, worker: this.worker });
        if (this.closed) await c.close(0);
      },
      (e: unknown) => {
        if (this.closed) return;
        // (A failed connection was logged as it failed.)
        this.startError = e instanceof QueueError ? e : new QueueError('QUEUE_ERROR', (e as Error).message, 'See the daemon log.');
      },
    );
  }

  /** Checks the URL now (a bad one stops the daemon's start); connects in the background. */
  static start(o: DaemonQueueOptions, deps: DaemonConsumerDeps): DaemonQueueConsumer {
    return new DaemonQueueConsumer(parseQueueTarget(o.url, o.name), deps);
  }

  onJob(job: Job, n: JobNotification): void {
    this.jobsIn.onJob(job, n);
  }

  status(): QueueConsumerStatus {
    if (this.consumer) return this.consumer.stats();
    // Not connected yet: where the connection stands (down, with why, while Redis cannot be reached).
    const error = this.startError ?? this.connection?.lastError;
    return {
      queue: this.target.display,
      queueName: this.target.name,
      worker: this.worker,
      connection: this.startError ? 'failed' : (this.connection?.state ?? 'connecting'),
      active: 0,
      completed: 0,
      failed: 0,
      handedBack: 0,
      ...(error ? { error: error.toJSON() } : {}),
    };
  }

  /** At shutdown: no new photos; those in progress finish within graceMs, the rest go back to the queue. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    // Still connecting (Redis unreachable since start): stop trying.
    if (!this.consumer) this.abort.abort();
    await this.starting;
    await this.consumer?.close(graceMs);
  }
}
