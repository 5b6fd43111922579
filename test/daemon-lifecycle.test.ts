// start / status / stop / restart as a user runs them, from the built CLI, plus graceful shutdown as clients
// see it. Every test has its own HOME and XDG dirs and port 0.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconClient } from '../src/client/client.js';
import { readDiscovery } from '../src/server/discovery.js';
import { casePath } from './helpers/paths.js';
import { record, runCli, startDaemon, tempEnv, waitFor, type TestEnv } from './helpers/daemon.js';

const PORTRAIT = casePath('control_obama_official_portrait.jpg');
const envs: TestEnv[] = [];
function env(): TestEnv {
  const te = tempEnv();
  envs.push(te);
  return te;
}

afterEach(async () => {
  // Never leave a daemon behind, whatever failed.
  for (const te of envs.splice(0)) {
    await runCli(['stop', '--timeout', '10'], te.env);
    te.cleanup();
  }
});

interface StatusJson {
  running: boolean;
  responding: boolean;
  url: string | null;
  pid: number | null;
  version: string;
  tokenFile: string;
  status?: { workers: { total: number }; modelsLoaded: boolean };
}

async function statusJson(te: TestEnv): Promise<{ code: number; s: StatusJson }> {
  const r = await runCli(['status', '--json'], te.env);
  return { code: r.code, s: JSON.parse(r.stdout) as StatusJson };
}

