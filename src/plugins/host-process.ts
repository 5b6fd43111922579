// One plugin host child process as the daemon sees it: fork, JSON-RPC over the IPC channel, time-boxed calls
// that remember which plugin each one is for, and the exit report (which calls were in flight) that lets the
// plugin service blame a crash on a plugin. Restarting is the service's job (service.ts): one HostProcess
// lives exactly as long as its child.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  createJSONRPCErrorResponse,
  JSONRPCClient,
  JSONRPCErrorException,
  JSONRPCServer,
  JSONRPCServerAndClient,
  type JSONRPCID,
} from 'json-rpc-2.0';
import type { Logger } from '../server/log.js';
import { CALL_ID_FIELD, HOST_SCRIPT, type DaemonMethods, type DaemonNotifications, type HostErrorData, type HostMethod, type HostMethods } from './host-protocol.js';

/** JSON-RPC code our own timeout responses carry (never sent by the host). */
const TIMEOUT_CODE = -32099;

/** The compiled host script (dist/plugins/host/main.js), also when this module runs from TypeScript source. */
export function hostScript(): string {
  const here = fileURLToPath(new URL(HOST_SCRIPT, import.meta.url));
  if (fs.existsSync(here)) return here;
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  return path.join(repo, 'dist', 'plugins', 'host', 'main.js');
}

/** Why a host call failed. */
export type CallFailure =
  | { kind: 'error'; message: string; data: HostErrorData }
  | { kind: 'timeout'; message: string; call: InFlight }
  | { kind: 'exit'; message: string };

export class HostCallError extends Error {
  constructor(readonly failure: CallFailure) {
    super(failure.message);
    this.name = 'HostCallError';
  }
}

export interface InFlight {
  pluginId: string;
  what: string;
  /** Order in which the host started running it (0: not started yet, e.g. queued behind a blocked loop). */
  started: number;
}

export interface HostExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Calls that had not answered when the host died. */
  inFlight: InFlight[];
  uptimeMs: number;
  /** True when the daemon ended it (shutdown, or a hung plugin). */
  expected: boolean;
}

export interface HostProcessOptions {
  log: Logger;
  onNotification: <N extends keyof DaemonNotifications>(method: N, params: DaemonNotifications[N]) => void;
  onExecuteCommand: (p: DaemonMethods['daemon.executeCommand']['params']) => Promise<DaemonMethods['daemon.executeCommand']['result']>;
  onExit: (exit: HostExit) => void;
  script?: string;
}

export class HostProcess {
  private readonly child: ChildProcess;
  private readonly peer: JSONRPCServerAndClient;
  private readonly inFlight = new Map<number, InFlight>();
  private seq = 0;
  private starts = 0;
  private readonly startedAt = Date.now();
  private expectedExit = false;
  alive = true;
  readonly exited: Promise<HostExit>;

