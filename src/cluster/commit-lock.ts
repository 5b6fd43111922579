// A short Redis lock around one photo's commit, so two workers that hold the same photo (a slow worker whose job
// BullMQ thought stalled and gave to another, or two producers' jobs for one file) never interleave their renames.
// Under the lock the worker rereads the photo's state file: if a twin has committed it meanwhile, it keeps that
// and throws its own copy away. The lock expires by itself (a worker killed while holding it blocks nobody for
// long); a commit is a few renames, far shorter than the expiry.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class CommitLocks {
  constructor(
    private readonly redis: Redis,
    /** Key prefix, e.g. `recon:<queue>:commit:`. */
    private readonly prefix: string,
    private readonly ttlMs = 120_000,
    private readonly pollMs = 100,
  ) {}

  async with<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const key = this.prefix + id;
    const token = randomBytes(12).toString('hex');
    // While Redis is away this waits (the connection retries); the photo stays uncommitted meanwhile.
    while ((await this.redis.set(key, token, 'PX', this.ttlMs, 'NX')) !== 'OK') {
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
    try {
      return await fn();
    } finally {
      await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    }
  }
}
