// One watched connection to Redis, shared by a process's BullMQ objects (BullMQ duplicates it for its blocking
// reads). When Redis goes away, commands wait in ioredis's offline queue, the connection retries with
// exponential backoff (0.25 s doubling to 10 s, with jitter), and the process says so once, with the code and a
// hint, then every 30 s while it lasts, then once more when Redis is back. A wrong password or an untrusted
// certificate is not retried: the connection is marked failed, and its owner reports `lastError` and stops.
import { Redis } from 'ioredis';
import { queueErrorOf, QueueError } from './errors.js';
import type { QueueTarget } from './target.js';

export type ConnectionState = 'connecting' | 'up' | 'down' | 'failed' | 'closed';

export interface ConnectionOptions {
  /** Where state changes are told, one line each (stderr, the daemon log…). */
  log?: (line: string) => void;
  /** One attempt, no retries (`queue status`): fail at once when Redis cannot be reached. */
  once?: boolean;
  /** CLIENT SETNAME of this connection (BullMQ names its own). */
  connectionName?: string;
}

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10_000;
const REMIND_EVERY_MS = 30_000;

/** Delay before reconnect attempt `n` (1, 2, …): doubling from 0.25 s to 10 s, ±20 % so workers do not reconnect in step. */
export function backoffMs(n: number, random = Math.random()): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, n - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}

const seconds = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`);

export class QueueConnection {
  readonly redis: Redis;
  private stateNow: ConnectionState = 'connecting';
  private error: QueueError | undefined;
  private downSince = 0;
  private lastRemind = 0;
  private nextDelay = 0;
  private readonly listeners = new Set<(s: ConnectionState) => void>();
  private readonly duplicates: Redis[] = [];

  constructor(
    readonly target: QueueTarget,
    private readonly o: ConnectionOptions = {},
  ) {
    this.redis = new Redis({
      ...target.redis,
      // BullMQ requires it: a command waits for the connection to come back instead of failing.
      maxRetriesPerRequest: o.once ? 0 : null,
      enableOfflineQueue: true,
      connectTimeout: o.once ? 5000 : 10_000,
      lazyConnect: false,
      ...(o.connectionName ? { connectionName: o.connectionName } : {}),
      retryStrategy: (times) => {
        if (this.stateNow === 'failed' || this.stateNow === 'closed' || o.once) return null;
        this.nextDelay = backoffMs(times);
        return this.nextDelay;
      },
    });
    this.redis.on('error', (e: unknown) => this.onError(e));
    this.redis.on('ready', () => this.onReady());
    this.redis.on('end', () => {
      if (this.stateNow !== 'failed' && this.stateNow !== 'closed') this.set(o.once ? 'failed' : 'down');
    });
  }

  get state(): ConnectionState {
    return this.stateNow;
  }

  /** The error that made the connection down or failed; undefined while it is up. */
  get lastError(): QueueError | undefined {
    return this.error;
  }

  onChange(listener: (s: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(s: ConnectionState): void {
    if (this.stateNow === s) return;
    this.stateNow = s;
    for (const l of [...this.listeners]) l(s);
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  private onError(e: unknown): void {
    if (this.stateNow === 'closed' || this.stateNow === 'failed') return;
    const err = queueErrorOf(e, this.target.display);
    this.error = err;
    if (!err.transient && err.code !== 'QUEUE_ERROR') {
      // Not worth retrying (password, certificate): whoever waits on this connection says so and stops.
      this.set('failed');
      this.redis.disconnect(false);
      for (const d of this.duplicates) d.disconnect(false);
      return;
    }
    if (err.code === 'QUEUE_ERROR') {
      // A command's error reply, not the connection's: the caller of that command hears about it.
      return;
    }
    const now = Date.now();
    if (this.stateNow !== 'down') {
      this.downSince = now;
      this.lastRemind = now;
      const wasUp = this.stateNow === 'up';
      this.set('down');
      if (!this.o.once) {
        this.log(
          `${wasUp ? 'Redis went away' : 'Redis not reachable'}: ${err.message}\nhint: ${err.hint}\n` +
            `retrying with backoff (0.25s doubling to ${seconds(BACKOFF_MAX_MS)}); photos in progress are kept`,
        );
      }
    } else if (now - this.lastRemind >= REMIND_EVERY_MS) {
      this.lastRemind = now;
      this.log(`still cannot reach Redis at ${this.target.display} after ${seconds(now - this.downSince)} (${err.code}); next try in ${seconds(this.nextDelay || BACKOFF_MAX_MS)}`);
    }
  }

  private onReady(): void {
    if (this.stateNow === 'down') this.log(`Redis at ${this.target.display} is back after ${seconds(Date.now() - this.downSince)}; carrying on`);
    this.error = undefined;
    this.set('up');
  }

  /** Resolves once connected; rejects with a QueueError when the connection failed for good (or, with `once`, at all). */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.stateNow === 'up') resolve();
        else if (this.stateNow === 'failed' || this.stateNow === 'closed' || (this.o.once && this.stateNow === 'down')) {
          reject(this.error ?? new QueueError('QUEUE_UNREACHABLE', `Cannot reach Redis at ${this.target.display}`, 'Check --queue.'));
        } else return false;
        return true;
      };
      if (check()) return;
      const off = this.onChange(() => {
        if (check()) off();
      });
    });
  }

  /** A second connection with the same settings (for blocking reads), closed with this one. */
  duplicate(): Redis {
    const d = this.redis.duplicate();
    d.on('error', () => undefined); // reported through the primary connection
    this.duplicates.push(d);
    return d;
  }

  async close(): Promise<void> {
    if (this.stateNow === 'closed') return;
    this.set('closed');
    const quit = async (r: Redis) => {
      if (r.status === 'ready') await Promise.race([r.quit().catch(() => undefined), new Promise((res) => setTimeout(res, 1000).unref())]);
      r.disconnect(false);
    };
    await Promise.all([...this.duplicates, this.redis].map(quit));
  }
}
