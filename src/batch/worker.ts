// A batch worker thread: loads the models once (onnxruntime with one intra-op thread: the pool parallelises
// across photos, not inside one) and warms up on the bundled example photo, then reconstructs one photo at a
// time into its task folder with the same reconstructToFolder the CLI and the daemon use.
//
// `--faces all` runs the engine once with every face, then writes one folder per face from that single
// result (an engine wrapper hands reconstructToFolder the shared result with one face chosen), so a group
// photo costs one detection and landmark pass, not one per face.
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { toReconError } from '../recon/errors.js';
import { reconstructToFolder, type FolderOptions } from '../recon/folder.js';
import { setOutputThreads } from '../recon/outputs/threading.js';
import { createEngine, type Engine } from '../recon/reconstruct.js';
import { warmUp } from '../recon/warmup.js';
import { summariseFolder, type FaceSummary, type PhotoOutcome } from './record.js';
import type { PhotoTask } from './runner.js';

export interface BatchWorkerData {
  /** onnxruntime intra-op threads per inference. */
  threads: number;
  /** Write each photo's outputs on this thread alone (threading.ts): when the workers already fill the cores. */
  inlineOutputs: boolean;
}

export type ToBatchWorker = { type: 'run'; id: number; task: PhotoTask } | { type: 'cancel'; id: number } | { type: 'dispose' };
export type FromBatchWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'fatal'; error: { code: string; message: string; hint: string } }
  | { type: 'done'; id: number; outcome: PhotoOutcome };

type EngineResult = Awaited<ReturnType<Engine['reconstruct']>>;

/** An engine whose reconstruct() returns a result computed earlier (or throws the error it raised). */
function replay(engine: Engine, result: EngineResult | undefined, error: unknown): Engine {
  return {
    runtime: engine.runtime,
    dispose: async () => undefined,
    reconstruct: async () => {
      if (error !== undefined || !result) throw error;
      return result;
    },
  };
}

export async function runTask(engine: Engine, task: PhotoTask, signal: AbortSignal): Promise<PhotoOutcome> {
  const t0 = performance.now();
  const options: FolderOptions = { ...task.options, signal };
  const folder = (i: number) => path.join(task.dir, String(i));
  let error: PhotoOutcome['error'];
  try {
    if (task.faces === 'largest') {
      await reconstructToFolder(engine, task.abs, folder(0), { ...options, faces: 'largest' });
    } else {
      let r: EngineResult | undefined;
      let failure: unknown;
      try {
        r = await engine.reconstruct(task.abs, { faces: 'all', maxPixels: task.options.maxPixels, signal });
      } catch (e) {
        failure = e;
      }
      if (failure !== undefined || !r || !r.faces.length) {
        // The folder writer turns the failure (or "no face") into its result.json, then throws.
        await reconstructToFolder(replay(engine, r, failure), task.abs, folder(0), { ...options, faces: 'largest' });
      } else {
        for (let i = 0; i < r.reconstructed.length; i++) {
          const k = r.reconstructed[i];
          // Each face gets its own copy of the mutable parts (the folder writer adds its timings).
          const one: EngineResult = { ...r, reconstructed: [k], timings: { ...r.timings } };
          await reconstructToFolder(replay(engine, one, undefined), task.abs, folder(i), { ...options, faces: k });
        }
      }
    }
  } catch (e) {
    const err = toReconError(e);
    error = { code: err.code, message: err.message, hint: err.hint };
  }
  const perFace: FaceSummary[] = [];
  let first: Awaited<ReturnType<typeof summariseFolder>>;
  for (let i = 0; ; i++) {
    const s = await summariseFolder(folder(i), i);
    if (!s) break;
    if (i === 0) first = s;
    perFace.push({ face: s.face, verdict: s.verdict, codes: s.codes, pose: s.pose, faceSize: s.faceSize, files: s.files });
  }
  return {
    faces: first?.faces ?? (error?.code === 'NO_FACE' ? 0 : null),
    image: first?.image ?? null,
    timings: first?.timings ?? {},
    perFace,
    ...(error ? { error } : {}),
    ms: performance.now() - t0,
  };
}

async function main(): Promise<void> {
  const port = parentPort!;
  const post = (m: FromBatchWorker) => port.postMessage(m);
  const { threads, inlineOutputs } = workerData as BatchWorkerData;
  // With a worker per core (the default) the helpers of 'spread' outputs have no free core to use: each
  // photo's outputs then stay on this thread, which saves a V8 heap per worker (threading.ts).
  if (inlineOutputs) setOutputThreads('inline');
  let engine: Engine;
  const t = performance.now();
  try {
    engine = await createEngine({ threads });
    // As the daemon's workers do: the first photo in a thread pays ~0.3–1 s of JIT compilation and one-off
    // set-up (the first photos of a batch measured 300–950 ms each instead of ~80), which would also make
    // the progress bar's first rates and ETAs wrong. Paid here, once, while the other workers load.
    await warmUp(engine);
  } catch (e) {
    const err = toReconError(e);
    post({ type: 'fatal', error: { code: err.code, message: err.message, hint: err.hint } });
    return;
  }
  const running = new Map<number, AbortController>();
  port.on('message', (m: ToBatchWorker) => {
    if (m.type === 'run') {
      const c = new AbortController();
      running.set(m.id, c);
      void runTask(engine, m.task, c.signal).then((outcome) => {
        running.delete(m.id);
        post({ type: 'done', id: m.id, outcome });
      });
    } else if (m.type === 'cancel') running.get(m.id)?.abort();
    else if (m.type === 'dispose') void engine.dispose().finally(() => port.close());
  });
  post({ type: 'ready', loadMs: Math.round(performance.now() - t) });
}

if (parentPort) void main();
