// `batch --queue` with `worker` processes on a real redis-server: the queue run leaves exactly what a local batch
// of the same photos leaves, also when a worker is killed outright mid-run (BullMQ's stalled-job check gives its
// photos to the other worker), when the producer is killed and started again (it re-attaches to the run), and
// when Redis itself dies mid-run and comes back empty.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, expectSameAsLocal, holdingTwoFaces, makeInputs, manifest, OUTPUT_ARGS, photoLines, startWorker, stateEntries, stopProc, type Proc } from './helpers/cluster.js';
import { bin, waitFor } from './helpers/daemon.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-cluster-'));
const input = path.join(tmp, 'in');
const local = path.join(tmp, 'local');
let sources: string[] = [];
let redis: TestRedis;
const workers: Proc[] = [];

/** Three copies of every photo and broken file: long enough a run to interrupt it. */
const COPIES = 3;

beforeAll(async () => {
  redis = await startRedis();
  for (let c = 0; c < COPIES; c++) sources.push(...makeInputs(path.join(input, `set${c}`)).map((s) => `set${c}/${s}`));
  sources = sources.sort();
  const r = spawnSync(process.execPath, [bin, 'batch', input, '-o', local, '--embedded', '--workers', '2', ...OUTPUT_ARGS, '--json'], { encoding: 'utf8', timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(manifest(local).map((l) => l.source)).toEqual(sources);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => stopProc(w, 'SIGKILL')));
  await redis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function twoWorkers(queueName: string, extra: string[] = []): Promise<[Proc, Proc]> {
  const ws = await Promise.all([0, 1].map(() => startWorker(redis.url, ['--queue-name', queueName, ...extra])));
  workers.push(...ws);
  return ws as [Proc, Proc];
}

function producer(out: string, queueName: string): Proc {
  return cli(['batch', input, '-o', out, '--queue', redis.url, '--queue-name', queueName, ...OUTPUT_ARGS, '--progress', 'lines', '--json']);
}

function summaryOf(p: Proc): Record<string, any> {
  return JSON.parse(p.stdout().trim().split('\n').pop()!) as Record<string, any>;
}

describe('batch --queue with worker processes', () => {
  it('a producer and 2 workers write the same manifest and the same files as a local batch', async () => {
    const [a, b] = await twoWorkers('same');
    const out = path.join(tmp, 'q-same');
    const p = producer(out, 'same');
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expectSameAsLocal(out, local);
    const s = summaryOf(p);
    expect(s).toMatchObject({ complete: true, photos: sources.length, run: { runner: 'queue', processed: sources.length, skipped: 0, pending: 0 } });
    expect(s.run.description).toBe(`the queue "same" on ${redis.url}, 2 workers connected`);
    // The progress lines come from the queue's results, as a local batch's do.
    expect(p.stderr()).toMatch(new RegExp(`^\\[ *${sources.length}/${sources.length} 100% `, 'm'));
    // Both workers took part, and between them did every photo once.
    expect(photoLines(a).length).toBeGreaterThan(0);
    expect(photoLines(b).length).toBeGreaterThan(0);
    expect(photoLines(a).length + photoLines(b).length).toBe(sources.length);
    // Typed errors kept: the broken files fail with the engine's codes and hints, as locally.
    const byName = Object.fromEntries(manifest(out).map((l) => [l.source, l]));
    expect(byName['set0/broken/empty.jpg'].error).toMatchObject({ code: 'IMAGE_DECODE_FAILED' });
    expect(byName['set0/cases/negative_coffee.png'].error).toMatchObject({ code: 'NO_FACE' });

    // Run again: every photo is skipped by its state, nothing goes to the queue.
    const again = producer(out, 'same');
    expect((await again.exited).code, again.stderr()).toBe(0);
    expect(summaryOf(again).run).toMatchObject({ processed: 0, skipped: sources.length });
    expect(photoLines(a).length + photoLines(b).length).toBe(sources.length);
    await Promise.all([stopProc(a), stopProc(b)]);
  });

  it('a worker killed with SIGKILL mid-run: its photos go to the other worker, each photo once, complete, no partial files', async () => {
    // Short locks: a killed worker's photos are free again after ~2 s instead of 30.
    const [a, b] = await twoWorkers('kill', ['--lock-ms', '2000']);
    const out = path.join(tmp, 'q-kill');
    const p = producer(out, 'kill');
    await holdingTwoFaces(redis, a, 'kill', p);
    const committed = stateEntries(out).length;
    a.child.kill('SIGKILL');
    await a.exited;
    // The run was not over: the killed worker held photos (it always holds its next one too).
    expect(committed).toBeLessThan(sources.length - 4);
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expectSameAsLocal(out, local);
    expect(summaryOf(p)).toMatchObject({ complete: true, photos: sources.length });
    // The survivor did everything the killed worker did not report.
    const doneByA = new Set(photoLines(a).map((l) => l.split(/\s+/)[2]));
    const doneByB = photoLines(b).map((l) => l.split(/\s+/)[2]);
    expect(new Set([...doneByA, ...doneByB])).toEqual(new Set(sources));
    // And it was BullMQ's stalled-job check that freed them: jobs of this queue were moved back after the kill.
    const jobKeys = redis.cli('--scan', '--pattern', 'recon:kill:p-*').split('\n').filter((k) => /^recon:kill:p-[0-9a-f]+$/.test(k));
    expect(jobKeys.length).toBe(sources.length);
    const stalled = jobKeys.filter((k) => Number(redis.cli('hget', k, 'stc').trim() || 0) > 0);
    expect(stalled.length).toBeGreaterThan(0);
    await stopProc(b);
  });

  it('the producer killed mid-run and started again picks the run up: what the workers did meanwhile is kept, nothing is doubled', async () => {
    const [a, b] = await twoWorkers('restart');
    const out = path.join(tmp, 'q-restart');
    const first = producer(out, 'restart');
    await waitFor('a few photos committed', () => stateEntries(out).length >= 4 || first.child.exitCode !== null, 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(stateEntries(out).length).toBeLessThan(sources.length);
    // The workers carry on with the photos already queued while no producer listens.
    await new Promise((r) => setTimeout(r, 1500));
    const before = stateEntries(out).length;

    const second = producer(out, 'restart');
    const { code } = await second.exited;
    expect(code, second.stderr()).toBe(0);
    const s = summaryOf(second);
    expect(s).toMatchObject({ complete: true, photos: sources.length });
    expect(s.run.skipped).toBeGreaterThanOrEqual(before);
    expect(s.run.processed + s.run.skipped).toBe(sources.length);
    expectSameAsLocal(out, local);
    // Re-attached rather than re-queued: no photo was reconstructed twice.
    const lines = [...photoLines(a), ...photoLines(b)].filter((l) => !/ done +\S+ +already done/.test(l));
    expect(lines.length).toBe(sources.length);
    await Promise.all([stopProc(a), stopProc(b)]);
  });

  it('Redis killed mid-run: producer and workers say so with code and hint, retry with backoff, carry on when it is back, and nothing is lost', async () => {
    const [a, b] = await twoWorkers('outage', ['--lock-ms', '3000']);
    const out = path.join(tmp, 'q-outage');
    const p = producer(out, 'outage');
    await waitFor('a few photos committed', () => stateEntries(out).length >= 4 || p.child.exitCode !== null, 120_000);
    // SIGKILL, no persistence: Redis comes back empty, every queued job and result gone.
    await redis.kill();
    await waitFor('everyone to notice', () => [p, a, b].every((x) => x.stderr().includes('QUEUE_UNREACHABLE')), 30_000);
    expect(stateEntries(out).length).toBeLessThan(sources.length);
    await new Promise((r) => setTimeout(r, 2500));
    await redis.start();
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expectSameAsLocal(out, local);
    expect(summaryOf(p)).toMatchObject({ complete: true, photos: sources.length });
    for (const x of [p, a, b]) {
      const said = x.stderr();
      expect(said).toMatch(/Redis went away: QUEUE_UNREACHABLE: Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0 \(\w+\)\nhint: Start Redis there, or check the host and port in --queue and the firewall between the machines\. recon-daemon keeps retrying with backoff and carries on when Redis is back\.\nretrying with backoff/);
      expect(said).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is back after [\d.]+s; carrying on/);
      // Told once per outage, not once per retry.
      expect(said.match(/Redis went away/g)).toHaveLength(1);
    }
    await Promise.all([stopProc(a), stopProc(b)]);
  });
});
