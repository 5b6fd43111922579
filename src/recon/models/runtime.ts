// onnxruntime-node sessions for the three models, created once and reused: the only place the engine
// touches the inference runtime.
import * as ort from 'onnxruntime-node';
import { ErrorCodes, ReconError } from '../errors.js';
import { BufferPool } from './buffer-pool.js';
import { ensureModel, MODEL_NAMES, type ModelFile, type ModelName } from './store.js';

export interface RuntimeOptions {
  /** Threads inside one inference (onnxruntime intra-op). Default 1: the daemon parallelises across photos. */
  threads?: number;
  /** Override of the converted-model cache folder. */
  cacheDir?: string;
}

export interface ModelOutputs {
  [name: string]: { data: Float32Array; dims: readonly number[] };
}

export class ModelRuntime {
  /** Model input buffers, reused across calls (see buffer-pool.ts). */
  readonly buffers = new BufferPool();

  private constructor(
    private readonly sessions: Map<ModelName, ort.InferenceSession>,
    readonly files: ReadonlyMap<ModelName, ModelFile>,
    readonly loadMs: number,
  ) {}

  static async load(options: RuntimeOptions = {}): Promise<ModelRuntime> {
    const t0 = performance.now();
    const threads = options.threads ?? 1;
    const sessions = new Map<ModelName, ort.InferenceSession>();
    const files = new Map<ModelName, ModelFile>();
    for (const name of MODEL_NAMES) {
      const file = ensureModel(name, options.cacheDir);
      files.set(name, file);
      try {
        sessions.set(
          name,
          await ort.InferenceSession.create(file.path, {
            intraOpNumThreads: threads,
            interOpNumThreads: 1,
            executionMode: 'sequential',
            graphOptimizationLevel: 'all',
          }),
        );
      } catch (e) {
        throw new ReconError(
          ErrorCodes.MODEL_UNAVAILABLE,
          `Could not load the converted ${name} model from ${file.path}: ${(e as Error).message}`,
          'Delete the model cache folder (it is rebuilt from the npm package) or run `npm run models`.',
          { path: file.path },
          e,
        );
      }
    }
    return new ModelRuntime(sessions, files, performance.now() - t0);
  }

  /** Run one model on an NHWC float32 batch. */
  async run(name: ModelName, data: Float32Array, shape: number[]): Promise<ModelOutputs> {
    const session = this.sessions.get(name)!;
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
    const results = await session.run(feeds);
    const out: ModelOutputs = {};
    for (const [k, t] of Object.entries(results)) out[k] = { data: t.data as Float32Array, dims: t.dims };
    return out;
  }

  versions(): Record<string, string> {
    const v: Record<string, string> = {};
    for (const [name, f] of this.files) v[name] = `@vladmandic/human@${f.sourceVersion} ${name} (onnx ${f.hash})`;
    return v;
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
  }
}
