// SHA-256 of a file's bytes, streamed (a photo is never held in memory just to be hashed).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ErrorInfo } from './record.js';

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    const s = createReadStream(file, { highWaterMark: 1 << 20 });
    s.on('data', (c) => h.update(c));
    s.on('error', reject);
    s.on('end', () => resolve(h.digest('hex')));
  });
}

/** Why a file could not be read, in the engine's codes (the manifest line of an unreadable file). */
export function readErrorInfo(e: unknown, shown: string): ErrorInfo {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return { code: 'FILE_NOT_FOUND', message: `No file at ${shown} (it was moved or deleted during the batch)`, hint: 'Run the batch again once the file is back.' };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return { code: 'IMAGE_DECODE_FAILED', message: `Cannot read ${shown}: permission denied`, hint: 'Make the file readable by the user running recon-daemon.' };
  }
  if (code === 'EISDIR') {
    return { code: 'IMAGE_DECODE_FAILED', message: `Expected an image file but ${shown} is a directory`, hint: 'Pass photo files or folders of photos.' };
  }
  return { code: 'IMAGE_DECODE_FAILED', message: `Cannot read ${shown}: ${(e as Error)?.message ?? String(e)}`, hint: 'Check the file and the disk it is on.' };
}
