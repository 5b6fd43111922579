// A runner turns one photo into face folders inside a task folder: `<dir>/0/` for the largest (or only)
// face, `<dir>/1/`… for the others with `--faces all`, each with its result.json. Two runners: embedded
// (worker threads in this process, embedded.ts) and the running daemon (daemon-runner.ts).
import type { FaceMode, EngineTaskOptions } from './options.js';
import type { PhotoOutcome } from './record.js';

export interface PhotoTask {
  /** Absolute path of the photo. */
  abs: string;
  /** Empty folder the runner fills. */
  dir: string;
  options: EngineTaskOptions;
  faces: FaceMode;
}

export interface Runner {
  readonly kind: 'embedded' | 'daemon';
  /** For the start-up line: "2 worker threads", "the daemon at ws://…". */
  readonly description: string;
  /** Photos worth having in flight at once. */
  readonly concurrency: number;
  /**
   * Reconstruct one photo. A photo's own failure (no face, unreadable…) resolves with `outcome.error`; a
   * cancelled photo resolves with error code CANCELLED. Rejects only when the runner itself is broken
   * (the daemon went away, the models cannot load).
   */
  run(task: PhotoTask): Promise<PhotoOutcome>;
  /** Cancel every photo in flight (they resolve with CANCELLED). */
  cancelAll(): void;
  close(): Promise<void>;
}

export const CANCELLED = 'CANCELLED';

export function cancelledOutcome(ms = 0): PhotoOutcome {
  return {
    faces: null,
    image: null,
    timings: {},
    perFace: [],
    error: { code: CANCELLED, message: 'The photo was cancelled before it finished', hint: 'Run the batch again to finish it.' },
    ms,
  };
}

export class RunnerBrokenError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = 'RunnerBrokenError';
    this.hint = hint;
  }
}
