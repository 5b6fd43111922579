// The queue's pure parts: reading --queue URLs (and hiding passwords), naming Redis errors, the reconnect
// backoff, job ids as idempotency keys, and the checks a worker makes on every job before acting on it.
import { describe, expect, it } from 'vitest';
import { optionsKey, resolveBatchOptions } from '../src/batch/options.js';
import { backoffMs } from '../src/cluster/connection.js';
import { queueErrorOf } from '../src/cluster/errors.js';
import { commitLockId, JOB_VERSION, parsePhotoJob, photoJobId, type PhotoJobData } from '../src/cluster/job.js';
import { errorOfFailure } from '../src/cluster/producer.js';
import { checkQueueName, exposureWarning, parseQueueTarget, redactUrl } from '../src/cluster/target.js';

describe('--queue URLs', () => {
  it('reads host, port, database, user, password and TLS, and shows the URL with the password hidden', () => {
    const t = parseQueueTarget('rediss://render:p%40ss%3Aword@redis.studio.lan:6380/3', 'shoot-42', {});
    expect(t).toMatchObject({ display: 'rediss://render:***@redis.studio.lan:6380/3', name: 'shoot-42', tls: true, authenticated: true, loopback: false });
    expect(t.redis).toEqual({ host: 'redis.studio.lan', port: 6380, db: 3, username: 'render', password: 'p@ss:word', tls: { servername: 'redis.studio.lan' } });
    expect(parseQueueTarget('redis://127.0.0.1', undefined, {})).toMatchObject({ display: 'redis://127.0.0.1', name: 'recon-batch', tls: false, authenticated: false, loopback: true, redis: { host: '127.0.0.1', port: 6379, db: 0 } });
    expect(parseQueueTarget('redis://[::1]:7000/1', undefined, {}).redis).toMatchObject({ host: '::1', port: 7000, db: 1 });
  });

  it('takes the password from RECON_QUEUE_PASSWORD when the URL has none', () => {
    const t = parseQueueTarget('redis://10.0.0.5:6379/0', undefined, { RECON_QUEUE_PASSWORD: 'from-env' });
    expect(t.redis.password).toBe('from-env');
    expect(t.authenticated).toBe(true);
    expect(t.display).toBe('redis://10.0.0.5:6379/0');
  });

  it('refuses what is not a Redis URL, with the expected form and the password hidden', () => {
    const expected = 'Expected a Redis URL like redis://host:6379/0 (rediss:// for TLS, redis://:password@host:6379/0 with a password) for --queue but received';
    expect(() => parseQueueTarget('http://:secret@host:6379', undefined, {})).toThrow(`${expected} "http://:***@host:6379"`);
    expect(() => parseQueueTarget('localhost:6379', undefined, {})).toThrow(expected);
    expect(() => parseQueueTarget('redis://host:6379/zero', undefined, {})).toThrow('the path is the database number');
    expect(() => parseQueueTarget('redis://host:6379/0?password=x', undefined, {})).toThrow('without a query or fragment');
    expect(redactUrl('not a url //user:pw@x')).toBe('not a url //***@x');
  });

  it('checks queue names: they become Redis key parts', () => {
    expect(checkQueueName('studio_A.shoot-42')).toBe('studio_A.shoot-42');
    for (const bad of ['', 'a:b', 'has space', '-lead', 'x'.repeat(65), 'a*']) expect(() => checkQueueName(bad), bad).toThrow('for --queue-name but received');
  });

  it('warns about a Redis on the network without a password or TLS, and only then', () => {
    expect(exposureWarning(parseQueueTarget('redis://10.0.0.5:6379/0', undefined, {}))).toBe(
      'warning: Redis at redis://10.0.0.5:6379/0 is used without a password or TLS: anyone who can reach it can read the photo paths in the queue and make workers write files (docs/cluster.md#security)',
    );
    expect(exposureWarning(parseQueueTarget('redis://:pw@10.0.0.5:6379/0', undefined, {}))).toBeUndefined();
    expect(exposureWarning(parseQueueTarget('rediss://10.0.0.5:6379/0', undefined, {}))).toBeUndefined();
    expect(exposureWarning(parseQueueTarget('redis://localhost:6379/0', undefined, {}))).toBeUndefined();
  });
});

