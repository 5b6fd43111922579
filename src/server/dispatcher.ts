// JSON-RPC dispatch for one message: parse, route to a handler by the protocol's method table, validate
// params against its schema, enforce the initialize handshake, and turn every failure into a JSON-RPC error
// with data {code, hint}. Unknown exceptions are logged and wrapped; their text never reaches the client.
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
import type { Logger } from './log.js';
import type { Session } from './session.js';

export type Handlers = {
  [N in RequestName]: (params: RequestParams<N>, session: Session) => RequestResult<N> | Promise<RequestResult<N>>;
};

const METHOD_NAMES = Object.keys(Requests) as RequestName[];

function errorResponse(id: JSONRPCID, e: RpcError): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(id, e.code, e.message, e.data);
}

/** Errors made by the library itself (parse error, invalid request) get the same data {code, hint} as ours. */
function normalise(r: JSONRPCResponse): JSONRPCResponse {
  if (!r.error || (r.error.data && typeof r.error.data.code === 'string')) return r;
  const name = nameOfCode(r.error.code);
  const message =
    r.error.code === RpcErrorCodes.PARSE_ERROR
      ? 'Parse error: the message is not valid JSON'
      : r.error.code === RpcErrorCodes.INVALID_REQUEST
        ? 'Invalid Request: expected a JSON-RPC 2.0 request object {"jsonrpc": "2.0", "method", "params", "id"}'
        : r.error.message;
  return { ...r, error: { code: r.error.code, message, data: { code: name, hint: DEFAULT_HINTS[name] } } };
}

export class Dispatcher {
  private readonly server: JSONRPCServer<Session>;

  constructor(handlers: Handlers, log: Logger) {
    this.server = new JSONRPCServer<Session>({
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
            RpcError.of('METHOD_NOT_FOUND', `Unknown method ${JSON.stringify(request.method)}`, {
              hint: `This daemon answers: ${METHOD_NAMES.join(', ')}.`,
            }),
          );

    // LSP's rule: nothing but initialize until initialize has succeeded; notifications are dropped.
    this.server.applyMiddleware(async (next, request, session) => {
      const isInit = request.method === Initialize.method;
      if (isInit && session.initialized) {
        return request.id === undefined
          ? null
          : errorResponse(request.id, RpcError.of('INVALID_REQUEST', 'initialize was already called on this connection', { code: 'ALREADY_INITIALIZED', hint: 'Call initialize once per connection.' }));
      }
      if (!isInit && !session.initialized) {
        return request.id === undefined
          ? null
          : errorResponse(request.id, RpcError.of('NOT_INITIALIZED', `Call initialize before ${JSON.stringify(request.method)}`));
      }
      return next(request, session);
    });

    for (const name of METHOD_NAMES) this.register(name, handlers[name]);
  }

  private register<N extends RequestName>(name: N, handler: Handlers[N]): void {
    // The table is indexed by a union, so TS sees a union of schemas here; each entry's schema does match N.
    const schema = Requests[name].params as z.ZodType<RequestParams<N>>;
    this.server.addMethod(name, (params: unknown, session: Session) => handler(parseParams(name, schema, params), session));
  }

  /** One text frame in; the reply text (or null for notifications). */
  async handle(text: string, session: Session): Promise<string | null> {
    const r = await this.server.receiveJSON(text, session);
    if (r === null) return null;
    return JSON.stringify(Array.isArray(r) ? r.map(normalise) : normalise(r));
  }
}
