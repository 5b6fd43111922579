// One table of engine error codes. Every failure the engine reports is a ReconError with a stable string
// code, a message saying what was expected and what was received, and a hint saying what the user can do.
// The daemon maps these onto JSON-RPC errors (`data: {code, hint}`); the CLI prints message and hint.

import path from 'node:path';

export const ErrorCodes = {
  IMAGE_DECODE_FAILED: 'IMAGE_DECODE_FAILED',
  UNSUPPORTED_FORMAT: 'UNSUPPORTED_FORMAT',
  IMAGE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  NO_FACE: 'NO_FACE',
  FACE_INDEX_OUT_OF_RANGE: 'FACE_INDEX_OUT_OF_RANGE',
  INVALID_OPTION: 'INVALID_OPTION',
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
  CANCELLED: 'CANCELLED',
  OUTPUT_NOT_WRITABLE: 'OUTPUT_NOT_WRITABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class ReconError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, hint: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ReconError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, hint: this.hint, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isReconError(e: unknown): e is ReconError {
  return e instanceof ReconError;
}

/** Wrap anything thrown into a ReconError so unknown exceptions never leak raw to users. */
export function toReconError(e: unknown): ReconError {
  if (e instanceof ReconError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ReconError(
    ErrorCodes.INTERNAL_ERROR,
    `Internal error: ${message}`,
    'This is a bug in recon-daemon; please report it with the photo if you can share it.',
    undefined,
    e,
  );
}

const OUTPUT_FS_HINTS: Record<string, string> = {
  ENOTDIR: 'A file is in the way of the output folder: choose another output folder or move the file.',
  EEXIST: 'A file is in the way of the output folder: choose another output folder or move the file.',
  EISDIR: 'A folder has the name of an output file: remove it or choose another output folder.',
  EACCES: 'Choose an output folder you can write to, or fix its permissions.',
  EPERM: 'Choose an output folder you can write to, or fix its permissions.',
  EROFS: 'The output folder is on a read-only file system: choose another one.',
  ENOSPC: 'The disk is full: free some space or choose an output folder on another disk.',
  EDQUOT: 'The disk quota is used up: free some space or choose an output folder on another disk.',
  ENAMETOOLONG: 'Choose an output folder with a shorter path.',
  ENOENT: 'The output folder cannot be created there (that place takes no new folders): choose another output folder.',
};

/**
 * A file-system error met while writing the outputs under `dir` → OUTPUT_NOT_WRITABLE with a hint; anything
 * else unchanged. Only errors whose path lies under `dir` qualify, so a problem with the input is never
 * reported as one with the output.
 */
export function outputWriteError(e: unknown, dir: string): unknown {
  const err = e as NodeJS.ErrnoException;
  const hint = typeof err?.code === 'string' ? OUTPUT_FS_HINTS[err.code] : undefined;
  if (!hint || typeof err.path !== 'string' || !isUnder(err.path, dir)) return e;
  return new ReconError(ErrorCodes.OUTPUT_NOT_WRITABLE, `Cannot write the outputs to ${dir}: ${err.code} (${err.syscall ?? 'write'} ${err.path})`, hint, { path: err.path, errno: err.code }, e);
}

function isUnder(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  // The folder itself, something inside it, or a parent that mkdir had to create on the way to it.
  return rel === '' || !rel.startsWith('..') || path.resolve(dir).startsWith(path.resolve(file) + path.sep);
}

/** "Expected integer 128–1024 for size but received 2000" — one wording for every bad option. */
export function invalidOption(name: string, expected: string, actual: unknown): ReconError {
  return new ReconError(
    ErrorCodes.INVALID_OPTION,
    `Expected ${expected} for ${name} but received ${describe(actual)}`,
    `Pass ${name} as ${expected}.`,
    { option: name },
  );
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new ReconError(ErrorCodes.CANCELLED, 'The reconstruction was cancelled', 'Start it again if you still need it.');
  }
}
