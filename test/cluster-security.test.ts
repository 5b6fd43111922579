// A queue on a Redis with a password, on a Redis over TLS, and two studios' queues on one Redis: what works, what
// is refused (with its code and hint, at once, never a hang), and what never shows: passwords in any output, one
// queue's paths among another queue's keys.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, manifest, OUTPUT_ARGS, photoLines, startWorker, stopProc, type Proc } from './helpers/cluster.js';
import { bin, waitFor } from './helpers/daemon.js';
import { casePath } from './helpers/paths.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-cluster-sec-'));
const PASSWORD = 's3cret-Pw_7';
const procs: Proc[] = [];
const servers: TestRedis[] = [];

function folder(name: string, files: string[]): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of files) fs.copyFileSync(casePath(f), path.join(dir, f));
  return dir;
}

const A_FILES = ['control_obama_official_portrait.jpg', 'astronaut_eileen_collins.png', 'negative_coffee.png'];
const B_FILES = ['obama_240p_letterbox.jpg', 'cameraman_greyscale.png'];
let inA: string;
let inB: string;

function run(args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 60_000) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, timeout });
}

beforeAll(() => {
  inA = folder('studio-a', A_FILES);
  inB = folder('studio-b', B_FILES);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL')));
  await Promise.all(servers.map((s) => s.dispose()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a Redis with a password', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
    servers.push(redis);
  });

  it('works with the password in the URL or in RECON_QUEUE_PASSWORD, and never prints it', async () => {
    const withPw = redis.url.replace('redis://', `redis://:${PASSWORD}@`);
    const w = await startWorker(redis.url, [], { ...process.env, RECON_QUEUE_PASSWORD: PASSWORD });
    procs.push(w);
    const out = path.join(tmp, 'pw-out');
    const r = run(['batch', inA, '-o', out, '--queue', withPw, ...OUTPUT_ARGS, '--progress', 'lines', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(manifest(out).map((l) => l.status)).toEqual(['ok', 'ok', 'failed']);
    const summary = fs.readFileSync(path.join(out, 'summary.json'), 'utf8');
    expect(JSON.parse(summary).run.description).toBe(`the queue "recon-batch" on ${redis.url.replace('redis://', 'redis://:***@')}, 1 worker connected`);
    const status = run(['queue', 'status', '--queue', redis.url, '--json'], { ...process.env, RECON_QUEUE_PASSWORD: PASSWORD });
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ queue: redis.url, queueName: 'recon-batch', jobs: { waiting: 0, active: 0, completed: 3, failed: 0 } });
    await stopProc(w);
    for (const text of [r.stdout, r.stderr, summary, w.stderr(), status.stdout, fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8')]) expect(text).not.toContain(PASSWORD);
  });

  it('a wrong or missing password stops every command at once with QUEUE_AUTH_FAILED and a hint', () => {
    const wrong = redis.url.replace('redis://', 'redis://:not-it@');
    const shown = redis.url.replace('redis://', 'redis://:***@');
    for (const args of [
      ['queue', 'status', '--queue', wrong],
      ['worker', '--queue', wrong, '--concurrency', '1'],
      ['batch', inA, '-o', path.join(tmp, 'wrong-out'), '--queue', wrong],
    ]) {
      const t = Date.now();
      const r = run(args, process.env, 90_000);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`QUEUE_AUTH_FAILED: Redis at ${shown} refused the user name or password\nhint: Check the password: in the URL (redis://:password@host:6379/0) or in the RECON_QUEUE_PASSWORD environment variable.`);
      expect(r.stderr).not.toContain('not-it');
      // The worker loads its models first; nothing waits on Redis.
      expect(Date.now() - t).toBeLessThan(60_000);
    }
    const none = run(['queue', 'status', '--queue', redis.url]);
    expect(none.status).toBe(1);
    expect(none.stderr).toBe(`error: QUEUE_AUTH_FAILED: Redis at ${redis.url} requires a password and none was given\nhint: Give the password in the URL (redis://:password@host:6379/0) or, to keep it out of \`ps\`, in the RECON_QUEUE_PASSWORD environment variable.\n`);
    // A batch refused this way leaves its output folder unlocked, ready for the next try.
    expect(fs.existsSync(path.join(tmp, 'wrong-out', '.recon-batch', 'lock'))).toBe(false);
  });
});

describe('a Redis over TLS (rediss://)', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis({ tls: true });
    servers.push(redis);
  });

  it('works when its certificate is trusted (NODE_EXTRA_CA_CERTS)', async () => {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: redis.caFile! };
    const w = await startWorker(redis.url, [], env);
    procs.push(w);
    const out = path.join(tmp, 'tls-out');
    const r = run(['batch', inA, '-o', out, '--queue', redis.url, ...OUTPUT_ARGS, '--json'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ complete: true, photos: 3, ok: 2, failed: 1 });
    await stopProc(w);
  });

  it('refuses an untrusted certificate with QUEUE_TLS_FAILED and says how to trust it', () => {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const r = run(['queue', 'status', '--queue', redis.url], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: QUEUE_TLS_FAILED: TLS with Redis at ${redis.url.replace(/[/.]/g, '\\$&')} failed: .*certificate`, 'm'));
    expect(r.stderr).toContain('trust its certificate authority with NODE_EXTRA_CA_CERTS=/path/to/ca.pem');
  });
});

describe('two studios on one Redis (--queue-name)', () => {
  it("keep apart: a worker of one queue never sees the other's photos, neither queue's keys hold the other's paths, and queue status counts each", async () => {
    const redis = await startRedis();
    servers.push(redis);
    const w = await startWorker(redis.url, ['--queue-name', 'studio-a']);
    procs.push(w);
    const outA = path.join(tmp, 'iso-a');
    const outB = path.join(tmp, 'iso-b');
    const a = run(['batch', inA, '-o', outA, '--queue', redis.url, '--queue-name', 'studio-a', ...OUTPUT_ARGS, '--json']);
    expect(a.status, a.stderr).toBe(0);
    // Studio B has no worker: its producer waits, and says why.
    const b = cli(['batch', inB, '-o', outB, '--queue', redis.url, '--queue-name', 'studio-b', ...OUTPUT_ARGS, '--progress', 'lines']);
    procs.push(b);
    await waitFor('the producer to queue its photos', () => b.stderr().includes('no worker is connected'), 30_000);
    expect(b.stderr()).toContain(`no worker is connected to the queue "studio-b" on ${redis.url} yet: photos wait until one starts\nhint: on each machine run \`recon-daemon worker --queue ${redis.url} --queue-name studio-b\``);
    await waitFor('studio B\'s jobs', () => {
      const s = JSON.parse(run(['queue', 'status', '--queue', redis.url, '--queue-name', 'studio-b', '--json']).stdout);
      return s.jobs.waiting === B_FILES.length ? s : undefined;
    }, 30_000);
    expect(photoLines(w).map((l) => l.split(/\s+/)[2]).sort()).toEqual([...A_FILES].sort());

    const statusA = JSON.parse(run(['queue', 'status', '--queue', redis.url, '--queue-name', 'studio-a', '--json']).stdout);
    expect(statusA).toMatchObject({ queueName: 'studio-a', jobs: { waiting: 0, active: 0, completed: A_FILES.length, failed: 0 } });
    expect(statusA.workers).toHaveLength(1);
    expect(statusA.workers[0].name).toMatch(/^[\w.-]+-\d+$/);
    const statusB = JSON.parse(run(['queue', 'status', '--queue', redis.url, '--queue-name', 'studio-b', '--json']).stdout);
    expect(statusB).toMatchObject({ queueName: 'studio-b', jobs: { waiting: B_FILES.length, active: 0, completed: 0 }, workers: [] });
    const text = run(['queue', 'status', '--queue', redis.url, '--queue-name', 'studio-b']);
    expect(text.stdout).toBe(`queue "studio-b" on ${redis.url} (Redis ${statusB.redisVersion})\n  photos:  ${B_FILES.length} waiting, 0 active, 0 waiting to retry, 0 completed (kept 24 h), 0 failed (kept 7 days)\n  workers: none connected\n`);

    // Every key is under its queue's prefix, and each queue's keys name only its own studio's folders.
    const keys = redis.cli('--scan').split('\n').filter(Boolean);
    expect(keys.every((k) => k.startsWith('recon:studio-a:') || k.startsWith('recon:studio-b:'))).toBe(true);
    const dump = (prefix: string) =>
      keys
        .filter((k) => k.startsWith(prefix) && redis.cli('type', k).trim() === 'hash')
        .map((k) => redis.cli('hgetall', k))
        .join('\n');
    expect(dump('recon:studio-a:')).toContain(inA);
    expect(dump('recon:studio-a:')).not.toContain(inB);
    expect(dump('recon:studio-b:')).toContain(inB);
    expect(dump('recon:studio-b:')).not.toContain(inA);

    // Studio B gives up: Ctrl-C leaves its photos queued and says so; `queue clear` removes them.
    b.child.kill('SIGINT');
    expect((await b.exited).code).toBe(130);
    expect(b.stdout()).toContain(`${B_FILES.length} photos are not in this manifest: those already in the queue are finished by the workers; run the same command again to collect them`);
    const cleared = run(['queue', 'clear', '--queue', redis.url, '--queue-name', 'studio-b']);
    expect(cleared.stdout).toBe(`removed ${B_FILES.length} waiting photos from the queue "studio-b" (photos being done finish; run the batch again to queue them anew)\n`);
    expect(JSON.parse(run(['queue', 'status', '--queue', redis.url, '--queue-name', 'studio-b', '--json']).stdout).jobs.waiting).toBe(0);
    await stopProc(w);
  });
});

