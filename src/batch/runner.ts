// A runner turns one photo into face folders inside a task folder: `<dir>/0/` for the largest (or only)
// face, `<dir>/1/`… for the others with `--faces all`, each with its result.json. Two runners: embedded
// (worker threads in this process, embedded.ts) and the running daemon (daemon-runner.ts); the run commits
// what they write (commit.ts). A remote runner (the queue, src/cluster) has the photo reconstructed and
// committed elsewhere and reports the committed state entry.
import type { PhotoWork } from './commit.js';
import type { FaceMode, EngineTaskOptions } from './options.js';
import type { ErrorInfo, PhotoOutcome } from './record.js';
import type { StateEntry } from './state.js';

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

/** What a remote runner reports for one photo. */
export type RemoteOutcome =
  /** Committed by a worker into the output folder (`reused`: it was already done, nothing was redone). */
  | { entry: StateEntry; reused: boolean }
  /** Nothing committed (the workers could not do it): a failed manifest line, tried again on the next run. */
  | { error: ErrorInfo }
  /** Left to the workers (the run was stopped): not in this run's manifest. */
  | { cancelled: true };

export interface RemoteWork extends PhotoWork {
  /** `face-N` names under this photo's name that other photos own (their folders are not this photo's). */
  ownedNames: string[];
}

export interface RemoteRunner {
  readonly kind: 'queue';
  readonly description: string;
  /** Photos handed to the workers at once. */
  readonly concurrency: number;
  process(work: RemoteWork): Promise<RemoteOutcome>;
  /** Stop waiting for the photos handed out (they resolve as cancelled; the workers keep them). */
  cancelAll(): void;
  close(): Promise<void>;
}

export function isRemote(r: Runner | RemoteRunner): r is RemoteRunner {
  return r.kind === 'queue';
}

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
