// result.read's path check: a client names a file by its path relative to one job's folder, and gets it only
// if it really is inside that folder: no absolute paths, no `..`, no symlink leading out, regular files only.
import fs from 'node:fs/promises';
import path from 'node:path';
import { RpcError } from '../rpc/errors.js';
import { isAbsolutePath } from '../rpc/protocol.js';

function notAllowed(rel: string, why: string): RpcError {
  return RpcError.of('PATH_NOT_ALLOWED', `Expected a file inside the job folder for path but received ${JSON.stringify(rel)} (${why})`);
}

function inside(dir: string, p: string): boolean {
  return p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** Absolute path of `rel` inside `jobDir`, or PATH_NOT_ALLOWED / JOB_NOT_FOUND. */
export async function resolveJobFile(jobDir: string, jobId: string, rel: string, maxBytes: number): Promise<{ file: string; size: number }> {
  if (isAbsolutePath(rel) || path.isAbsolute(rel)) throw notAllowed(rel, 'absolute paths are refused');
  if (rel.includes('\0') || rel.includes('\\')) throw notAllowed(rel, 'NUL and backslash are refused');
  if (rel.split('/').includes('..')) throw notAllowed(rel, '".." is refused');
  const file = path.resolve(jobDir, rel);
  if (!inside(jobDir, file)) throw notAllowed(rel, 'outside the job folder');

  let realDir: string;
  try {
    realDir = await fs.realpath(jobDir);
  } catch {
    throw RpcError.of('JOB_NOT_FOUND', `Job ${jobId} has no output folder`, { jobId });
  }
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch {
    throw RpcError.of('PATH_NOT_ALLOWED', `Job ${jobId} has no file ${JSON.stringify(rel)}`, {
      hint: 'Use a file name from job.completed\'s result.files, e.g. "result.json".',
    });
  }
  if (!inside(realDir, real)) throw notAllowed(rel, 'it links outside the job folder');
  const st = await fs.stat(real);
  if (!st.isFile()) throw notAllowed(rel, 'not a regular file');
  if (st.size > maxBytes) {
    throw RpcError.of('REQUEST_FAILED', `${rel} is ${st.size} bytes; result.read returns files up to ${maxBytes} bytes`, {
      code: 'FILE_TOO_LARGE',
      hint: 'Read the file from disk (result.files holds its absolute path) when the daemon runs on the same machine.',
    });
  }
  return { file: real, size: st.size };
}
