// The connection token: 256 random bits, hex, in the user's config dir with mode 0600. Created on first start
// and kept, so editor clients configured once keep working across restarts; delete the file to rotate it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeDirSync } from '../util/fs.js';

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** Read the token, creating it (0600) when missing; a token file others can read is tightened to 0600. */
export function ensureToken(file: string): string {
  makeDirSync(path.dirname(file), 0o700);
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (TOKEN_PATTERN.test(token)) {
      if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
      return token;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(32).toString('hex');
  // Write a private temp file then rename, so the token is never readable by others, even for a moment.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}

export function readToken(file: string): string | undefined {
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    return TOKEN_PATTERN.test(t) ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time comparison: both sides are hashed first so their lengths never differ. */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
