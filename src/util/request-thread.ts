// A helper thread that answers requests one at a time, in order, for the thread that started it. Requests in
// flight keep the process alive; an idle helper does not. If the helper dies (or cannot start), requests in
// flight are answered `undefined` and the caller does the work itself, so a helper can only ever make work
// faster, never lose it.
import { Worker } from 'node:worker_threads';
import { compiledScript } from './compiled-script.js';

/** What crosses to the helper: a request with an id the reply carries back. */
export interface ThreadRequest {
  id: number;
}

export type ThreadReply<R> = { id: number; ok: R } | { id: number; error: string };

export class RequestThread<Req extends ThreadRequest, Res> {
  private readonly pending = new Map<number, (value: Res | undefined, error?: Error) => void>();
  private nextId = 0;
  private dead = false;

  constructor(private readonly worker: Worker, name: string) {
    worker.on('message', (reply: ThreadReply<Res>) => {
      const settle = this.pending.get(reply.id);
      if (!settle) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in reply) settle(undefined, new Error(`${name}: ${reply.error}`));
      else settle(reply.ok);
    });
    // 'error' (an exception the helper did not catch) is followed by 'exit'.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      this.dead = true;
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const settle of waiting) settle(undefined);
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** The reply, or undefined when the helper died first. `transfer`: buffers handed over without a copy. */
  request(body: Omit<Req, 'id'>, transfer: ArrayBuffer[] = []): Promise<Res | undefined> {
    if (this.dead) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, (value, error) => (error ? reject(error) : resolve(value)));
      this.worker.postMessage({ ...body, id }, transfer);
    });
  }

  /** Ends the helper; requests in flight are answered `undefined`. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * One helper per calling thread and script, started on first use and again after a death, up to `maxStarts`
 * times. Returns undefined where it cannot run.
 */
export function lazyRequestThread<Req extends ThreadRequest, Res>(
  relative: string,
  name: string,
  maxStarts = 3,
): (() => RequestThread<Req, Res> | undefined) & { running: () => boolean } {
  let current: RequestThread<Req, Res> | undefined;
  let starts = 0;
  const get = () => {
    if (current?.alive) return current;
    current = undefined;
    if (starts >= maxStarts) return undefined;
    const script = compiledScript(relative);
    if (!script) return undefined;
    starts++;
    try {
      // No inherited node flags: the helper runs compiled JavaScript, and some host flags (--input-type, as
      // in `node --input-type=module -e …`) make a worker fail to start.
      current = new RequestThread<Req, Res>(new Worker(script, { name, execArgv: [] }), name);
    } catch {
      return undefined;
    }
    return current;
  };
  return Object.assign(get, { running: () => current?.alive === true });
}
