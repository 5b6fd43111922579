// Real daemons for tests: each gets its own temp HOME / XDG dirs and port 0, runs the built CLI
// (bin/recon-daemon.js → dist/, built by test/global-setup.ts) as a child process, and is found through its
// discovery file exactly as editor clients find it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { ReconClient, type ConnectOptions } from '../../src/client/client.js';
import { RpcError } from '../../src/rpc/errors.js';
import { modelCacheDir } from '../../src/recon/models/store.js';
import { readDiscovery, type DiscoveryInfo } from '../../src/server/discovery.js';
import { daemonPaths, type DaemonPaths } from '../../src/server/paths.js';
import { repoRoot } from './paths.js';

export const bin = path.join(repoRoot, 'bin', 'recon-daemon.js');

export interface TestEnv {
  root: string;
  env: NodeJS.ProcessEnv;
  paths: DaemonPaths;
  cleanup(): void;
}

/** A private HOME with every XDG dir inside it; the model cache stays shared so models are converted once. */
export function tempEnv(): TestEnv {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-daemon-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('RECON_DAEMON_')) delete env[k];
  Object.assign(env, {
    HOME: root,
    XDG_CONFIG_HOME: path.join(root, 'config'),
    XDG_RUNTIME_DIR: path.join(root, 'run'),
    XDG_STATE_HOME: path.join(root, 'state'),
    XDG_DATA_HOME: path.join(root, 'data'),
    XDG_CACHE_HOME: path.join(root, 'cache'),
    RECON_MODEL_CACHE: modelCacheDir(process.env),
  });
  return { root, env, paths: daemonPaths(env), cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function waitFor<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== null && (v as unknown) !== false) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TestDaemon {
  te: TestEnv;
  child: ChildProcess;
  info: DiscoveryInfo;
  token: string;
  /** Everything the daemon wrote to stdout/stderr. */
  output(): string;
  connect(o?: Partial<ConnectOptions>): Promise<ReconClient>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `recon-daemon start --foreground --port 0 --workers 1 …` in a temp env; resolves when the models are loaded. */
export async function startDaemon(args: string[] = [], te: TestEnv = tempEnv()): Promise<TestDaemon> {
  const child = spawn(process.execPath, [bin, 'start', '--foreground', '--port', '0', '--workers', '1', ...args], { env: te.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const info = await waitFor('daemon.json', () => {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}:\n${out}`);
    const i = readDiscovery(te.paths.discoveryFile);
    return i && i.pid === child.pid ? i : undefined;
  });
  const token = fs.readFileSync(te.paths.tokenFile, 'utf8').trim();
  const d: TestDaemon = {
    te,
    child,
    info,
    token,
    output: () => out,
    connect: (o = {}) => ReconClient.connect({ url: info.url, token, clientInfo: { name: 'vitest', version: '1' }, ...o }),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  const c = await d.connect();
  try {
    await waitFor('models loaded', async () => (await c.request('daemon.status', {})).modelsLoaded);
  } finally {
    await c.close();
  }
  return d;
}

/** Collects every notification a client receives, in order. */
export function record(client: ReconClient): Array<{ method: string; params: Record<string, unknown> }> {
  const seen: Array<{ method: string; params: Record<string, unknown> }> = [];
  client.onAny((m) => seen.push(m as { method: string; params: Record<string, unknown> }));
  return seen;
}

/** A bare WebSocket for malformed traffic: send text, await the next message. */
export async function rawSocket(d: TestDaemon): Promise<{
  ws: import('ws').WebSocket;
  send(data: string | Buffer): void;
  next(): Promise<Record<string, unknown>>;
  closed: Promise<number>;
}> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(d.info.url, { headers: { Authorization: `Bearer ${d.token}` } });
  const queue: string[] = [];
  const waiters: Array<(s: string) => void> = [];
  ws.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m.toString());
    else queue.push(m.toString());
  });
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  ws.on('error', () => undefined);
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  return {
    ws,
    send: (data) => ws.send(data),
    next: () =>
      new Promise((resolve) => {
        const s = queue.shift();
        if (s !== undefined) resolve(JSON.parse(s));
        else waiters.push((t) => resolve(JSON.parse(t)));
      }),
    closed,
  };
}

/** Await a request that must fail, and return its RpcError (the assertion fails if it succeeds). */
export async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  const e = await p.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RpcError);
  return e as RpcError;
}
