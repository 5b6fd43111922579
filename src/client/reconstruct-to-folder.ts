// `reconstruct` through a running daemon, with the embedded CLI's result: the daemon writes the job folder
// under its own output root (clients never choose where it writes), and this copies that folder to the
// folder the user asked for. Same machine only (the photo goes by path, the outputs come back by path).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReconstructOptions } from '../rpc/protocol.js';
import type { ReconClient } from './client.js';
import { makeDir } from '../util/fs.js';

export interface DaemonFolderResult {
  jobId: string;
  /** The folder written (`dir`), with result.json. */
  dir: string;
  /** Output kind → file name inside `dir` (like reconstructToFolder's `files`). */
  files: Record<string, string>;
}

/**
 * Reconstruct `file` on the daemon and copy its outputs into `dir`. Rejects with the job's RpcError
 * (data.code NO_FACE, IMAGE_DECODE_FAILED…); for failures that leave a result.json, that is copied too.
 */
export async function reconstructToFolderViaDaemon(
  client: ReconClient,
  file: string,
  dir: string,
  options: ReconstructOptions = {},
  onProgress?: (stage: string, fraction: number) => void,
): Promise<DaemonFolderResult> {
  let jobId = '';
  try {
    const r = await client.reconstruct({ path: path.resolve(file) }, options, {
      onJobId: (id) => (jobId = id),
      onProgress: (p) => onProgress?.(p.stage, p.fraction),
    });
    await copyFolder(r.dir, dir);
    return { jobId: r.jobId, dir, files: Object.fromEntries(Object.entries(r.files).map(([k, f]) => [k, path.basename(f)])) };
  } catch (e) {
    const failedDir = (e as { data?: { dir?: unknown } }).data?.dir;
    if (typeof failedDir === 'string') await copyFolder(failedDir, dir).catch(() => undefined);
    throw e;
  }
}

/** Copy result.json last, so the destination, like the source, is complete once it has a result.json. */
async function copyFolder(from: string, to: string): Promise<void> {
  await makeDir(to);
  const names = (await fs.readdir(from)).filter((n) => !n.startsWith('.'));
  names.sort((a, b) => Number(a === 'result.json') - Number(b === 'result.json'));
  for (const n of names) await fs.copyFile(path.join(from, n), path.join(to, n));
}
