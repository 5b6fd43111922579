// A worker thread: loads the models once, then reconstructs one job at a time into its folder. Inference and
// image work happen here, never on the daemon's event loop. A cancel message aborts the running job at the
// engine's next stage boundary (or between pieces of the file read); the pool terminates a worker that does
// not stop soon enough. Each job's folder is created here, new and private (0700): a folder or link already
// in its place fails the job rather than being written through.
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine, type Engine } from '../recon/reconstruct.js';
import { reconstructToFolder } from '../recon/folder.js';
import { warmUp } from '../recon/warmup.js';
import { ErrorCodes, ReconError, toReconError } from '../recon/errors.js';
import { makeDirSync } from '../util/fs.js';
import type { JobCompletedResult, Pose } from '../rpc/protocol.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-messages.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run as a worker thread');

const post = (m: FromWorker) => port.postMessage(m);
const running = new Map<string, AbortController>();

function summarise(dir: string, files: Record<string, string>, result: Record<string, unknown>): JobCompletedResult {
  const faces = (result.faces as Array<{ pose?: Pose }> | undefined) ?? [];
  const reconstructed = (result.reconstructed as number[] | undefined) ?? [];
  const first = reconstructed.length ? faces[reconstructed[0]] : undefined;
  const quality = result.quality as { verdict?: JobCompletedResult['verdict'] } | undefined;
  return {
    dir,
    files: Object.fromEntries(Object.entries(files).map(([kind, name]) => [kind, path.join(dir, name)])),
    ...(quality?.verdict ? { verdict: quality.verdict } : {}),
    pose: first?.pose ?? null,
    timings: (result.timings as Record<string, number>) ?? {},
    faces: faces.length,
    reconstructed,
  };
}

/** The job's folder, new and private; anything already at its path (a planted link) fails the job. */
function createJobFolder(dir: string): void {
  try {
    makeDirSync(path.dirname(dir), 0o700);
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ReconError(
      ErrorCodes.OUTPUT_NOT_WRITABLE,
      code === 'EEXIST' ? `The job folder ${dir} already exists; it is not written through` : `Cannot create the job folder ${dir}: ${code ?? String(e)}`,
      'Check the output root: nothing but the daemon should create folders there.',
      { dir },
    );
  }
}

async function run(engine: Engine, msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const controller = new AbortController();
  running.set(msg.jobId, controller);
  try {
    createJobFolder(msg.dir);
    const input = 'path' in msg.input ? msg.input.path : msg.input.data;
    const read = 'path' in msg.input ? { noFollow: msg.input.noFollow, within: msg.input.within } : undefined;
    const r = await reconstructToFolder(engine, input, msg.dir, {
      read,
      ...msg.options,
      signal: controller.signal,
      onProgress: (p) => post({ type: 'progress', jobId: msg.jobId, stage: p.stage, fraction: p.fraction }),
    });
    post({ type: 'completed', jobId: msg.jobId, result: summarise(r.dir, r.files, r.result as unknown as Record<string, unknown>) });
  } catch (e) {
    const err = toReconError(e);
    post({ type: 'failed', jobId: msg.jobId, error: err.toJSON(), wroteResult: fs.existsSync(path.join(msg.dir, 'result.json')) });
  } finally {
    running.delete(msg.jobId);
  }
}

async function main(): Promise<void> {
  const { threads } = workerData as WorkerData;
  let engine: Engine;
  try {
    engine = await createEngine({ threads });
    await warmUp(engine);
  } catch (e) {
    post({ type: 'fatal', error: toReconError(e).toJSON() });
    return;
  }
  port!.on('message', (msg: ToWorker) => {
    if (msg.type === 'run') void run(engine, msg);
    else if (msg.type === 'cancel') running.get(msg.jobId)?.abort();
    else if (msg.type === 'dispose') void engine.dispose().finally(() => port!.close());
  });
  post({ type: 'ready', loadMs: Math.round(engine.runtime.loadMs) });
}

void main();
