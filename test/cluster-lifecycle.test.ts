// Starting and stopping the queue's consumers: a worker stopped with SIGTERM finishes its photos (or, past its
// grace period, hands them back at once, for another worker); retries only for failures that say nothing about
// the photo; the daemon consumes a queue with its own workers (`start --queue`), says so in daemon.status and
// `recon-daemon status`, never puts its token into Redis, and starts even while Redis is down, picking the
// queue up when Redis arrives.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, heldBy, holdingTwoFaces, makeInputs, manifest, OUTPUT_ARGS, photoLines, startWorker, stateEntries, stopProc, workerName, type Proc } from './helpers/cluster.js';
import { runCli, startDaemon, waitFor, type TestDaemon } from './helpers/daemon.js';
import { casePath } from './helpers/paths.js';
import { freePort, startRedis, type TestRedis } from './helpers/redis.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-cluster-life-'));
const input = path.join(tmp, 'in');
let sources: string[] = [];
let redis: TestRedis;
const procs: Proc[] = [];
const daemons: TestDaemon[] = [];

beforeAll(async () => {
  redis = await startRedis();
  for (let c = 0; c < 3; c++) sources.push(...makeInputs(path.join(input, `set${c}`)).map((s) => `set${c}/${s}`));
  sources = sources.sort();
});

afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL')));
  await Promise.all(daemons.map((d) => d.stop()));
  for (const d of daemons) d.te.cleanup();
  await redis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function producer(out: string, queueName: string, from = input): Proc {
  const p = cli(['batch', from, '-o', out, '--queue', redis.url, '--queue-name', queueName, ...OUTPUT_ARGS, '--progress', 'lines', '--json']);
  procs.push(p);
  return p;
}

async function worker(queueName: string, extra: string[] = []): Promise<Proc> {
  const w = await startWorker(redis.url, ['--queue-name', queueName, ...extra]);
  procs.push(w);
  return w;
}

/** Every string in the Redis database, whatever its key type. */
function everythingInRedis(): string {
  const keys = redis.cli('--scan').split('\n').filter(Boolean);
  return keys
    .map((k) => {
      const type = redis.cli('type', k).trim();
      const read: Record<string, string[]> = { string: ['get', k], hash: ['hgetall', k], list: ['lrange', k, '0', '-1'], set: ['smembers', k], zset: ['zrange', k, '0', '-1'], stream: ['xrange', k, '-', '+'] };
      return `${k}\n${read[type] ? redis.cli(...read[type]) : ''}`;
    })
    .join('\n');
}

/** Wait until `queue status` shows `n` jobs of the queue waiting (queued, no worker has them). */
async function waitQueued(queueName: string, n: number): Promise<void> {
  await waitFor(`${n} job(s) to be queued`, async () => {
    const r = await runCli(['queue', 'status', '--queue', redis.url, '--queue-name', queueName, '--json'], process.env);
    return r.code === 0 && JSON.parse(r.stdout).jobs.waiting === n;
  }, 60_000);
}