describe('Redis errors', () => {
  const at = 'redis://10.0.0.5:6379/0';
  it('names each kind with a code, the server and a hint; only unreachable is worth retrying', () => {
    const refused = queueErrorOf(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6379'), { code: 'ECONNREFUSED' }), at);
    expect(refused).toMatchObject({ code: 'QUEUE_UNREACHABLE', message: `QUEUE_UNREACHABLE: Cannot reach Redis at ${at} (ECONNREFUSED)`, transient: true });
    expect(queueErrorOf(Object.assign(new Error('getaddrinfo ENOTFOUND redis.lan'), { code: 'ENOTFOUND' }), at).detail).toBe(`Cannot reach Redis at ${at} (its host name does not resolve)`);
    expect(queueErrorOf(new Error('WRONGPASS invalid username-password pair or user is disabled.'), at)).toMatchObject({ code: 'QUEUE_AUTH_FAILED', transient: false });
    expect(queueErrorOf(new Error('NOAUTH Authentication required.'), at).detail).toBe(`Redis at ${at} requires a password and none was given`);
    const tls = queueErrorOf(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), at);
    expect(tls).toMatchObject({ code: 'QUEUE_TLS_FAILED', transient: false });
    expect(tls.hint).toContain('NODE_EXTRA_CA_CERTS');
    expect(queueErrorOf(new Error('ERR unknown command'), at).code).toBe('QUEUE_ERROR');
  });

  it('reconnects after 0.25 s, doubling to 10 s, with ±20 % jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffMs(n, 0.5))).toEqual([250, 500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(backoffMs(1, 0)).toBe(200);
    expect(backoffMs(10, 1)).toBe(12000);
  });

  it("turns a worker's failure reason into a manifest error", () => {
    expect(errorOfFailure('OUTPUT_NOT_SHARED: This worker (b) cannot see the batch\'s output folder /data/out')).toEqual({
      code: 'OUTPUT_NOT_SHARED',
      message: "This worker (b) cannot see the batch's output folder /data/out",
      hint: 'Mount the shared storage at the same path on every worker (docs/cluster.md), then run the batch again.',
    });
    expect(errorOfFailure('job stalled more than allowable limit')).toMatchObject({ code: 'INTERNAL_ERROR', message: 'The workers doing this photo stopped before finishing it, several times (killed or crashed)' });
    expect(errorOfFailure('boom')).toMatchObject({ code: 'INTERNAL_ERROR', message: 'A worker failed on this photo: boom' });
  });
});

describe('photo jobs', () => {
  const options = resolveBatchOptions({ outputs: ['crop', 'structure'] });
  const job: PhotoJobData = {
    v: JOB_VERSION,
    outDir: '/data/out',
    source: 'trip/IMG_0001.jpg',
    abs: '/data/photos/trip/IMG_0001.jpg',
    sha256: 'a'.repeat(64),
    name: 'trip/IMG_0001',
    options,
    optionsKey: optionsKey(options),
    version: '0.1.0',
    producer: { host: 'render-1', pid: 42 },
  };

  it('ids are the idempotency key: same photo, bytes, options and output folder → same id; any change → another', () => {
    const id = photoJobId(job.outDir, job.source, job.sha256, job.optionsKey);
    expect(id).toMatch(/^p-[0-9a-f]{40}$/);
    expect(photoJobId(job.outDir, job.source, job.sha256, job.optionsKey)).toBe(id);
    for (const other of [
      photoJobId('/data/out2', job.source, job.sha256, job.optionsKey),
      photoJobId(job.outDir, 'trip/IMG_0002.jpg', job.sha256, job.optionsKey),
      photoJobId(job.outDir, job.source, 'b'.repeat(64), job.optionsKey),
      photoJobId(job.outDir, job.source, job.sha256, '0'.repeat(16)),
      photoJobId(job.outDir, job.source, job.sha256, job.optionsKey, 'redo-nonce'),
    ]) expect(other).not.toBe(id);
    // One commit lock per photo in a folder, whatever its bytes or options.
    expect(commitLockId(job.outDir, job.source)).toBe(commitLockId('/data/out', 'trip/IMG_0001.jpg'));
    expect(commitLockId(job.outDir, job.source)).not.toBe(commitLockId(job.outDir, 'trip/IMG_0002.jpg'));
  });

  it('a worker accepts a well-formed job and refuses one that would write outside its folder or does not add up', () => {
    expect(parsePhotoJob(JSON.parse(JSON.stringify(job)))).toEqual(job);
    const bad: Array<[Partial<PhotoJobData> & Record<string, unknown>, string]> = [
      [{ name: '../../etc/cron.d/x' }, 'name: a relative path without ".."'],
      [{ source: '/etc/passwd' }, 'source: a relative path without ".."'],
      [{ outDir: 'relative/out' }, 'outDir: an absolute path'],
      [{ sha256: 'xyz' }, 'sha256'],
      [{ v: 2 as never }, 'v'],
      [{ optionsKey: '0123456789abcdef' }, 'its options do not give its options key'],
      [{ options: { ...options, size: 5 } }, 'options: Expected integer 128–1024 for --size but received 5'],
    ];
    for (const [change, message] of bad) expect(() => parsePhotoJob({ ...job, ...change }), message).toThrow(message);
  });
});