describe('queue addresses', () => {
  it('a bad URL, a bad queue name or an unreachable Redis: exit 1 with the reason and a hint, passwords hidden', async () => {
    const bad = run(['queue', 'status', '--queue', 'http://:hunter2@10.0.0.5:6379']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error: Expected a Redis URL like redis://host:6379/0 (rediss:// for TLS, redis://:password@host:6379/0 with a password) for --queue but received "http://:***@10.0.0.5:6379"');
    expect(bad.stderr).not.toContain('hunter2');
    const name = run(['worker', '--queue', 'redis://127.0.0.1:1/0', '--queue-name', 'a:b']);
    expect(name.status).toBe(1);
    expect(name.stderr).toContain('for --queue-name but received "a:b"');
    const { freePort } = await import('./helpers/redis.js');
    const url = `redis://127.0.0.1:${await freePort()}/0`;
    const gone = run(['queue', 'status', '--queue', url]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toBe(`error: QUEUE_UNREACHABLE: Cannot reach Redis at ${url} (ECONNREFUSED)\nhint: Start Redis there, or check the host and port in --queue and the firewall between the machines.\n`);
    const mixed = run(['batch', inA, '-o', path.join(tmp, 'mixed'), '--queue', url, '--workers', '2']);
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toContain("error: --workers does not go with --queue: the queue's workers reconstruct the photos\nhint: Drop --workers; set each worker's threads with `recon-daemon worker --queue … --concurrency N`.");
  });
});
