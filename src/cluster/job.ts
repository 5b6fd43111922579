// What travels through Redis: one job per photo, described by paths on the shared storage, never its bytes;
// and, back, the photo's manifest line inside its state entry. Workers check every job before acting on it: a
// job names the files a worker will write, so a malformed one is refused, not half-followed.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { optionsKey, resolveBatchOptions, type BatchOptions } from '../batch/options.js';
import type { ErrorInfo } from '../batch/record.js';
import type { StateEntry } from '../batch/state.js';

export const JOB_VERSION = 1;
/** BullMQ job name of a photo. */
export const PHOTO_JOB = 'photo';

export interface PhotoJobData {
  v: typeof JOB_VERSION;
  /** The batch's output folder (absolute, on storage every worker sees at the same path). */
  outDir: string;
  /** The photo's path relative to the input root (its manifest key). */
  source: string;
  /** Absolute path of the photo (on the shared storage). */
  abs: string;
  /** SHA-256 of the photo when it was queued. */
  sha256: string;
  /** Its name in the layout, given by the producer (layout.ts). */
  name: string;
  options: BatchOptions;
  optionsKey: string;
  /** `face-N` names under `name` owned by other photos. */
  ownedNames?: string[];
  /** `--redo`: redo even a photo already done (but never twice for the same job). */
  redo?: boolean;
  /** recon-daemon version of the producer (a worker of another version says so). */
  version: string;
  producer: { host: string; pid: number };
}

/** A job's return value. */
export type PhotoJobResult =
  /** Committed (reused: it was done already, by an earlier run or a twin of this job). */
  | { entry: StateEntry; reused: boolean; worker: string }
  /** Nothing committed: the file could not be read there. */
  | { error: ErrorInfo; worker: string };

/** Where a worker writes a photo before committing it (same file system as the outputs: renames are atomic). */
export const QUEUE_TMP = 'queue-tmp';

/**
 * The job id: the idempotency key of "this photo's bytes, with these options, into this output folder". Adding
 * a job whose id exists is a no-op, so a restarted producer re-attaches to jobs already queued instead of
 * doubling them. `--redo` adds a per-run nonce.
 */
export function photoJobId(outDir: string, source: string, sha256: string, key: string, nonce = ''): string {
  const h = createHash('sha256').update([outDir, source, sha256, key, nonce].join('\0')).digest('hex').slice(0, 40);
  // BullMQ ids may not be integers nor contain ":".
  return `p-${h}`;
}

/** Key of the photo's commit lock: one per output folder and source, whatever its content or options. */
export function commitLockId(outDir: string, source: string): string {
  return createHash('sha256').update(`${outDir}\0${source}`).digest('hex').slice(0, 32);
}

export function workerId(kind = 'worker'): string {
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60) || 'host';
  return `${host}-${process.pid}${kind === 'worker' ? '' : `-${kind}`}`;
}

/** A relative path with "/" separators that stays inside the folder it is relative to. */
const insidePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !path.posix.isAbsolute(p) && !p.split('/').includes('..') && !p.includes('\0') && !p.includes('\\'), 'a relative path without ".."');

const absPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'an absolute path');

const JobSchema = z.object({
  v: z.literal(JOB_VERSION),
  outDir: absPath,
  source: insidePath,
  abs: absPath,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  name: insidePath,
  options: z.record(z.string(), z.unknown()),
  optionsKey: z.string().regex(/^[0-9a-f]{16}$/),
  ownedNames: z.array(insidePath).max(10_000).optional(),
  redo: z.boolean().optional(),
  version: z.string().max(64),
  producer: z.object({ host: z.string().max(255), pid: z.number().int() }),
});

export class MalformedJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedJobError';
  }
}

/** Check a job's data; its options are validated as the producer's were, and must give the same key. */
export function parsePhotoJob(data: unknown): PhotoJobData {
  const r = JobSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MalformedJobError(`Malformed photo job: ${issue ? `${issue.path.join('.') || 'data'}: ${issue.message}` : 'unreadable'}`);
  }
  let options: BatchOptions;
  try {
    options = resolveBatchOptions(r.data.options as Partial<BatchOptions>);
  } catch (e) {
    throw new MalformedJobError(`Malformed photo job: options: ${(e as Error).message}`);
  }
  if (optionsKey(options) !== r.data.optionsKey) {
    throw new MalformedJobError('Malformed photo job: its options do not give its options key (a producer of another recon-daemon version?)');
  }
  return { ...r.data, options } as PhotoJobData;
}
