// Job files for result.read and the page's /jobs/ URLs: a client names a file by its path relative to one job's folder, and gets it only
// if it really is inside that folder: no absolute paths, no `..`, regular files only, and no symlink anywhere
// leading out — neither a link planted in the folder nor a link planted in the output root in place of a
// job folder. The file is opened without following a final symlink, checked on the open descriptor (what it
// is, where it is, its size), and read to exactly that size, so a file swapped in between cannot change what
// is read or how much.
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

function jobNotFound(jobId: string): RpcError {
  return RpcError.of('JOB_NOT_FOUND', `No job with id ${JSON.stringify(jobId)}`, { jobId });
}

/** Where an open descriptor really points (Linux); undefined where the system cannot say. */
async function openedPath(fd: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  return fs.readlink(`/proc/self/fd/${fd}`).catch(() => undefined);
}

export interface OpenedJobFile {
  handle: fs.FileHandle;
  /** Its size when opened: read this much, never more. */
  size: number;
}

export interface JobFileRead {
  size: number;
  bytes: Buffer;
}

/**
 * The real path of the job folder `<outputRoot>/<jobId>`: a real folder directly in the (real) output root,
 * never a link to elsewhere (a link planted in the output root is not a job). JOB_NOT_FOUND / PATH_NOT_ALLOWED.
 */
export async function realJobDir(outputRoot: string, jobId: string, rel = ''): Promise<string> {
  const jobDir = path.join(outputRoot, jobId);
  const st = await fs.lstat(jobDir).catch(() => undefined);
  if (!st) throw jobNotFound(jobId);
  if (st.isSymbolicLink()) throw notAllowed(rel, 'the job folder is a symbolic link');
  if (!st.isDirectory()) throw jobNotFound(jobId);
  try {
    const realDir = await fs.realpath(jobDir);
    if (realDir !== path.join(await fs.realpath(outputRoot), jobId)) throw notAllowed(rel, 'the job folder is not in the output root');
    return realDir;
  } catch (e) {
    if (e instanceof RpcError) throw e;
    throw jobNotFound(jobId);
  }
}

/** Refuse names that are not plain relative paths inside a folder. */
function checkRelative(rel: string): void {
  if (isAbsolutePath(rel) || path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) throw notAllowed(rel, 'absolute paths are refused');
  if (rel.includes('\0') || rel.includes('\\')) throw notAllowed(rel, 'NUL and backslash are refused');
  if (rel.split('/').includes('..')) throw notAllowed(rel, '".." is refused');
}

/**
 * Open `rel` inside the job folder `<outputRoot>/<jobId>` for reading: PATH_NOT_ALLOWED / JOB_NOT_FOUND /
 * FILE_TOO_LARGE otherwise. The caller closes the handle.
 */
export async function openJobFile(outputRoot: string, jobId: string, rel: string, maxBytes: number): Promise<OpenedJobFile> {
  checkRelative(rel);
  const jobDir = path.join(outputRoot, jobId);
  const file = path.resolve(jobDir, rel);
  if (!inside(jobDir, file)) throw notAllowed(rel, 'outside the job folder');
  const realDir = await realJobDir(outputRoot, jobId, rel);

  let real: string;
  try {
    real = await fs.realpath(file);
  } catch {
    throw RpcError.of('PATH_NOT_ALLOWED', `Job ${jobId} has no file ${JSON.stringify(rel)}`, {
      hint: 'Use a file name from job.completed\'s result.files, e.g. "result.json".',
    });
  }
  if (!inside(realDir, real)) throw notAllowed(rel, 'it links outside the job folder');

  let handle: fs.FileHandle;
  try {
    handle = await fs.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    throw notAllowed(rel, 'it cannot be opened as a file');
  }
  try {
    const opened = await openedPath(handle.fd);
    if (opened !== undefined && !inside(realDir, opened)) throw notAllowed(rel, 'it links outside the job folder');
    const fst = await handle.stat();
    if (!fst.isFile()) throw notAllowed(rel, 'not a regular file');
    if (fst.size > maxBytes) {
      throw RpcError.of('REQUEST_FAILED', `${rel} is ${fst.size} bytes; result.read returns files up to ${maxBytes} bytes`, {
        code: 'FILE_TOO_LARGE',
        hint: 'Read the file from disk (result.files holds its absolute path) when the daemon runs on the same machine.',
      });
    }
    return { handle, size: fst.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * The bytes of `rel` inside the job folder `<outputRoot>/<jobId>` (see openJobFile). `admit(size)` is asked
 * before any byte is read; it throws to refuse.
 */
export async function readJobFile(outputRoot: string, jobId: string, rel: string, maxBytes: number, admit: (size: number) => void): Promise<JobFileRead> {
  const { handle, size } = await openJobFile(outputRoot, jobId, rel, maxBytes);
  try {
    admit(size);
    const bytes = Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(bytes, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    // A file that shrank since its size was taken is returned as it is now, never read past its size.
    return { size: at, bytes: at === size ? bytes : bytes.subarray(0, at) };
  } finally {
    await handle.close();
  }
}
