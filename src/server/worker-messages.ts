// The messages between the worker pool (main thread) and a worker thread: plain data, structured-cloned.
import type { ReconstructOptions } from '../rpc/protocol.js';
import type { EngineErrorJson } from '../rpc/errors.js';
import type { JobCompletedResult } from '../rpc/protocol.js';

/**
 * A photo by path or as bytes. `noFollow` / `within`: files from a watched folder, where anyone who can write
 * the folder could plant a link; such a path is refused if it is a link or leads outside `within`.
 */
export type WorkerInput = { path: string; noFollow?: boolean; within?: string } | { data: Uint8Array };

/** Main → worker. */
export type ToWorker =
  | { type: 'run'; jobId: string; input: WorkerInput; dir: string; options: ReconstructOptions }
  | { type: 'cancel'; jobId: string }
  | { type: 'dispose' };

/** Worker → main. */
export type FromWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'fatal'; error: EngineErrorJson }
  | { type: 'progress'; jobId: string; stage: string; fraction: number }
  | { type: 'completed'; jobId: string; result: JobCompletedResult }
  | { type: 'failed'; jobId: string; error: EngineErrorJson; wroteResult: boolean };

export interface WorkerData {
  /** onnxruntime intra-op threads per inference (the pool parallelises across photos). */
  threads: number;
}
