// start / stop / status / restart as a user runs them. `start` detaches by default: it re-runs this CLI with
// --foreground as a detached child whose output goes to the log file, and returns once that child has
// written its discovery file (listening) or has failed (its log tail is shown). `--foreground` is the daemon
// itself: pid file, token, listen, discovery file, signals, graceful shutdown, cleanup.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { connectToDaemon } from '../client/discover.js';
import { DaemonShutdown, DaemonStatus, type DaemonStatusResult } from '../rpc/protocol.js';
import { isLoopbackHost, resolveConfig, type PartialSettings } from './config.js';
import {
  claimPidFile,
  isDaemonProcess,
  isProcessAlive,
  readDiscovery,
  readPid,
  removeDiscoveryIfOurs,
  writeDiscovery,
  type DiscoveryInfo,
} from './discovery.js';
import { createLogger, type LogLevel } from './log.js';
import { isSameFile, logRotation } from './log-file.js';
import { PROTOCOL_VERSION } from '../rpc/protocol.js';
import { daemonPaths, type DaemonPaths, type Env } from './paths.js';
import { ensureToken } from './token.js';
import { makeDirSync } from '../util/fs.js';

export const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface StartFlags extends PartialSettings {
  foreground?: boolean;
  logLevel?: LogLevel;
  /** Seconds to wait for a detached daemon to start listening. */
  startTimeout?: number;
  /** Also take photos from this Redis queue (docs/cluster.md). */
  queue?: string;
  queueName?: string;
}

/** `--queue`: checked before anything starts, so a bad URL is told in the user's terminal. */
async function queueOption(flags: StartFlags): Promise<{ url: string; name: string } | undefined> {
  if (flags.queue === undefined) return undefined;
  const { DEFAULT_QUEUE_NAME, parseQueueTarget } = await import('../cluster/target.js');
  const name = flags.queueName ?? DEFAULT_QUEUE_NAME;
  parseQueueTarget(flags.queue, name);
  return { url: flags.queue, name };
}

