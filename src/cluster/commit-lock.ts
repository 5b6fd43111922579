// A short Redis lock around one photo's commit, so two workers that hold the same photo (a slow worker whose job
// BullMQ thought stalled and gave to another, or two producers' jobs for one file) never interleave their renames.
// Under the lock the worker rereads the photo's state file: if a twin has committed it meanwhile, it keeps that
// and throws its own copy away. The lock lives a few seconds and its holder renews it while the commit runs
// (a commit on slow shared storage may take longer than one period), so a worker killed while holding it
// blocks the photo's other worker for one period at most, never minutes.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** How long a commit lock outlives its holder's last sign of life. */
export const COMMIT_LOCK_TTL_MS = 6_000;

export class CommitLocks {
  constructor(
    private readonly redis: Redis,
    /** Key prefix, e.g. `recon:<queue>:commit:`. */
    private readonly prefix: string,
    private readonly ttlMs = COMMIT_LOCK_TTL_MS,
    private readonly pollMs = 100,
  ) {}

  async with<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const key = this.prefix + id;
    const token = randomBytes(12).toString('hex');
    // While Redis is away this waits (the connection retries); the photo stays uncommitted meanwhile.
    while ((await this.redis.set(key, token, 'PX', this.ttlMs, 'NX')) !== 'OK') {
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
    const renew = setInterval(() => void this.redis.eval(RENEW, 1, key, token, String(this.ttlMs)).catch(() => undefined), Math.max(50, Math.floor(this.ttlMs / 3)));
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    }
  }
}
