// The pid file (single instance) and the discovery file daemon.json (how clients find a running daemon
// without configuration). A pid file whose process is gone, or is not a recon-daemon, is stale and ignored.
import fs from 'node:fs';
import path from 'node:path';
import { makeDirSync, writeFileAtomic } from '../util/fs.js';

export interface DiscoveryInfo {
  /** ws://host:port/ */
  url: string;
  host: string;
  port: number;
  pid: number;
  version: string;
  protocolVersion: string;
  tokenFile: string;
  logFile: string;
  outputRoot: string;
  startedAt: string;
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: it exists but belongs to someone else, so it is not our daemon either.
    return false;
  }
  try {
    // A zombie (exited, not yet reaped) still answers kill(0); it is not running.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Alive and (where /proc tells us) running recon-daemon: a recycled pid must not block a start. */
export function isDaemonProcess(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('recon-daemon');
  } catch {
    return true; // No /proc (macOS, Windows): trust the pid.
  }
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export class AlreadyRunningError extends Error {
  readonly hint: string;
  constructor(readonly pid: number) {
    super(`recon-daemon is already running (pid ${pid})`);
    this.name = 'AlreadyRunningError';
    this.hint = 'Use `recon-daemon status` to see it, or `recon-daemon restart` to replace it.';
  }
}

/**
 * Take the pid file for this process: created exclusively, so two starts racing cannot both win. A stale
 * file is removed and the claim retried once. Returns a release function that removes it if still ours.
 */
export function claimPidFile(file: string, pid = process.pid): () => void {
  makeDirSync(path.dirname(file), 0o700);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${pid}\n`, { flag: 'wx', mode: 0o644 });
      return () => {
        if (readPid(file) === pid) fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = readPid(file);
      if (other !== undefined && other !== pid && isDaemonProcess(other)) throw new AlreadyRunningError(other);
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not create the pid file ${file}`);
}

export async function writeDiscovery(file: string, info: DiscoveryInfo): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(info, null, 2) + '\n');
}

export function readDiscovery(file: string): DiscoveryInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as DiscoveryInfo;
    return typeof info.url === 'string' && typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

export function removeDiscoveryIfOurs(file: string, pid = process.pid): void {
  if (readDiscovery(file)?.pid === pid) fs.rmSync(file, { force: true });
}