describe('stopping a worker', () => {
  it('SIGTERM: the worker takes no new photo, finishes those in progress and exits 0; another worker does the rest', async () => {
    const a = await worker('term');
    const out = path.join(tmp, 'term');
    const p = producer(out, 'term');
    await holdingTwoFaces(redis, a, 'term', p);
    a.child.kill('SIGTERM');
    const { code } = await a.exited;
    expect(code, a.stderr()).toBe(0);
    expect(a.stderr()).toMatch(/^stopping: finishing the [12] photos? in progress \(at most 30s; Ctrl-C again hands them back to the queue now\)…$/m);
    expect(a.stderr()).toMatch(/stopped \(\d+ photos? done, 0 handed back, 0 given up\)/);
    // Its photos in progress were finished and reported, not dropped: the rest is left to the next worker.
    const doneByA = photoLines(a).length;
    expect(stateEntries(out).length).toBe(doneByA);
    expect(doneByA).toBeLessThan(sources.length);
    const b = await worker('term');
    expect((await p.exited).code, p.stderr()).toBe(0);
    expect(manifest(out).map((l) => l.source)).toEqual(sources);
    expect(photoLines(a).length + photoLines(b).length).toBe(sources.length);
    await stopProc(b);
  });

  it('SIGTERM past the grace period hands the photos in progress back at once: the other worker takes them without waiting for a lock to expire', async () => {
    const a = await worker('handback', ['--grace-ms', '0']);
    // Default 30 s locks: if A's photos were not handed back, B could only have them 30–60 s later.
    const b = await worker('handback');
    const out = path.join(tmp, 'handback');
    const p = producer(out, 'handback');
    await holdingTwoFaces(redis, a, 'handback', p);
    const t = Date.now();
    a.child.kill('SIGTERM');
    expect((await a.exited).code, a.stderr()).toBe(0);
    const handed = Number(/stopped \(\d+ photos? done, (\d+) handed back/.exec(a.stderr())?.[1]);
    expect(handed).toBeGreaterThanOrEqual(1);
    expect((await p.exited).code, p.stderr()).toBe(0);
    expect(Date.now() - t).toBeLessThan(25_000);
    expect(manifest(out).map((l) => l.source)).toEqual(sources);
    expect(manifest(out).every((l) => l.status !== 'failed' || l.error?.code !== 'CANCELLED')).toBe(true);
    await stopProc(b);
  });

  it('a photo taken but not yet reconstructed when the grace period ends is handed back, never reconstructed after the stop', async () => {
    const dir = path.join(tmp, 'late-in');
    fs.mkdirSync(dir, { recursive: true });
    const photo = path.join(dir, 'portrait.jpg');
    const bytes = fs.readFileSync(casePath('control_obama_official_portrait.jpg'));
    fs.writeFileSync(photo, bytes);
    const out = path.join(tmp, 'late-out');
    const p = producer(out, 'late', dir);
    await waitQueued('late', 1);
    // The photo becomes a pipe: the worker that takes it waits in its first read until the test writes the bytes,
    // so the stop lands exactly between taking the photo and reconstructing it.
    fs.rmSync(photo);
    execFileSync('mkfifo', [photo]);
    const a = await worker('late', ['--grace-ms', '0']);
    await waitFor('the worker to hold the photo', () => heldBy(redis, 'late', workerName(a)).length === 1, 60_000);
    a.child.kill('SIGTERM');
    await waitFor('the stop to begin', () => a.stderr().includes('stopping: finishing the 1 photo in progress'), 30_000);
    await fs.promises.writeFile(photo, bytes);
    // A regular file again, for whoever reads it next.
    fs.rmSync(photo);
    fs.writeFileSync(photo, bytes);
    expect((await a.exited).code, a.stderr()).toBe(0);
    expect(a.stderr()).toMatch(/stopped \(0 photos done, 1 handed back, 0 given up\)/);
    expect(stateEntries(out)).toEqual([]);
    const b = await worker('late');
    expect((await p.exited).code, p.stderr()).toBe(0);
    expect(manifest(out)).toMatchObject([{ source: 'portrait.jpg', status: 'ok' }]);
    expect(photoLines(b)).toHaveLength(1);
    await stopProc(b);
  });
});

describe('retries', () => {
  /** BullMQ's record of each job of a queue, by the photo's source. */
  function jobsBySource(queueName: string): Record<string, { attempts: number; failedReason: string }> {
    const keys = redis.cli('--scan', '--pattern', `recon:${queueName}:p-*`).split('\n').filter((k) => /^recon:[\w.-]+:p-[0-9a-f]+$/.test(k));
    return Object.fromEntries(
      keys.map((k) => [
        (JSON.parse(redis.cli('hget', k, 'data')) as { source: string }).source,
        { attempts: Number(redis.cli('hget', k, 'atm').trim() || 0), failedReason: redis.cli('hget', k, 'failedReason').trim() },
      ]),
    );
  }

  it('only for failures that say nothing about the photo: a vanished file is tried 3 times with backoff, then gets a line the next run retries; a photo without a face is tried once', async () => {
    const dir = path.join(tmp, 'retry-in');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(casePath('control_obama_official_portrait.jpg'), path.join(dir, 'portrait.jpg'));
    fs.copyFileSync(casePath('negative_coffee.png'), path.join(dir, 'coffee.png'));
    fs.copyFileSync(casePath('astronaut_eileen_collins.png'), path.join(dir, 'gone.png'));
    const goneSha = createHash('sha256').update(fs.readFileSync(path.join(dir, 'gone.png'))).digest('hex');
    const out = path.join(tmp, 'retry-out');
    // No worker yet: the three jobs wait in the queue, then one photo disappears from the shared storage.
    const p = producer(out, 'retry', dir);
    await waitQueued('retry', 3);
    fs.rmSync(path.join(dir, 'gone.png'));
    const w = await worker('retry');
    const t = Date.now();
    expect((await p.exited).code, p.stderr()).toBe(0);
    // Backoff: tries 2 s and 4 s apart.
    expect(Date.now() - t).toBeGreaterThan(5500);
    const by = Object.fromEntries(manifest(out).map((l) => [l.source, l]));
    expect(by['portrait.jpg']).toMatchObject({ status: 'ok' });
    expect(by['coffee.png']).toMatchObject({ status: 'failed', error: { code: 'NO_FACE' } });
    expect(by['gone.png']).toMatchObject({ status: 'failed', verdict: 'fail', sha256: goneSha, codes: ['FILE_NOT_FOUND'], outputs: {}, error: { code: 'FILE_NOT_FOUND' } });
    expect(by['gone.png'].error!.message).toBe(`No file at ${path.join(dir, 'gone.png')} on ${os.hostname()} (moved or deleted, or the shared storage is not mounted at the same path here)`);
    const jobs = jobsBySource('retry');
    expect(jobs['gone.png'].attempts).toBe(3);
    expect(jobs['coffee.png'].attempts).toBe(1);
    expect(jobs['portrait.jpg'].attempts).toBe(1);
    // Nothing was committed for it, so nothing about it is trusted: once the file is back, the next run does it.
    expect(stateEntries(out).map((e) => e.source).sort()).toEqual(['coffee.png', 'portrait.jpg']);
    // The worker said what it was doing.
    const said = w.stderr().split('\n').filter((l) => l.includes(' gone.png '));
    expect(said.map((l) => l.split(/\s+/)[1])).toEqual(['retry', 'retry', 'failed']);
    expect(said[0]).toContain('FILE_NOT_FOUND: No file at');
    expect(said[0]).toContain('(try 1 of 3; again soon, on any worker)');
    expect(said[2]).toContain('(try 3 of 3; the next run of the batch tries again)');
    fs.copyFileSync(casePath('astronaut_eileen_collins.png'), path.join(dir, 'gone.png'));
    const again = producer(out, 'retry', dir);
    expect((await again.exited).code, again.stderr()).toBe(0);
    expect(JSON.parse(again.stdout().trim().split('\n').pop()!).run).toMatchObject({ processed: 1, skipped: 2 });
    expect(manifest(out).find((l) => l.source === 'gone.png')).toMatchObject({ status: 'ok', sha256: goneSha });
    await stopProc(w);
  });
});

describe('the daemon as a worker (start --queue)', () => {
  it('consumes the queue with its workers, says so in daemon.status and `status`, and never puts its token into Redis', async () => {
    const d = await startDaemon(['--queue', redis.url, '--queue-name', 'daemon']);
    daemons.push(d);
    const c = await d.connect();
    try {
      const s = await c.request('daemon.status', {});
      expect(s.queueConsumer).toMatchObject({ queue: redis.url, queueName: 'daemon', connection: 'up', active: 0, completed: 0, failed: 0, handedBack: 0 });
      expect(s.queueConsumer!.worker).toMatch(/-\d+-daemon$/);
      const out = path.join(tmp, 'daemon');
      const small = path.join(input, 'set0');
      const p = producer(out, 'daemon', small);
      expect((await p.exited).code, p.stderr()).toBe(0);
      const lines = manifest(out);
      const by = Object.fromEntries(lines.map((l) => [l.source, l]));
      expect(lines).toHaveLength(sources.length / 3);
      expect(by['cases/control_obama_official_portrait.jpg']).toMatchObject({ status: 'ok', verdict: 'pass' });
      expect(by['cases/negative_coffee.png']).toMatchObject({ status: 'failed', error: { code: 'NO_FACE' } });
      expect(by['broken/truncated.jpg']).toMatchObject({ status: 'failed', error: { code: 'IMAGE_DECODE_FAILED' } });
      for (const l of lines) for (const f of Object.values(l.outputs)) expect(fs.statSync(path.join(out, f)).size, f).toBeGreaterThan(0);
      const after = await c.request('daemon.status', {});
      expect(after.queueConsumer).toMatchObject({ connection: 'up', completed: lines.length, active: 0 });
      // Each photo was an ordinary job of the daemon; its folder moved into the batch, none left behind.
      expect(after.jobs.completed + after.jobs.failed).toBeGreaterThanOrEqual(lines.length);
      expect(fs.readdirSync(after.outputRoot)).toEqual([]);
      const text = await runCli(['status'], d.te.env);
      expect(text.stdout).toContain(`  cluster:  takes photos from the queue "daemon" on ${redis.url} as ${s.queueConsumer!.worker}: connected, 0 in progress, ${lines.length} done, 0 given up`);
      // Redis holds paths and manifest lines, never the daemon's token.
      const all = everythingInRedis();
      expect(all).toContain(small);
      expect(all).not.toContain(d.token);
    } finally {
      await c.close();
    }
    expect(await d.stop()).toBe(0);
  });

  it('starts while Redis is down, says why in daemon.status, and takes photos once Redis is there', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}/0`;
    const d = await startDaemon(['--queue', url]);
    daemons.push(d);
    const c = await d.connect();
    try {
      const down = await waitFor('the consumer to report the outage', async () => {
        const q = (await c.request('daemon.status', {})).queueConsumer;
        return q?.connection === 'down' ? q : undefined;
      });
      expect(down).toMatchObject({ queue: url, queueName: 'recon-batch', error: { code: 'QUEUE_UNREACHABLE', message: `Cannot reach Redis at ${url} (ECONNREFUSED)` } });
      expect(down.error!.hint).toMatch(/^Start Redis there/);
      const text = await runCli(['status'], d.te.env);
      expect(text.stdout).toMatch(/cluster: {2}takes photos from the queue "recon-batch" on redis:\/\/127\.0\.0\.1:\d+\/0 as \S+: down, 0 in progress, 0 done, 0 given up\n {12}QUEUE_UNREACHABLE: Cannot reach Redis/);
      const late = await startRedis({ port });
      try {
        await waitFor('the consumer to connect', async () => (await c.request('daemon.status', {})).queueConsumer?.connection === 'up', 30_000);
        const out = path.join(tmp, 'late');
        const p = cli(['batch', path.join(input, 'set0', 'cases'), '-o', out, '--queue', url, ...OUTPUT_ARGS, '--json']);
        procs.push(p);
        expect((await p.exited).code, p.stderr()).toBe(0);
        expect(manifest(out).length).toBeGreaterThan(5);
      } finally {
        await d.stop();
        await late.dispose();
      }
    } finally {
      await c.close();
    }
  });

  it('a daemon without --queue reports queueConsumer: null', async () => {
    const d = await startDaemon();
    daemons.push(d);
    const c = await d.connect();
    try {
      expect((await c.request('daemon.status', {})).queueConsumer).toBeNull();
    } finally {
      await c.close();
    }
  });
});
