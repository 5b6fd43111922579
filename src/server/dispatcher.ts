// JSON-RPC dispatch for one frame (already parsed and checked by frames.ts): route each request to a handler
// by the protocol's method table, validate params against its schema, enforce the initialize handshake, and
// turn every failure into a JSON-RPC error with data {code, hint}. Unknown exceptions are logged and wrapped
// (-32603); their text never reaches the client, and nothing a handler or the serialiser throws escapes.
// Replies are bounded: each frame's reply, batch members together, is at most `maxReplyBytes`.
import {
  createJSONRPCErrorResponse,
  JSONRPCServer,
  type JSONRPCErrorResponse,
  type JSONRPCID,
  type JSONRPCRequest,
  type JSONRPCResponse,
} from 'json-rpc-2.0';
import type { z } from 'zod';
import { DEFAULT_HINTS, nameOfCode, RpcError, RpcErrorCodes, toRpcError } from '../rpc/errors.js';
import { Initialize, Requests, type RequestName, type RequestParams, type RequestResult } from '../rpc/protocol.js';
import { parseParams } from '../rpc/validate.js';
import type { DecodedFrame } from './frames.js';
import { base64Length } from './limits.js';
import type { Logger } from './log.js';
import type { Session } from './session.js';

/** What one frame may still use, shared by its batch members. */
export class FrameBudget {
  private reservedUnread = 0;

  constructor(
    private readonly session: Session,
    /** File bytes result.read may still return in this frame. */
    private readBytesLeft: number,
    private readonly uploads: ReadonlyMap<string, Uint8Array> = new Map(),
    /** Whether every client's held reply bytes together leave room for this many more. */
    private readonly roomOverall: (bytes: number) => boolean = () => true,
  ) {}

  /** The bytes of an upload the frame thread decoded (frames.ts), by the placeholder left in params. */
  takeUpload(placeholder: string): Uint8Array | undefined {
    return this.uploads.get(placeholder);
  }

  /** A turn to read a file (the client's reads go a few at a time). */
  readTurn(): Promise<() => void> {
    return this.session.readTurn();
  }

  /** Whether a read could be admitted at all, checked before touching the file system. */
  mayRead(): 'frame' | 'client' | 'daemon' | 'closed' | undefined {
    if (!this.session.open) return 'closed';
    if (this.readBytesLeft <= 0) return 'frame';
    if (!this.roomOverall(1)) return 'daemon';
    if (!this.session.hasRoom(1)) return 'client';
    return undefined;
  }

  /**
   * Room for a file of `bytes` in this frame's reply: within the frame's read budget and within what the
   * client may have unread (its base64 text, held until the reply is sent). Undefined when it fits, else why not.
   */
  reserveRead(bytes: number): 'frame' | 'client' | 'daemon' | undefined {
    if (bytes > this.readBytesLeft) return 'frame';
    const text = base64Length(bytes);
    if (!this.roomOverall(text)) return 'daemon';
    if (!this.session.reserve(text)) return 'client';
    this.readBytesLeft -= bytes;
    this.reservedUnread += text;
    return undefined;
  }

  /** The reply has been handed to the socket (which now counts its bytes itself). */
  release(): void {
    this.session.release(this.reservedUnread);
    this.reservedUnread = 0;
  }
}

export type Handler<N extends RequestName> = (params: RequestParams<N>, session: Session, frame: FrameBudget) => RequestResult<N> | Promise<RequestResult<N>>;
export type Handlers = { [N in RequestName]: Handler<N> };

interface Context {
  session: Session;
  frame: FrameBudget;
}

export interface DispatcherLimits {
  maxReplyBytes: number;
  maxReadBytesPerFrame: number;
}

export interface DispatcherOptions {
  limits: DispatcherLimits;
  /** Whether all clients' held reply bytes together leave room for this many more (result.read). */
  roomOverall?: (bytes: number) => boolean;
}

const METHOD_NAMES = Object.keys(Requests) as RequestName[];

function errorResponse(id: JSONRPCID, e: RpcError): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(id, e.code, e.message, e.data);
}

/** Errors made by the library itself (invalid request) get the same data {code, hint} as ours. */
function normalise(r: JSONRPCResponse): JSONRPCResponse {
  if (!r.error || (r.error.data && typeof r.error.data.code === 'string')) return r;
  const name = nameOfCode(r.error.code);
  const message =
    r.error.code === RpcErrorCodes.INVALID_REQUEST ? 'Invalid Request: expected a JSON-RPC 2.0 request object {"jsonrpc": "2.0", "method", "params", "id"}' : r.error.message;
  return { ...r, error: { code: r.error.code, message, data: { code: name, hint: DEFAULT_HINTS[name] } } };
}

function internalError(id: JSONRPCID): string {
  return JSON.stringify(errorResponse(id, RpcError.of('INTERNAL_ERROR', 'Internal error while handling the request')));
}

