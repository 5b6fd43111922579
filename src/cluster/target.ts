// Which queue: a Redis URL (`redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS) and a queue
// name. Parsed and checked once, with the CLI's wording; the password never appears in anything printed
// (`display` hides it) and may come from RECON_QUEUE_PASSWORD instead of the URL, so it stays out of `ps`.
//
// Every Redis key of a queue starts with `recon:<queue name>:` (BullMQ's prefix and queue name, plus the commit
// locks), so studios or projects sharing one Redis never see each other's jobs: give each its own --queue-name
// (and, with Redis ACLs, a user allowed only `~recon:<name>:*`).
import net from 'node:net';
import type { RedisOptions } from 'ioredis';
import { invalidOption } from '../recon/errors.js';
import { isLoopbackHost } from '../server/config.js';

/** BullMQ's key prefix for every queue of recon-daemon. */
export const KEY_PREFIX = 'recon';
export const DEFAULT_QUEUE_NAME = 'recon-batch';
export const PASSWORD_ENV = 'RECON_QUEUE_PASSWORD';

export interface QueueTarget {
  /** The URL without its password, for messages: `redis://:***@10.0.0.5:6379/0`. */
  display: string;
  /** BullMQ queue name (the `--queue-name`). */
  name: string;
  tls: boolean;
  /** A password is set (in the URL or the environment). */
  authenticated: boolean;
  /** Redis on this machine (127.0.0.1, ::1, localhost). */
  loopback: boolean;
  /** ioredis connection options. */
  redis: RedisOptions;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EXAMPLE = 'a Redis URL like redis://host:6379/0 (rediss:// for TLS, redis://:password@host:6379/0 with a password)';

/** The URL as it may be shown: password replaced by `***`. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    // Not a URL: hide anything between "//" and "@" (where a password would be).
    return raw.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export function checkQueueName(name: string): string {
  if (!NAME.test(name)) throw invalidOption('--queue-name', 'letters, digits, ".", "_" or "-" (1–64 characters, starting with a letter or digit)', name);
  return name;
}

export function parseQueueTarget(raw: string, name: string = DEFAULT_QUEUE_NAME, env: NodeJS.ProcessEnv = process.env): QueueTarget {
  const shown = redactUrl(String(raw));
  let u: URL;
  try {
    u = new URL(String(raw));
  } catch {
    throw invalidOption('--queue', EXAMPLE, shown);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw invalidOption('--queue', EXAMPLE, shown);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalidOption('--queue', EXAMPLE, shown);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  if (!/^\d{0,5}$/.test(dbText)) throw invalidOption('--queue', `${EXAMPLE}; the path is the database number`, shown);
  if (u.search || u.hash) throw invalidOption('--queue', `${EXAMPLE}, without a query or fragment`, shown);
  const db = dbText ? Number(dbText) : 0;
  const password = u.password ? decodeURIComponent(u.password) : env[PASSWORD_ENV] || undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const tls = u.protocol === 'rediss:';
  return {
    display: shown,
    name: checkQueueName(name),
    tls,
    authenticated: password !== undefined,
    loopback: isLoopbackHost(host),
    redis: {
      host,
      port,
      db,
      ...(username ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      // Certificates are checked against the host name (Node's trust store, plus NODE_EXTRA_CA_CERTS).
      ...(tls ? { tls: net.isIP(host) ? {} : { servername: host } } : {}),
    },
  };
}

/** Said by every command that talks to a Redis on the network without a password or TLS. */
export function exposureWarning(t: QueueTarget): string | undefined {
  if (t.loopback || t.authenticated || t.tls) return undefined;
  return `warning: Redis at ${t.display} is used without a password or TLS: anyone who can reach it can read the photo paths in the queue and make workers write files (docs/cluster.md#security)`;
}
