// A small typed client for the daemon, used by the CLI (status, stop), tests and scripts. It follows the
// protocol table: request(method, params) is typed by method name, notifications by notification name.
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCResponse } from 'json-rpc-2.0';
import WebSocket from 'ws';
import { RpcError } from '../rpc/errors.js';
import {
  Initialize,
  JobCompleted,
  JobFailed,
  JobProgress,
  PROTOCOL_VERSION,
  Reconstruct,
  type InitializeResult,
  type JobCompletedResult,
  type JobProgressParams,
  type NotificationName,
  type NotificationParams,
  type ReconstructParams,
  type RequestName,
  type RequestParams,
  type RequestResult,
  type RpcErrorObject,
} from '../rpc/protocol.js';

export interface ConnectOptions {
  /** ws://127.0.0.1:47613/ (see discoverDaemon). */
  url: string;
  token?: string;
  /** Sent as the Origin header (only browsers send one; tests use it to check the daemon refuses them). */
  origin?: string;
  headers?: Record<string, string>;
  clientInfo?: { name: string; version: string };
  /** Send initialize on connect (default true). */
  initialize?: boolean;
  /** Connection and per-request timeout, ms (default 30 000). */
  timeoutMs?: number;
  /** Frames larger than this from the daemon are refused (default 256 MiB: result.read of large files). */
  maxPayload?: number;
}

type Listener = (params: unknown) => void;

/** An HTTP refusal of the upgrade (401/403/503) as an RpcError with the daemon's code, message and hint. */
function refusal(status: number, body: string): RpcError {
  try {
    const parsed = JSON.parse(body) as { error?: RpcErrorObject };
    if (parsed.error) return RpcError.fromObject(parsed.error);
  } catch {
    // not our JSON body: fall through
  }
  return RpcError.of('INTERNAL_ERROR', `The daemon refused the connection with HTTP ${status}`);
}

export class ReconClient {
  private readonly rpc: JSONRPCClient<void>;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly closeListeners = new Set<(code: number, reason: string) => void>();
  initializeResult: InitializeResult | undefined;

  private constructor(
    private readonly ws: WebSocket,
    private readonly timeoutMs: number,
  ) {
    this.rpc = new JSONRPCClient((payload) => {
      if (ws.readyState !== WebSocket.OPEN) throw RpcError.of('INTERNAL_ERROR', 'The connection to the daemon is closed');
      ws.send(JSON.stringify(payload));
    });
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('close', (code, reason) => {
      this.rpc.rejectAllPendingRequests(`The connection closed (${code}${reason.length ? `: ${reason}` : ''})`);
      for (const l of this.closeListeners) l(code, reason.toString());
    });
  }

  static async connect(o: ConnectOptions): Promise<ReconClient> {
    const timeoutMs = o.timeoutMs ?? 30_000;
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.Authorization = `Bearer ${o.token}`;
    const ws = new WebSocket(o.url, { headers, origin: o.origin, handshakeTimeout: timeoutMs, maxPayload: o.maxPayload ?? 256 * 1024 * 1024, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          reject(refusal(res.statusCode ?? 0, body));
          ws.terminate();
        });
      });
    });
    ws.on('error', () => undefined); // after open, failures surface as 'close'
    const client = new ReconClient(ws, timeoutMs);
    if (o.initialize ?? true) {
      client.initializeResult = await client.request(Initialize.method, {
        clientInfo: o.clientInfo ?? { name: 'recon-daemon-ts-client', version: '0' },
        protocolVersion: PROTOCOL_VERSION,
      });
    }
    return client;
  }

  private onMessage(text: string): void {
    let msg: { method?: unknown; params?: unknown; id?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.method === 'string' && msg.id === undefined) {
      for (const l of this.listeners.get(msg.method) ?? []) l(msg.params);
      for (const l of this.listeners.get('*') ?? []) l(msg);
      return;
    }
    this.rpc.receive(msg as JSONRPCResponse);
  }

  /** Send a request; resolves with its result or rejects with an RpcError (code, message, data.code/hint). */
  async request<N extends RequestName>(method: N, params: RequestParams<N>, timeoutMs = this.timeoutMs): Promise<RequestResult<N>> {
    try {
      return (await this.rpc.timeout(timeoutMs).request(method, params)) as RequestResult<N>;
    } catch (e) {
      if (e instanceof JSONRPCErrorException) throw new RpcError(e.code, e.message, e.data);
      throw e;
    }
  }

  /** Send raw text (tests use it for malformed traffic). */
  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  /** Listen to one notification; returns an unsubscribe function. */
  on<N extends NotificationName>(method: N, listener: (params: NotificationParams<N>) => void): () => void {
    return this.addListener(method, listener as Listener);
  }

  /** Every message that is not a response (notifications), raw. */
  onAny(listener: (message: { method: string; params: unknown }) => void): () => void {
    return this.addListener('*', listener as Listener);
  }

  onClose(listener: (code: number, reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  private addListener(key: string, l: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(l);
    return () => set.delete(l);
  }

  /**
   * Submit a photo and wait for its job to end: resolves with job.completed's result, rejects with the
   * job.failed error as an RpcError (plus `data.dir` when the job folder holds a result.json). Listeners are attached before the request so no notification is missed.
   */
  async reconstruct(
    image: ReconstructParams['image'],
    options: ReconstructParams['options'] = {},
    hooks: { onProgress?: (p: JobProgressParams) => void; onJobId?: (jobId: string) => void } = {},
  ): Promise<JobCompletedResult & { jobId: string }> {
    let jobId: string | undefined;
    const early: Array<() => void> = [];
    const offs: Array<() => void> = [];
    const done = new Promise<JobCompletedResult & { jobId: string }>((resolve, reject) => {
      const when = (id: string, f: () => void) => (jobId === undefined ? early.push(() => id === jobId && f()) : id === jobId && f());
      offs.push(this.on(JobProgress.method, (p) => when(p.jobId, () => hooks.onProgress?.(p))));
      offs.push(this.on(JobCompleted.method, (p) => when(p.jobId, () => resolve({ ...p.result, jobId: p.jobId }))));
      // job.failed's `dir` (a folder holding a result.json that says why) rides along as data.dir.
      offs.push(
        this.on(JobFailed.method, (p) =>
          when(p.jobId, () => reject(new RpcError(p.error.code, p.error.message, { ...p.error.data, ...(p.dir ? { dir: p.dir } : {}) }))),
        ),
      );
      offs.push(this.onClose((code) => reject(RpcError.of('INTERNAL_ERROR', `The connection closed before the job ended (${code})`))));
    });
    try {
      jobId = (await this.request(Reconstruct.method, { image, options })).jobId;
      hooks.onJobId?.(jobId);
      for (const f of early.splice(0)) f();
      return await done;
    } finally {
      done.catch(() => undefined);
      for (const off of offs) off();
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}
