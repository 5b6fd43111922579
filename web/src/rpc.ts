// The page's JSON-RPC client: the same protocol as the editors (src/rpc/protocol.ts), over the daemon's
// WebSocket on this page's own origin. The browser sends the login cookie with the upgrade; no token here.
import { JSONRPCClient, JSONRPCErrorException } from 'json-rpc-2.0';
import type {
  InitializeResult,
  NotificationName,
  NotificationParams,
  RequestName,
  RequestParams,
  RequestResult,
} from '../../src/rpc/protocol.js';

const PROTOCOL_VERSION = '1.0';

/** A failed request: the daemon's message, stable code and hint. */
export class DaemonError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

type Handler = (params: never) => void;

export class Rpc {
  private readonly client: JSONRPCClient<void>;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly closeHandlers = new Set<() => void>();
  initialize!: InitializeResult;

  private constructor(private readonly ws: WebSocket) {
    this.client = new JSONRPCClient((payload) => {
      if (ws.readyState !== WebSocket.OPEN) throw new DaemonError('Not connected to the daemon', 'DISCONNECTED', 'Reload the page.');
      ws.send(JSON.stringify(payload));
    });
    ws.addEventListener('message', (e) => {
      const msg = JSON.parse(String(e.data)) as { method?: string; params?: unknown };
      if (typeof msg.method === 'string') {
        for (const h of this.handlers.get(msg.method) ?? []) h(msg.params as never);
      } else this.client.receive(msg as never);
    });
    ws.addEventListener('close', () => {
      this.client.rejectAllPendingRequests('The connection to the daemon closed');
      for (const h of this.closeHandlers) h();
    });
  }

  static async connect(): Promise<Rpc> {
    const ws = new WebSocket(`ws://${location.host}/`);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new DaemonError('Could not connect to the daemon', 'DISCONNECTED', 'Is it still running? Run `recon-daemon open` again.')), { once: true });
    });
    const rpc = new Rpc(ws);
    rpc.initialize = await rpc.request('initialize', { clientInfo: { name: 'recon-daemon page', version: '1' }, protocolVersion: PROTOCOL_VERSION });
    return rpc;
  }

  async request<N extends RequestName>(method: N, params: RequestParams<N>): Promise<RequestResult<N>> {
    try {
      return (await this.client.request(method, params)) as RequestResult<N>;
    } catch (e) {
      if (e instanceof JSONRPCErrorException) {
        const data = (e.data ?? {}) as { code?: string; hint?: string };
        throw new DaemonError(e.message, data.code ?? 'ERROR', data.hint ?? '');
      }
      if (e instanceof DaemonError) throw e;
      throw new DaemonError(e instanceof Error ? e.message : String(e), 'DISCONNECTED', 'Reload the page.');
    }
  }

  on<N extends NotificationName>(method: N, handler: (params: NotificationParams<N>) => void): void {
    let set = this.handlers.get(method);
    if (!set) this.handlers.set(method, (set = new Set()));
    set.add(handler as Handler);
  }

  onClose(handler: () => void): void {
    this.closeHandlers.add(handler);
  }
}
