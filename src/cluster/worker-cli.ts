// `recon-daemon worker --queue redis://…`: a queue consumer with embedded worker threads (warm models), until
// stopped. Ctrl-C / SIGTERM once: take no new photos, finish those in progress (at most --grace-ms), hand back
// the rest; twice: hand them back now; three times: exit at once (BullMQ gives them to another worker after
// --lock-ms). Progress and Redis trouble go to stderr.
import os from 'node:os';
import { defaultWorkers, EmbeddedRunner } from '../batch/embedded.js';
import { describeRecord } from '../batch/progress.js';
import { invalidOption } from '../recon/errors.js';
import { DEFAULT_LOCK_MS, QueueConsumer } from './consumer.js';
import { workerId } from './job.js';
import { exposureWarning, parseQueueTarget } from './target.js';

export interface WorkerArgs {
  queue: string;
  queueName: string;
  concurrency?: number;
  lockMs?: number;
  graceMs?: number;
  quiet: boolean;
}

export const DEFAULT_GRACE_MS = 30_000;
const EXIT_INTERRUPTED = 130;
const clock = () => new Date().toISOString().slice(11, 19);

export async function runWorker(a: WorkerArgs): Promise<number> {
  const target = parseQueueTarget(a.queue, a.queueName);
  const threads = a.concurrency ?? defaultWorkers();
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64)) throw invalidOption('--concurrency', 'integer 1–64', a.concurrency);
  const lockMs = a.lockMs ?? DEFAULT_LOCK_MS;
  if (!(Number.isInteger(lockMs) && lockMs >= 1000 && lockMs <= 600_000)) throw invalidOption('--lock-ms', 'integer 1000–600000 (milliseconds)', a.lockMs);
  const graceMs = a.graceMs ?? DEFAULT_GRACE_MS;
  if (!(Number.isInteger(graceMs) && graceMs >= 0 && graceMs <= 3_600_000)) throw invalidOption('--grace-ms', 'integer 0–3600000 (milliseconds)', a.graceMs);
  const say = (line: string) => process.stderr.write(line + '\n');
  const info = a.quiet ? () => undefined : say;
  const warning = exposureWarning(target);
  if (warning) say(warning);
  const name = workerId();
  info(`worker ${name}: loading the models on ${threads} thread${threads === 1 ? '' : 's'}…`);
  const runner = await EmbeddedRunner.start(threads);
  let consumer: QueueConsumer | undefined;
  try {
    consumer = await QueueConsumer.start({
      target,
      runner,
      // One photo waiting per process beyond those reconstructing: no thread idles between photos, and a slow
      // machine does not sit on photos the others could take.
      concurrency: threads + 1,
      lockMs,
      workerName: name,
      // Redis trouble is always told; photo lines only without -q.
      log: say,
      onPhoto: (p) => info(`[${clock()}] ${(p.reused ? 'done' : p.record.status).padEnd(8)} ${p.source}  ${p.reused ? 'already done' : describeRecord(p.record)}  (${p.outDir})`),
      onTryFailed: (p) =>
        info(
          `[${clock()}] ${(p.final ? 'failed' : 'retry').padEnd(8)} ${p.source}  ${p.error.code}: ${p.error.message} ` +
            `(try ${p.attempt} of ${p.attempts}${p.final ? '; the next run of the batch tries again' : '; again soon, on any worker'})  (${p.outDir})`,
        ),
    });
  } catch (e) {
    await runner.close();
    throw e;
  }
  const c = consumer;
  info(`worker ${name}: taking photos from the queue "${target.name}" on ${target.display} (${threads} engine thread${threads === 1 ? '' : 's'} on ${os.hostname()}); Ctrl-C to stop`);

  let signals = 0;
  let failed = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      signals++;
      if (signals === 1) {
        const n = c.stats().active;
        say(`stopping: ${n ? `finishing the ${n} photo${n === 1 ? '' : 's'} in progress (at most ${Math.round(graceMs / 1000)}s; Ctrl-C again hands them back to the queue now)` : 'no photo in progress'}…`);
        void c.close(graceMs).then(resolve);
      } else if (signals === 2) {
        say('handing the photos in progress back to the queue…');
        c.handBack();
      } else process.exit(EXIT_INTERRUPTED);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    c.connection.onChange((s) => {
      if (s !== 'failed') return;
      failed = true;
      void c.close(0).then(resolve);
    });
  });
  await stopped;
  await runner.close();
  const s = c.stats();
  info(`worker ${name}: stopped (${s.completed} photo${s.completed === 1 ? '' : 's'} done, ${s.handedBack} handed back, ${s.failed} given up)`);
  if (failed) {
    const e = c.connection.lastError;
    say(`error: ${e?.message ?? 'The connection to Redis failed'}${e ? `\nhint: ${e.hint}` : ''}`);
    return 1;
  }
  return 0;
}
