// Rotation of the detached daemon's log. `start` points the daemon's stderr at the log file (opened for
// appending), so every writer — the logger and whatever Node or a native library prints on a crash — shares
// one descriptor. Rotation is therefore copy-and-truncate (logrotate's copytruncate): the file is copied to
// `<log>.1` (after `.1` → `.2`), then cut to zero through the shared descriptor; appends then start again at
// its beginning. At most `maxBytes` × 3 of disk, whatever a flood of log lines does.
import fs from 'node:fs';

export interface RotationOptions {
  file: string;
  /** Descriptor the log is written through (2: stderr). */
  fd: number;
  maxBytes: number;
  /** Older files kept: <file>.1 … <file>.<keep>. */
  keep?: number;
}

/** True when `fd` is the file at `file` (the daemon's stderr is its log file). */
export function isSameFile(fd: number, file: string): boolean {
  try {
    const a = fs.fstatSync(fd);
    const b = fs.statSync(file);
    return a.isFile() && a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** A write hook: call after each line; rotates once the file has grown past maxBytes. Never throws. */
export function logRotation(o: RotationOptions): () => void {
  const keep = o.keep ?? 2;
  return () => {
    try {
      if (fs.fstatSync(o.fd).size <= o.maxBytes) return;
      for (let i = keep; i > 1; i--) {
        if (fs.existsSync(`${o.file}.${i - 1}`)) fs.renameSync(`${o.file}.${i - 1}`, `${o.file}.${i}`);
      }
      fs.copyFileSync(o.file, `${o.file}.1`);
      fs.chmodSync(`${o.file}.1`, 0o600);
      fs.ftruncateSync(o.fd, 0);
    } catch {
      // A log that cannot rotate must not stop the daemon.
    }
  };
}