  constructor(private readonly o: HostProcessOptions) {
    this.child = fork(o.script ?? hostScript(), [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      // Plugins must not inherit the daemon's debugger/inspector flags or loaders.
      execArgv: [],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => o.log.info('plugin host output', { pid: this.child.pid, line: line.slice(0, 2000) }));
    }
    const quiet = { errorListener: () => undefined };
    this.peer = new JSONRPCServerAndClient(
      new JSONRPCServer(quiet),
      new JSONRPCClient((payload) => {
        if (!this.alive || !this.child.connected) throw new Error('the plugin host is not running');
        this.child.send(payload);
      }),
      quiet,
    );
    this.peer.addMethod('daemon.executeCommand', (p: unknown) =>
      o.onExecuteCommand(p as DaemonMethods['daemon.executeCommand']['params']).catch((e: unknown) => {
        const err = e as { message?: string; code?: number; data?: unknown };
        throw new JSONRPCErrorException(err.message ?? String(e), typeof err.code === 'number' ? err.code : -32000, err.data);
      }),
    );
    // Notifications are handled at once, in arrival order, so a response that follows one (activate after the
    // registry.changed it caused) is never seen before it; the library would defer them by a few microtasks.
    this.child.on('message', (m: { jsonrpc?: string; method?: unknown; id?: unknown; params?: unknown }) => {
      if (m && typeof m.method === 'string' && m.id === undefined) return this.onNotification(m.method, m.params);
      void this.peer.receiveAndSend(m, undefined, undefined);
    });
    this.child.on('error', (e) => o.log.error('plugin host process error', { error: e.message }));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.alive = false;
        const exit: HostExit = { code, signal, inFlight: [...this.inFlight.values()], uptimeMs: Date.now() - this.startedAt, expected: this.expectedExit };
        o.onExit(exit);
        this.peer.rejectAllPendingRequests(`the plugin host exited (${signal ?? `code ${code}`})`);
        resolve(exit);
      });
    });
  }

  private onNotification(method: string, params: unknown): void {
    if (method === 'call.started') {
      const c = this.inFlight.get((params as DaemonNotifications['call.started']).call);
      if (c) c.started = ++this.starts;
      return;
    }
    if (method === 'window.showMessage' || method === 'log' || method === 'registry.changed' || method === 'plugin.failed') {
      this.o.onNotification(method, params as DaemonNotifications[typeof method]);
    }
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  /**
   * Call the host for `pluginId`; rejects with HostCallError: the plugin's own error, a timeout after
   * `timeoutMs`, or the host's exit while the call was running.
   */
  async call<M extends HostMethod>(method: M, params: HostMethods[M]['params'], pluginId: string, what: string, timeoutMs: number): Promise<HostMethods[M]['result']> {
    if (!this.alive) throw new HostCallError({ kind: 'exit', message: 'the plugin host is not running' });
    const call = ++this.seq;
    const entry: InFlight = { pluginId, what, started: 0 };
    this.inFlight.set(call, entry);
    try {
      const requester = this.peer.client.timeout(timeoutMs, (id: JSONRPCID) => createJSONRPCErrorResponse(id, TIMEOUT_CODE, `${what} did not answer within ${timeoutMs} ms`));
      return (await requester.request(method, { ...params, [CALL_ID_FIELD]: call } as never, undefined)) as HostMethods[M]['result'];
    } catch (e) {
      if (!this.alive) throw new HostCallError({ kind: 'exit', message: (e as Error).message ?? 'the plugin host exited' });
      if (e instanceof JSONRPCErrorException) {
        if (e.code === TIMEOUT_CODE) throw new HostCallError({ kind: 'timeout', message: e.message, call: { ...entry } });
        throw new HostCallError({ kind: 'error', message: e.message, data: (e.data ?? { code: 'PLUGIN_ERROR' }) as HostErrorData });
      }
      throw new HostCallError({ kind: 'error', message: (e as Error).message ?? String(e), data: { code: 'PLUGIN_ERROR', pluginId } });
    } finally {
      this.inFlight.delete(call);
    }
  }

  /** The call the host started last among those still running (with `also`): the one a blocked host is stuck in. */
  lastStarted(also?: InFlight): InFlight | undefined {
    let best: InFlight | undefined;
    for (const c of [...this.inFlight.values(), ...(also ? [also] : [])]) if (c.started && c.pluginId && (!best || c.started > best.started)) best = c;
    return best;
  }

  /** True when the host's event loop answers within `ms` (a plugin stuck in a loop blocks it). */
  async responsive(ms: number): Promise<boolean> {
    try {
      await this.call('host.ping', {}, '', 'ping', ms);
      return true;
    } catch {
      return false;
    }
  }

  /** End the child now (SIGKILL); its exit is reported as expected, so nothing is blamed on it. */
  kill(): Promise<HostExit> {
    this.expectedExit = true;
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Ask politely (host.shutdown: deactivate every plugin), then make sure it is gone. */
  async stop(budgetMs: number): Promise<void> {
    this.expectedExit = true;
    if (!this.alive) return;
    await this.call('host.shutdown', {}, '', 'shutdown', budgetMs).catch(() => undefined);
    if (this.alive) this.child.disconnect();
    const timer = new Promise<void>((r) => setTimeout(r, 1000).unref());
    await Promise.race([this.exited.then(() => undefined), timer]);
    if (this.alive) await this.kill();
  }
}
