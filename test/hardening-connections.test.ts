// Issue 21, items 6 and 9: sockets and connections cannot exhaust the daemon (file descriptors, connection
// slots), and refused connections cannot flood its log. A real daemon on loopback; every test ends with a
// client's ping answered within 100 ms and its job completed.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReconClient } from '../src/client/client.js';
import { readDiscovery } from '../src/server/discovery.js';
import { LIMITS } from '../src/server/limits.js';
import { eventually, expectHealthy, INIT, openFds, rawWs, serverFrames, SMALL, wsFrame } from './helpers/attack.js';
import { rawSocket, runCli, startDaemon, tempEnv, waitFor, type TestDaemon } from './helpers/daemon.js';
import { repoRoot } from './helpers/paths.js';

function tcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

describe('connections before the upgrade (item 6)', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    d = await startDaemon();
  });
  afterAll(async () => {
    await d?.stop();
    d?.te.cleanup();
  });

  it(`holds at most ${LIMITS.maxPendingSockets} silent TCP connections: 1000 of them leave its file descriptors and other clients alone`, async () => {
    const before = openFds(d.child.pid!);
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 1000; i++) {
      const s = await tcp(d.info.port);
      s.on('error', () => undefined);
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 300));
    const during = openFds(d.child.pid!);
    expect(during - before, `open descriptors: ${before} before, ${during} with 1000 silent sockets`).toBeLessThan(LIMITS.maxPendingSockets + 20);
    // A real client still gets in while they are connected, and its job reads its photo (no EMFILE).
    await expectHealthy(d);
    for (const s of sockets) s.destroy();
  });

  it(`closes a connection that has not finished its HTTP request within ${LIMITS.upgradeTimeoutMs} ms (slowloris)`, async () => {
    const s = await tcp(d.info.port);
    s.on('error', () => undefined);
    const closed = new Promise<number>((r) => s.once('close', () => r(performance.now())));
    const t0 = performance.now();
    s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${d.info.port}\r\n`);
    // Trickle a header byte every second: an idle timer alone would never fire.
    const trickle = setInterval(() => s.write('X'), 1000);
    const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), LIMITS.upgradeTimeoutMs + 5000))]);
    clearInterval(trickle);
    s.destroy();
    expect(at, 'the daemon closed the socket').toBeGreaterThan(0);
    expect(at - t0).toBeLessThan(LIMITS.upgradeTimeoutMs + 2500);
    await expectHealthy(d);
  });

  it(`closes an authenticated connection that does not send initialize within ${LIMITS.initializeTimeoutMs} ms`, async () => {
    const raw = await rawSocket(d);
    const t0 = performance.now();
    const code = await Promise.race([raw.closed, new Promise<number>((r) => setTimeout(() => r(-1), LIMITS.initializeTimeoutMs + 5000))]);
    expect(code).toBe(1008);
    expect(performance.now() - t0).toBeLessThan(LIMITS.initializeTimeoutMs + 2500);
    await expectHealthy(d);
  });
});

describe('idle connections holding every slot (item 6)', () => {
  let d: TestDaemon;
  beforeAll(async () => {
    const te = tempEnv();
    te.env.RECON_DAEMON_MAX_CONNECTIONS = '4';
    d = await startDaemon([], te);
  });
  afterAll(async () => {
    await d?.stop();
    d?.te.cleanup();
  });

  it('a new client replaces the connection quiet the longest (idle or stuck in a half frame) instead of getting 503', async () => {
    const probe = await d.connect();
    const idle = await Promise.all([d.connect(), d.connect()]);
    const idleClosed = idle.map((c) => new Promise<number>((r) => c.onClose((code) => r(code))));
    // A half frame: initialize, then a frame header announcing 1000 bytes and only ten of them.
    const half = await rawWs(d);
    half.send(INIT);
    expect(await eventually(() => serverFrames(half.received()).length > 0, 5000)).toBe(true);
    half.socket.write(wsFrame('0123456789', { declaredLength: 1000 }).subarray(0, 2 + 2 + 4 + 10));
    // All four slots are taken; the probe stays busy, the other three go quiet.
    const keepBusy = setInterval(() => void probe.request('ping', {}), 1000);
    await new Promise((r) => setTimeout(r, LIMITS.evictQuietMs + 500));
    const newcomers: ReconClient[] = [];
    for (let i = 0; i < 3; i++) newcomers.push(await d.connect());
    clearInterval(keepBusy);
    // Each newcomer pushed out one quiet connection, with 1013 (try again later); the busy probe stayed.
    expect(await Promise.all(idleClosed)).toEqual([1013, 1013]);
    await half.closed;
    expect((await probe.request('ping', {})).time).toBeGreaterThan(0);
    // Now everyone left is active: the next one is refused, not let in at an active client's expense.
    const e = await ReconClient.connect({ url: d.info.url, token: d.token, clientInfo: { name: 'late', version: '1' } }).then(
      () => undefined,
      (err: unknown) => err as { data?: { code: string } },
    );
    expect(e?.data?.code).toBe('SERVER_BUSY');
    await Promise.all(newcomers.map((c) => c.close()));
    await expectHealthy(d, probe);
    await probe.close();
  });
});

describe('refused connections cannot flood the log (item 9)', () => {
  it('rate-limits "connection refused", cuts attacker-supplied fields, and rotates the log file', async () => {
    const te = tempEnv();
    const started = await runCli(['start', '--port', '0', '--workers', '1', '--log-max-bytes', '65536'], te.env);
    expect(started.code, started.stderr).toBe(0);
    try {
      const info = await waitFor('daemon.json', () => readDiscovery(te.paths.discoveryFile));
      const token = fs.readFileSync(te.paths.tokenFile, 'utf8').trim();
      const origin = `https://evil.example/${'x'.repeat(8000)}`;
      const t0 = Date.now();
      // 3000 refused upgrades, each with an 8 KB Origin: 24 MB of log without limits.
      for (let batch = 0; batch < 30; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, () =>
            ReconClient.connect({ url: info.url, token, origin }).then(
              () => undefined,
              () => undefined,
            ),
          ),
        );
      }
      const seconds = (Date.now() - t0) / 1000;
      const log = te.paths.logFile;
      const files = [log, `${log}.1`, `${log}.2`].filter((f) => fs.existsSync(f));
      const text = files.map((f) => fs.readFileSync(f, 'utf8')).join('');
      const refused = text.split('\n').filter((l) => l.includes('connection refused'));
      expect(refused.length, `${refused.length} lines in ${seconds.toFixed(1)} s`).toBeLessThanOrEqual(LIMITS.logBurst + Math.ceil(seconds * LIMITS.logRatePerSec) + 1);
      expect(refused.length).toBeGreaterThan(0);
      for (const l of refused) expect(l.length).toBeLessThan(LIMITS.logFieldChars + 400);
      expect(text).toMatch(/"suppressed":\d+/);
      // Rotated past --log-max-bytes (64 KiB): the file and the older ones stay about that size, private.
      expect(files).toContain(`${log}.1`);
      for (const f of files) {
        expect(fs.statSync(f).size, f).toBeLessThan(65536 + 4096);
        expect(fs.statSync(f).mode & 0o777, f).toBe(0o600);
      }
      // The daemon still serves.
      const c = await ReconClient.connect({ url: info.url, token, clientInfo: { name: 'after', version: '1' } });
      const t = performance.now();
      await c.request('ping', {});
      expect(performance.now() - t).toBeLessThan(100);
      expect((await c.reconstruct({ path: SMALL })).faces).toBe(1);
      await c.close();
    } finally {
      await runCli(['stop'], te.env);
      te.cleanup();
    }
  });
});

describe('docs/daemon.md (items 1–9)', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'daemon.md'), 'utf8');
  const security = doc.slice(doc.indexOf('## Security model'));

  it('lists every hardening limit with its value', () => {
    for (const [name, value] of Object.entries(LIMITS)) {
      expect(security, `LIMITS.${name}`).toContain(`\`${name}\``);
      expect(security, `LIMITS.${name} = ${value}`).toContain(String(value));
    }
  });

  it('says which methods activate plugins (commands.execute, options.exporters) instead of "no method loads plugins"', () => {
    expect(doc).not.toMatch(/no method evaluates code, loads plugins or runs commands/);
    expect(security).toMatch(/commands\.execute/);
    expect(security).toMatch(/options\.exporters/);
  });
});