export class Dispatcher {
  private readonly server: JSONRPCServer<Context>;

  private readonly limits: DispatcherLimits;

  constructor(
    handlers: Handlers,
    private readonly log: Logger,
    private readonly o: DispatcherOptions,
  ) {
    this.limits = o.limits;
    this.server = new JSONRPCServer<Context>({
      // The library calls this for every thrown error; ours are expected, only others are worth a log line.
      errorListener: (message, data) => {
        if (!(data instanceof RpcError)) log.error(message, { error: data instanceof Error ? (data.stack ?? data.message) : String(data) });
      },
    });
    this.server.mapErrorToJSONRPCErrorResponse = (id, error) => errorResponse(id, toRpcError(error));
    this.server.handleMethodNotFound = async (request: JSONRPCRequest) =>
      request.id === undefined
        ? null
        : errorResponse(
            request.id,
            RpcError.of('METHOD_NOT_FOUND', `Unknown method ${JSON.stringify(request.method.slice(0, 100))}`, {
              hint: `This daemon answers: ${METHOD_NAMES.join(', ')}.`,
            }),
          );

    // LSP's rule: nothing but initialize until initialize has succeeded; notifications are dropped.
    this.server.applyMiddleware(async (next, request, ctx) => {
      const isInit = request.method === Initialize.method;
      if (isInit && ctx.session.initialized) {
        return request.id === undefined
          ? null
          : errorResponse(request.id, RpcError.of('INVALID_REQUEST', 'initialize was already called on this connection', { code: 'ALREADY_INITIALIZED', hint: 'Call initialize once per connection.' }));
      }
      if (!isInit && !ctx.session.initialized) {
        return request.id === undefined
          ? null
          : errorResponse(request.id, RpcError.of('NOT_INITIALIZED', `Call initialize before ${JSON.stringify(request.method.slice(0, 100))}`));
      }
      return next(request, ctx);
    });

    for (const name of METHOD_NAMES) this.register(name, handlers[name]);
  }

  private register<N extends RequestName>(name: N, handler: Handlers[N]): void {
    // The table is indexed by a union, so TS sees a union of schemas here; each entry's schema does match N.
    const schema = Requests[name].params as z.ZodType<RequestParams<N>>;
    this.server.addMethod(name, (params: unknown, ctx: Context) => handler(parseParams(name, schema, params), ctx.session, ctx.frame));
  }

  /** One request → its reply text (null for a notification). Never throws. */
  private async one(request: JSONRPCRequest, ctx: Context): Promise<string | null> {
    const id = request.id ?? null;
    let r: JSONRPCResponse | JSONRPCResponse[] | null;
    try {
      r = await this.server.receive(request, ctx);
    } catch (e) {
      this.log.error('request handling threw', { method: String(request.method).slice(0, 100), error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      return request.id === undefined ? null : internalError(id);
    }
    if (r === null || Array.isArray(r)) return null;
    try {
      return JSON.stringify(normalise(r));
    } catch (e) {
      // A result that cannot be serialised (cycles, BigInt, a stack overflow, a string too long for V8).
      this.log.error('reply could not be serialised', { method: String(request.method).slice(0, 100), error: e instanceof Error ? e.message : String(e) });
      return internalError(id);
    }
  }

  /** One frame in, its reply sent (none when every member was a notification). Never throws. */
  async handle(frame: DecodedFrame, session: Session): Promise<void> {
    const budget = new FrameBudget(session, this.limits.maxReadBytesPerFrame, frame.uploads, this.o.roomOverall);
    try {
      const reply = await this.reply(frame, { session, frame: budget });
      if (reply !== null) session.sendText(reply);
    } catch (e) {
      // reply() catches per request; this is the last line, so nothing reaches the event loop.
      this.log.error('frame handling failed', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    } finally {
      budget.release();
    }
  }

  private async reply(frame: DecodedFrame, ctx: Context): Promise<string | null> {
    const replies = await Promise.all(
      frame.items.map((item) => ('error' in item ? Promise.resolve(JSON.stringify(item.error)) : this.one(item.request, ctx))),
    );
    // Each reply counts against the frame's budget in order; one that does not fit is replaced by an error.
    let left = this.limits.maxReplyBytes;
    const parts: string[] = [];
    frame.items.forEach((item, i) => {
      let text = replies[i];
      if (text === null) return;
      if (text.length > left) {
        const id = 'error' in item ? item.error.id : (item.request.id ?? null);
        const e = RpcError.of('REQUEST_FAILED', `The reply would exceed ${this.limits.maxReplyBytes} bytes for this frame`, {
          code: 'REPLY_TOO_LARGE',
          hint: 'Send fewer requests per batch, or read big files one per frame.',
        });
        text = JSON.stringify(errorResponse(id, e));
      }
      left -= text.length;
      parts.push(text);
    });
    if (!parts.length) return null;
    return frame.batch ? `[${parts.join(',')}]` : parts[0];
  }
}