type Write = (s: string) => void;
const stdout: Write = (s) => process.stdout.write(s);
const stderr: Write = (s) => process.stderr.write(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid of a live daemon from the pid file; stale files are removed on the way. */
function runningPid(paths: DaemonPaths): number | undefined {
  const pid = readPid(paths.pidFile);
  if (pid !== undefined && isDaemonProcess(pid)) return pid;
  if (pid !== undefined) fs.rmSync(paths.pidFile, { force: true });
  const info = readDiscovery(paths.discoveryFile);
  if (info && !isDaemonProcess(info.pid)) fs.rmSync(paths.discoveryFile, { force: true });
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// start --foreground: the daemon process

export async function runForeground(flags: StartFlags, env: Env = process.env): Promise<number> {
  const { settings, paths } = resolveConfig(flags, env);
  const queue = await queueOption(flags);
  // Everything the daemon and its workers and plugin host create is private to the user by default.
  process.umask(parseInt(settings.umask, 8));
  // Detached (`start`), stderr is the log file: rotate it past logMaxBytes (log-file.ts).
  const rotate = isSameFile(2, paths.logFile) ? logRotation({ file: paths.logFile, fd: 2, maxBytes: settings.logMaxBytes }) : undefined;
  const log = createLogger(flags.logLevel ?? 'info', (line) => {
    process.stderr.write(line);
    rotate?.();
  });
  if (!isLoopbackHost(settings.host)) {
    const warning = `WARNING: listening on ${settings.host}: other machines on the network can reach this daemon (the token is still required).`;
    stderr(`${warning}\n`);
    log.warn(warning);
  }
  const token = ensureToken(paths.tokenFile);
  const releasePid = claimPidFile(paths.pidFile);
  const { Daemon } = await import('./daemon.js');
  let daemon: Awaited<ReturnType<typeof Daemon.start>>;
  try {
    daemon = await Daemon.start({ settings, token, version: VERSION, log, ...(queue ? { queue } : {}) });
  } catch (e) {
    releasePid();
    throw e;
  }
  const info: DiscoveryInfo = {
    url: daemon.url,
    host: settings.host,
    port: daemon.boundPort,
    pid: process.pid,
    version: VERSION,
    protocolVersion: PROTOCOL_VERSION,
    tokenFile: paths.tokenFile,
    logFile: paths.logFile,
    outputRoot: settings.outputRoot,
    startedAt: new Date().toISOString(),
  };
  await writeDiscovery(paths.discoveryFile, info);
  log.info('listening', { url: daemon.url, pid: process.pid, workers: settings.workers, outputRoot: settings.outputRoot, ...(queue ? { queueName: queue.name } : {}) });

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn(`second ${sig}: exiting now`);
      removeDiscoveryIfOurs(paths.discoveryFile);
      releasePid();
      process.exit(130);
    }
    void daemon.shutdown(sig);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Every message handler is wrapped (dispatcher.ts); should a promise still reject unhandled, that is a bug
  // to log, not a reason to drop every client and lose every queued job.
  const onUnhandled = (e: unknown) => log.error('unhandled rejection (a bug; the daemon carries on)', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.on('unhandledRejection', onUnhandled);
  // Whatever ends the process, it leaves no discovery or pid file pointing at a dead daemon.
  const onExit = () => {
    removeDiscoveryIfOurs(paths.discoveryFile);
    releasePid();
  };
  process.on('exit', onExit);

  await daemon.stopped;
  process.off('unhandledRejection', onUnhandled);
  removeDiscoveryIfOurs(paths.discoveryFile);
  releasePid();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  // Native thread pools (onnxruntime, libvips) can keep a process alive after their workers ended.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// start (detached)

function childArgs(flags: StartFlags): string[] {
  const args = ['start', '--foreground'];
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined || key === 'foreground' || key === 'startTimeout') continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (typeof value === 'boolean') args.push(value ? flag : `--no-${flag.slice(2)}`);
    else if (Array.isArray(value)) for (const v of value) args.push(flag, String(v));
    else args.push(flag, String(value));
  }
  return args;
}

function logTail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function runStart(flags: StartFlags, env: Env = process.env, out: Write = stdout): Promise<number> {
  if (flags.foreground) return runForeground(flags, env);
  const { settings, paths } = resolveConfig(flags, env); // fail here, in the user's terminal, on bad settings
  await queueOption(flags);
  const existing = runningPid(paths);
  if (existing !== undefined) {
    const info = readDiscovery(paths.discoveryFile);
    out(`recon-daemon is already running (pid ${existing})${info ? ` at ${info.url}` : ''}\n`);
    return 0;
  }
  makeDirSync(paths.stateDir);
  const logFd = fs.openSync(paths.logFile, 'a', 0o600);
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...childArgs(flags)], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: env as NodeJS.ProcessEnv,
  });
  fs.closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code ?? -1));
  child.once('error', () => (exited = -1));
  const deadline = Date.now() + (flags.startTimeout ?? 60) * 1000;
  try {
    while (Date.now() < deadline) {
      const info = readDiscovery(paths.discoveryFile);
      if (info && info.pid === child.pid) {
        out(`recon-daemon ${VERSION} started (pid ${info.pid}) at ${info.url}\n  log:   ${paths.logFile}\n  token: ${paths.tokenFile}\n`);
        if (!isLoopbackHost(settings.host)) out(`WARNING: listening on ${settings.host}; reachable from the network (token required).\n`);
        return 0;
      }
      if (exited !== undefined) {
        throw Object.assign(new Error(`recon-daemon failed to start (exit code ${exited}). Last lines of ${paths.logFile}:\n${logTail(paths.logFile)}`), {
          hint: 'Fix the problem above and start again; `recon-daemon start --foreground` shows the output directly.',
        });
      }
      await sleep(100);
    }
    throw Object.assign(new Error(`recon-daemon did not start listening within ${flags.startTimeout ?? 60} s`), {
      hint: `See ${paths.logFile}.`,
    });
  } finally {
    child.unref();
  }
}

// ---------------------------------------------------------------------------------------------------------
// stop

export interface StopFlags {
  /** Seconds to wait for the daemon to exit before killing it. */
  timeout?: number;
}

