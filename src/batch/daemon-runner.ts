// The daemon runner: photos go to the running daemon by path (`recon.reconstruct`), so every one of its
// workers is used and no model is loaded here. The daemon writes each job under its own output root; the
// finished job folder is then moved (renamed; copied when on another file system) into the task folder, so
// a batch of 10 000 photos does not leave 10 000 job folders behind in the daemon's root.
//
// `--faces all`: the first job reconstructs the largest face; a photo with more faces then gets one job per
// face (faces: 0, 1, …), which replace the first.
//
// The jobs go through a DaemonJobs: a WebSocket client (here), or the daemon's own job manager when the daemon
// itself consumes a queue (src/cluster/daemon-consumer.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReconClient } from '../client/client.js';
import { RpcError } from '../rpc/errors.js';
import { JobCancel, type ReconstructOptions } from '../rpc/protocol.js';
import { summariseFolder, type FaceSummary, type PhotoOutcome } from './record.js';
import { RunnerBrokenError, type PhotoTask, type Runner } from './runner.js';
import { makeDir } from '../util/fs.js';

const BUSY_RETRY_MS = 250;

/** Where the daemon runner's jobs go. */
export interface DaemonJobs {
  /** "the daemon at ws://…". */
  readonly where: string;
  readonly workers: number;
  readonly maxQueue: number;
  /**
   * Reconstruct one photo by path into a job folder; resolves with that folder. Rejects with an RpcError: before
   * `onJobId` when refused at submission (SERVER_BUSY…), after it when the job failed (`data.dir`: a folder
   * with the result.json that says why).
   */
  reconstruct(abs: string, options: ReconstructOptions, onJobId: (jobId: string) => void): Promise<{ dir: string }>;
  cancel(jobId: string): void;
  /** Called once if the jobs can no longer be reached (the connection closed). */
  onBroken(listener: (e: RunnerBrokenError) => void): void;
  close(): Promise<void>;
}

/** DaemonJobs over a WebSocket client of the running daemon. */
export function clientJobs(client: ReconClient, url: string): DaemonJobs {
  return {
    where: `the daemon at ${url}`,
    get workers() {
      return client.initializeResult?.capabilities.workers ?? 1;
    },
    get maxQueue() {
      return client.initializeResult?.capabilities.limits.maxQueue ?? 100;
    },
    reconstruct: (abs, options, onJobId) => client.reconstruct({ path: abs }, options, { onJobId }),
    cancel: (jobId) => void client.request(JobCancel.method, { jobId }).catch(() => undefined),
    onBroken: (listener) =>
      client.onClose((code) =>
        listener(new RunnerBrokenError(`The connection to the daemon closed (${code})`, 'Start the daemon again (`recon-daemon start`) and rerun the batch: it resumes where it stopped.')),
      ),
    close: () => client.close(),
  };
}

export class DaemonRunner implements Runner {
  readonly kind = 'daemon' as const;
  private readonly jobs = new Set<string>();
  private broken: RunnerBrokenError | undefined;
  private readonly daemon: DaemonJobs;

  constructor(client: ReconClient | DaemonJobs, url = '') {
    this.daemon = 'reconstruct' in client && 'where' in client ? client : clientJobs(client, url);
    this.daemon.onBroken((e) => (this.broken ??= e));
  }

  get workers(): number {
    return this.daemon.workers;
  }

  get description(): string {
    return `${this.daemon.where} (${this.workers} worker${this.workers === 1 ? '' : 's'})`;
  }

  /** Two photos per daemon worker, within the daemon's queue limit. */
  get concurrency(): number {
    return Math.max(1, Math.min(this.workers * 2, this.workers + this.daemon.maxQueue));
  }

  private async job(abs: string, options: ReconstructOptions, dest: string): Promise<RpcError | undefined> {
    for (;;) {
      if (this.broken) throw this.broken;
      let jobId: string | undefined;
      try {
        const r = await this.daemon.reconstruct(abs, options, (id) => {
          jobId = id;
          this.jobs.add(id);
        });
        await moveFolder(r.dir, dest);
        return undefined;
      } catch (e) {
        if (!(e instanceof RpcError)) throw e;
        if (jobId === undefined) {
          // Refused at submission: a full queue is worth waiting for; anything else is the runner's problem.
          if (e.data.code === 'SERVER_BUSY') {
            await new Promise((r) => setTimeout(r, BUSY_RETRY_MS));
            continue;
          }
          if (this.broken) throw this.broken;
          throw new RunnerBrokenError(`The daemon refused the photo: ${e.message}`, e.data.hint);
        }
        const failedDir = (e.data as { dir?: unknown }).dir;
        if (typeof failedDir === 'string') await moveFolder(failedDir, dest).catch(() => undefined);
        if (e.data.code === 'INTERNAL_ERROR' && this.broken) throw this.broken;
        return e;
      } finally {
        if (jobId !== undefined) this.jobs.delete(jobId);
      }
    }
  }

  async run(task: PhotoTask): Promise<PhotoOutcome> {
    const t0 = performance.now();
    const base: ReconstructOptions = {
      outputs: task.options.outputs,
      ...(task.options.size !== undefined ? { size: task.options.size } : {}),
      ...(task.options.detail !== undefined ? { detail: task.options.detail } : {}),
      ...(task.options.view !== undefined ? { view: task.options.view } : {}),
      ...(task.options.subdivisions !== undefined ? { subdivisions: task.options.subdivisions } : {}),
      ...(task.options.force ? { force: true } : {}),
      ...(task.options.maxPixels !== undefined ? { maxPixels: task.options.maxPixels } : {}),
    };
    const folder = (i: number) => path.join(task.dir, String(i));
    let err = await this.job(task.abs, { ...base, faces: 'largest' }, folder(0));
    let first = await summariseFolder(folder(0));
    if (!err && task.faces === 'all' && first && (first.faces ?? 0) > 1) {
      const n = first.faces!;
      await fs.rm(folder(0), { recursive: true, force: true });
      const errors = await Promise.all(Array.from({ length: n }, (_, k) => this.job(task.abs, { ...base, faces: k }, folder(k))));
      err = errors.find((e) => e !== undefined);
      first = await summariseFolder(folder(0));
    }
    const perFace: FaceSummary[] = [];
    for (let i = 0; ; i++) {
      const s = i === 0 ? first : await summariseFolder(folder(i), i);
      if (!s) break;
      perFace.push({ face: s.face, verdict: s.verdict, codes: s.codes, pose: s.pose, faceSize: s.faceSize, files: s.files });
    }
    const code = err ? (err.data.code === 'REQUEST_CANCELLED' ? 'CANCELLED' : err.data.code) : undefined;
    return {
      faces: first?.faces ?? (code === 'NO_FACE' ? 0 : null),
      image: first?.image ?? null,
      timings: first?.timings ?? {},
      perFace,
      ...(err ? { error: { code: code!, message: err.message, hint: err.data.hint } } : {}),
      ms: performance.now() - t0,
    };
  }

  cancelAll(): void {
    for (const jobId of this.jobs) this.daemon.cancel(jobId);
  }

  async close(): Promise<void> {
    await this.daemon.close();
  }
}

/** Move a folder's files into `dest` (created), renaming when possible; the source folder is removed. */
export async function moveFolder(from: string, dest: string): Promise<void> {
  await makeDir(path.dirname(dest));
  try {
    await fs.rename(from, dest);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw e;
  }
  await fs.cp(from, dest, { recursive: true });
  await fs.rm(from, { recursive: true, force: true });
}
