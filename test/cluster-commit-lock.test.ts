// The commit lock on a real redis-server: a holder that died (its key left behind, never released) blocks the
// photo's other worker for one lock period, not minutes; a live holder keeps the lock however long its commit
// takes; and two holders never overlap.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitLocks } from '../src/cluster/commit-lock.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
  await client.connect();
});

afterAll(async () => {
  client?.disconnect();
  await redis?.dispose();
});

describe('the commit lock', () => {
  it('a worker killed while holding it blocks the next one for one lock period at most', async () => {
    const locks = new CommitLocks(client, 'test:commit:', 1_000, 20);
    // What a killed worker leaves: the key with its token and the period it last set, never released.
    await client.set('test:commit:photo', 'dead-worker', 'PX', 1_000);
    const t0 = Date.now();
    const got = await locks.with('photo', async () => Date.now() - t0);
    expect(got).toBeGreaterThanOrEqual(700);
    expect(got).toBeLessThan(2_000);
    expect(await client.exists('test:commit:photo')).toBe(0);
  });

  it('a live holder keeps it past its period while its commit runs, and the other waits for the release', async () => {
    const locks = new CommitLocks(client, 'test:commit:', 600, 20);
    const order: string[] = [];
    const first = locks.with('slow', async () => {
      order.push('first in');
      await new Promise((r) => setTimeout(r, 2_000));
      order.push('first out');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = locks.with('slow', async () => {
      order.push('second in');
    });
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(await client.exists('test:commit:slow')).toBe(0);
  });
});
