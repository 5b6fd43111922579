// `recon-daemon queue status` and `queue clear`: one look at a queue (jobs per state, the workers connected
// now) or removing the photos still waiting. One connection attempt: an unreachable Redis is an error with its
// code and hint, not a wait.
import { Queue } from 'bullmq';
import { QueueConnection } from './connection.js';
import { queueErrorOf, QueueError } from './errors.js';
import { KEY_PREFIX, parseQueueTarget } from './target.js';

export interface QueueArgs {
  queue: string;
  queueName: string;
  json: boolean;
}

export interface QueueStatus {
  queue: string;
  queueName: string;
  redisVersion: string | null;
  jobs: { waiting: number; active: number; delayed: number; completed: number; failed: number };
  workers: Array<{ name: string; addr: string; ageSeconds: number; idleSeconds: number }>;
}

async function withQueue<T>(a: QueueArgs, f: (q: Queue, c: QueueConnection) => Promise<T>): Promise<T> {
  const target = parseQueueTarget(a.queue, a.queueName);
  const c = new QueueConnection(target, { once: true });
  try {
    await c.ready().catch((e: unknown) => {
      // A one-off look does not retry: say what to check instead.
      if (e instanceof QueueError && e.transient) throw new QueueError(e.code, e.detail, 'Start Redis there, or check the host and port in --queue and the firewall between the machines.');
      throw e;
    });
    const q = new Queue(target.name, { connection: c.redis, prefix: KEY_PREFIX });
    q.on('error', () => undefined);
    try {
      return await f(q, c);
    } catch (e) {
      throw queueErrorOf(e, target.display);
    } finally {
      await q.close().catch(() => undefined);
    }
  } finally {
    await c.close();
  }
}

export async function queueStatus(a: QueueArgs): Promise<QueueStatus> {
  return withQueue(a, async (q, c) => {
    const counts = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    const info = await c.redis.info('server').catch(() => '');
    const clients = (await q.getWorkers().catch(() => [])) as Array<Record<string, string>>;
    const marker = ':w:';
    return {
      queue: c.target.display,
      queueName: c.target.name,
      redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? null,
      jobs: {
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
      },
      workers: clients
        .filter((w) => typeof w.rawname === 'string')
        .map((w) => ({
          // BullMQ names a worker's connection `<prefix>:<base64 queue name>:w:<worker name>`.
          name: w.rawname.includes(marker) ? w.rawname.slice(w.rawname.indexOf(marker) + marker.length) : '(unnamed)',
          addr: w.addr ?? '',
          ageSeconds: Number(w.age ?? 0),
          idleSeconds: Number(w.idle ?? 0),
        }))
        .sort((x, y) => (x.name < y.name ? -1 : 1)),
    };
  });
}

export async function runQueueStatus(a: QueueArgs): Promise<number> {
  const s = await queueStatus(a);
  if (a.json) {
    process.stdout.write(JSON.stringify(s) + '\n');
    return 0;
  }
  const j = s.jobs;
  const lines = [
    `queue "${s.queueName}" on ${s.queue}${s.redisVersion ? ` (Redis ${s.redisVersion})` : ''}`,
    `  photos:  ${j.waiting} waiting, ${j.active} active, ${j.delayed} waiting to retry, ${j.completed} completed (kept 24 h), ${j.failed} failed (kept 7 days)`,
    `  workers: ${s.workers.length ? s.workers.length : 'none connected'}`,
    ...s.workers.map((w) => `    ${w.name}  ${w.addr}  connected ${w.ageSeconds}s, last seen ${w.idleSeconds}s ago`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** Remove the photos still waiting (or waiting to retry); those being done finish. Prints how many went. */
export async function runQueueClear(a: QueueArgs): Promise<number> {
  const removed = await withQueue(a, async (q) => {
    const before = await q.getJobCounts('waiting', 'prioritized', 'delayed');
    await q.drain(true);
    return (before.waiting ?? 0) + (before.prioritized ?? 0) + (before.delayed ?? 0);
  });
  process.stdout.write(a.json ? JSON.stringify({ removed }) + '\n' : `removed ${removed} waiting photo${removed === 1 ? '' : 's'} from the queue "${a.queueName}" (photos being done finish; run the batch again to queue them anew)\n`);
  return 0;
}