export async function runStop(flags: StopFlags, env: Env = process.env, out: Write = stdout): Promise<number> {
  const paths = daemonPaths(env);
  const pid = runningPid(paths);
  if (pid === undefined) {
    out('recon-daemon is not running\n');
    return 0;
  }
  // The protocol first (graceful everywhere, Windows included); a signal if the daemon does not answer.
  try {
    const client = await connectToDaemon(env, { clientInfo: { name: 'recon-daemon stop', version: VERSION }, timeoutMs: 5000 });
    await client.request(DaemonShutdown.method, {});
    await client.close();
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + (flags.timeout ?? 30) * 1000;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isProcessAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    fs.rmSync(paths.pidFile, { force: true });
    fs.rmSync(paths.discoveryFile, { force: true });
    out(`recon-daemon (pid ${pid}) did not stop within ${flags.timeout ?? 30} s and was killed\n`);
    return 1;
  }
  out(`recon-daemon stopped (pid ${pid})\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// status

export interface StatusReport {
  running: boolean;
  /** True when the daemon answered daemon.status. */
  responding: boolean;
  url: string | null;
  pid: number | null;
  version: string;
  tokenFile: string;
  logFile: string;
  pidFile: string;
  discoveryFile: string;
  status?: DaemonStatusResult;
  error?: string;
}

export async function getStatus(env: Env = process.env): Promise<StatusReport> {
  const paths = daemonPaths(env);
  const base = { tokenFile: paths.tokenFile, logFile: paths.logFile, pidFile: paths.pidFile, discoveryFile: paths.discoveryFile };
  const pid = runningPid(paths);
  const info = readDiscovery(paths.discoveryFile);
  if (pid === undefined) return { running: false, responding: false, url: null, pid: null, version: VERSION, ...base };
  const report: StatusReport = { running: true, responding: false, url: info?.url ?? null, pid, version: info?.version ?? VERSION, ...base };
  if (!info) return { ...report, error: 'starting (no discovery file yet)' };
  try {
    const client = await connectToDaemon(env, { clientInfo: { name: 'recon-daemon status', version: VERSION }, timeoutMs: 5000 });
    try {
      report.status = await client.request(DaemonStatus.method, {});
      report.responding = true;
      report.version = report.status.version;
    } finally {
      await client.close();
    }
  } catch (e) {
    report.error = (e as Error).message;
  }
  return report;
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
}

/** Exit code 0 when running, 3 when not (the LSB convention for status). */
export async function runStatus(flags: { json?: boolean }, env: Env = process.env, out: Write = stdout): Promise<number> {
  const r = await getStatus(env);
  if (flags.json) {
    out(JSON.stringify(r) + '\n');
    return r.running ? 0 : 3;
  }
  if (!r.running) {
    out(`recon-daemon is not running\n  token: ${r.tokenFile}\n`);
    return 3;
  }
  const s = r.status;
  out(`recon-daemon ${r.version} running (pid ${r.pid})${r.responding ? '' : ` but not answering: ${r.error}`}\n`);
  out(`  url:      ${r.url}\n`);
  if (s) {
    out(`  uptime:   ${duration(s.uptimeMs)}\n`);
    out(`  workers:  ${s.workers.total} (${s.workers.ready} ready, ${s.workers.busy} busy), models ${s.modelsLoaded ? 'loaded' : 'loading'}\n`);
    out(`  queue:    ${s.queue.queued} queued, ${s.queue.running} running (max queue ${s.queue.max})\n`);
    out(`  jobs:     ${s.jobs.completed} completed, ${s.jobs.failed} failed, ${s.jobs.cancelled} cancelled\n`);
    out(`  clients:  ${s.clients}\n`);
    out(`  memory:   ${Math.round(s.rssBytes / 1048576)} MiB\n`);
    out(`  output:   ${s.outputRoot}\n`);
    const q = s.queueConsumer;
    if (q) {
      out(`  cluster:  takes photos from the queue "${q.queueName}" on ${q.queue} as ${q.worker}: ${q.connection === 'up' ? 'connected' : q.connection}, ${q.active} in progress, ${q.completed} done, ${q.failed} given up\n`);
      if (q.error) out(`            ${q.error.code}: ${q.error.message}\n            hint: ${q.error.hint}\n`);
    }
  }
  out(`  token:    ${r.tokenFile}\n  log:      ${r.logFile}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// restart

export async function runRestart(flags: StartFlags & StopFlags, env: Env = process.env, out: Write = stdout): Promise<number> {
  const { timeout, ...startFlags } = flags;
  const stopped = await runStop({ timeout }, env, out);
  if (stopped !== 0) return stopped;
  return runStart(startFlags, env, out);
}