describe('recon-daemon start / status / stop', () => {
  it('starts detached, reports status, refuses a second instance, stops and cleans up', async () => {
    const te = env();
    const before = await statusJson(te);
    expect(before.code).toBe(3);
    expect(before.s).toMatchObject({ running: false, url: null, pid: null, tokenFile: te.paths.tokenFile });

    const started = await runCli(['start', '--port', '0', '--workers', '1'], te.env);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const info = readDiscovery(te.paths.discoveryFile)!;
    expect(started.stdout).toContain(`started (pid ${info.pid}) at ${info.url}`);
    expect(info.port).toBeGreaterThan(0);
    expect(info.url).toBe(`ws://127.0.0.1:${info.port}/`);
    expect(Number(fs.readFileSync(te.paths.pidFile, 'utf8'))).toBe(info.pid);
    expect(fs.statSync(te.paths.tokenFile).mode & 0o777).toBe(0o600);

    const { code, s } = await statusJson(te);
    expect(code).toBe(0);
    expect(s).toMatchObject({ running: true, responding: true, url: info.url, pid: info.pid, version: info.version, tokenFile: te.paths.tokenFile });
    expect(s.status!.workers.total).toBe(1);

    const human = await runCli(['status'], te.env);
    expect(human.stdout).toContain(`running (pid ${info.pid})`);
    expect(human.stdout).toContain(info.url);

    const again = await runCli(['start', '--port', '0'], te.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already running (pid ${info.pid})`);

    const token = fs.readFileSync(te.paths.tokenFile, 'utf8').trim();
    const client = await ReconClient.connect({ url: info.url, token });
    const closed = new Promise<number>((r) => client.onClose((c) => r(c)));
    const seen = record(client);

    const stopped = await runCli(['stop'], te.env);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toBe(`recon-daemon stopped (pid ${info.pid})\n`);
    expect(await closed).toBe(1001);
    expect(seen.map((m) => m.method)).toContain('daemon.shuttingDown');
    expect(fs.existsSync(te.paths.pidFile)).toBe(false);
    expect(fs.existsSync(te.paths.discoveryFile)).toBe(false);

    const after = await statusJson(te);
    expect(after.code).toBe(3);
    expect(after.s.running).toBe(false);
    expect((await runCli(['stop'], te.env)).stdout).toBe('recon-daemon is not running\n');
  });

  it('is not blocked by a stale pid file or discovery file', async () => {
    const te = env();
    // The pid of a process that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    fs.mkdirSync(te.paths.runtimeDir, { recursive: true });
    fs.writeFileSync(te.paths.pidFile, `${dead}\n`);
    fs.writeFileSync(te.paths.discoveryFile, JSON.stringify({ url: 'ws://127.0.0.1:1/', pid: dead }));
    expect((await statusJson(te)).s.running).toBe(false);

    const started = await runCli(['start', '--port', '0', '--workers', '1'], te.env);
    expect(started.code).toBe(0);
    const info = readDiscovery(te.paths.discoveryFile)!;
    expect(info.pid).not.toBe(dead);
    expect((await statusJson(te)).s.running).toBe(true);
  });

  it('restart replaces the running daemon with a new process', async () => {
    const te = env();
    expect((await runCli(['start', '--port', '0', '--workers', '1'], te.env)).code).toBe(0);
    const first = readDiscovery(te.paths.discoveryFile)!.pid;
    const r = await runCli(['restart', '--port', '0', '--workers', '1'], te.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`stopped (pid ${first})`);
    const second = readDiscovery(te.paths.discoveryFile)!.pid;
    expect(second).not.toBe(first);
    expect((await statusJson(te)).s).toMatchObject({ running: true, pid: second });
  });

  it('refuses a second foreground daemon while one runs', async () => {
    const te = env();
    expect((await runCli(['start', '--port', '0', '--workers', '1'], te.env)).code).toBe(0);
    const pid = readDiscovery(te.paths.discoveryFile)!.pid;
    const second = await runCli(['start', '--foreground', '--port', '0', '--workers', '1'], te.env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`error: recon-daemon is already running (pid ${pid})`);
  });

  it('refuses a non-loopback --host without --allow-lan, and warns with it', async () => {
    const te = env();
    const r = await runCli(['start', '--host', '0.0.0.0', '--port', '0'], te.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Refusing to listen on 0.0.0.0: only loopback addresses are allowed without --allow-lan');
    expect(r.stderr).toContain('hint: Pass --allow-lan');

    const lan = await startDaemon(['--host', '0.0.0.0', '--allow-lan'], te);
    try {
      expect(lan.output()).toContain('WARNING: listening on 0.0.0.0');
      expect(lan.info.url).toBe(`ws://127.0.0.1:${lan.info.port}/`);
      // Still token-only.
      await expect(ReconClient.connect({ url: lan.info.url })).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    } finally {
      await lan.stop();
    }
  });

  it('reports a bad setting from the environment with the variable named', async () => {
    const te = env();
    const r = await runCli(['start'], { ...te.env, RECON_DAEMON_PORT: '99999' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Expected integer 0–65535 for port but received 99999 (from RECON_DAEMON_PORT)');
  });

  it('refuses an output root it cannot create, with a hint, instead of starting or hanging', async () => {
    const te = env();
    const file = path.join(te.env.HOME!, 'a-file');
    fs.writeFileSync(file, 'x');
    const r = await runCli(['start', '--foreground', '--port', '0', '--output-root', path.join(file, 'out')], te.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot write the outputs to ${path.join(file, 'out')}: ENOTDIR`);
    expect(r.stderr).toContain('hint: A file is in the way');
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM: exits 0 and removes its pid and discovery files', async () => {
    const d = await startDaemon([], env());
    expect(await d.stop()).toBe(0);
    expect(fs.existsSync(d.te.paths.pidFile)).toBe(false);
    expect(fs.existsSync(d.te.paths.discoveryFile)).toBe(false);
  });

  it('lets the running job finish, cancels queued ones, tells clients, then closes', async () => {
    const d = await startDaemon([], env());
    const c = await d.connect();
    const seen = record(c);
    const closed = new Promise<number>((r) => c.onClose((code) => r(code)));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await c.request('recon.reconstruct', { image: { path: PORTRAIT } })).jobId);
    await waitFor('first job started', () => seen.some((m) => m.params.jobId === ids[0] && m.params.stage === 'started') || undefined);
    expect(await c.request('daemon.shutdown', {})).toEqual({ shuttingDown: true });
    expect(await closed).toBe(1001);
    expect(await d.stop()).toBe(0);

    const end = (id: string) => seen.find((m) => m.params.jobId === id && m.method !== 'job.progress');
    expect(end(ids[0])!.method).toBe('job.completed');
    for (const id of ids.slice(1)) expect(end(id)).toMatchObject({ method: 'job.failed', params: { error: { code: -32800, data: { code: 'REQUEST_CANCELLED' } } } });
    const notice = seen.find((m) => m.method === 'daemon.shuttingDown')!;
    expect(notice.params).toMatchObject({ reason: 'requested by vitest 1', graceMs: 10_000 });
    expect(seen.indexOf(notice)).toBeLessThan(seen.indexOf(end(ids[0])!));
  });

  it('cancels a job still running when the grace period ends', async () => {
    const d = await startDaemon([], env());
    const c = await d.connect();
    const seen = record(c);
    const { jobId } = await c.request('recon.reconstruct', { image: { path: PORTRAIT } });
    await waitFor('job started', () => seen.some((m) => m.params.jobId === jobId && m.params.stage === 'started') || undefined);
    await c.request('daemon.shutdown', { graceMs: 0 });
    expect(await d.stop()).toBe(0);
    const end = seen.find((m) => m.params.jobId === jobId && m.method !== 'job.progress');
    expect(end).toMatchObject({ method: 'job.failed', params: { error: { code: -32800 } } });
  });
});
