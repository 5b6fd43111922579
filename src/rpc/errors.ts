// One error table for the protocol. Numeric codes: JSON-RPC's standard ones, LSP's where LSP has one
// (-32002 not initialized, -32800 cancelled, -32803 request failed), then an application range -32001…-32099.
// Every error also has a stable string code in `data.code` and a hint in `data.hint`; engine failures keep the
// engine's code there (NO_FACE, IMAGE_DECODE_FAILED…), so clients switch on `data.code`, never on text.
import type { RpcErrorData, RpcErrorObject } from './protocol.js';

export const RpcErrorCodes = {
  // JSON-RPC 2.0
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  // Application range
  SERVER_BUSY: -32001,
  NOT_INITIALIZED: -32002,
  UNAUTHORIZED: -32003,
  JOB_NOT_FOUND: -32004,
  PATH_NOT_ALLOWED: -32005,
  UNSUPPORTED_PROTOCOL_VERSION: -32006,
  SHUTTING_DOWN: -32007,
  ORIGIN_NOT_ALLOWED: -32008,
  HOST_NOT_ALLOWED: -32009,
  // LSP
  REQUEST_CANCELLED: -32800,
  REQUEST_FAILED: -32803,
} as const;

export type RpcErrorName = keyof typeof RpcErrorCodes;

/** Hints for the errors the protocol layer raises itself (engine errors bring their own). */
export const DEFAULT_HINTS: Record<RpcErrorName, string> = {
  PARSE_ERROR: 'Send one JSON-RPC 2.0 message per WebSocket text frame, as valid JSON.',
  INVALID_REQUEST: 'A request is {"jsonrpc": "2.0", "id", "method", "params"}; see docs/protocol.md.',
  METHOD_NOT_FOUND: 'See docs/protocol.md for the methods this daemon answers.',
  INVALID_PARAMS: 'See docs/protocol.md for the parameters of this method.',
  INTERNAL_ERROR: 'This is a bug in recon-daemon; please report it with the daemon log.',
  SERVER_BUSY: 'Wait for a job.completed or job.failed notification, then try again (or raise --max-queue).',
  NOT_INITIALIZED: 'Send "initialize" first, once per connection.',
  UNAUTHORIZED: 'Send "Authorization: Bearer <token>" during the WebSocket upgrade; the token is in the file named by `recon-daemon status --json` (tokenFile).',
  JOB_NOT_FOUND: 'Use a jobId returned by recon.reconstruct or listed by jobs.list.',
  PATH_NOT_ALLOWED: "Name a file inside the job's folder by its relative path, e.g. \"result.json\".",
  UNSUPPORTED_PROTOCOL_VERSION: 'Update the client (or the daemon) so both speak the same protocol major version.',
  SHUTTING_DOWN: 'The daemon is stopping; start it again with `recon-daemon start`.',
  ORIGIN_NOT_ALLOWED: 'Web pages may not drive the daemon; add the origin to allowedOrigins in config.json if you really mean it.',
  HOST_NOT_ALLOWED: 'Connect to the address the daemon listens on (127.0.0.1 or localhost by default).',
  REQUEST_CANCELLED: 'Start the job again if you still need it.',
  REQUEST_FAILED: 'See data.code and data.hint.',
};

/** A protocol error: thrown by handlers, turned into a JSON-RPC error response or a job.failed notification. */
export class RpcError extends Error {
  readonly code: number;
  readonly data: RpcErrorData;

  constructor(code: number, message: string, data: RpcErrorData) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }

  static of(name: RpcErrorName, message: string, extra: { hint?: string; code?: string } & Record<string, unknown> = {}): RpcError {
    const { hint, code, ...rest } = extra;
    return new RpcError(RpcErrorCodes[name], message, { code: code ?? name, hint: hint ?? DEFAULT_HINTS[name], ...rest });
  }

  toObject(): RpcErrorObject {
    return { code: this.code, message: this.message, data: this.data };
  }

  static fromObject(e: RpcErrorObject): RpcError {
    return new RpcError(e.code, e.message, e.data);
  }
}

/** String code for a standard/application numeric code (used to fill in `data` of library-made errors). */
export function nameOfCode(code: number): RpcErrorName {
  for (const [name, n] of Object.entries(RpcErrorCodes)) if (n === code) return name as RpcErrorName;
  return 'INTERNAL_ERROR';
}

/** Shape of an engine failure as workers report it (ReconError.toJSON()). */
export interface EngineErrorJson {
  code: string;
  message: string;
  hint: string;
  details?: Record<string, unknown>;
}

/** Engine error → protocol error. The engine's code stays in data.code; the numeric code says what kind. */
export function fromEngineError(e: EngineErrorJson): RpcError {
  const numeric =
    e.code === 'CANCELLED'
      ? RpcErrorCodes.REQUEST_CANCELLED
      : e.code === 'INVALID_OPTION'
        ? RpcErrorCodes.INVALID_PARAMS
        : e.code === 'INTERNAL_ERROR'
          ? RpcErrorCodes.INTERNAL_ERROR
          : RpcErrorCodes.REQUEST_FAILED;
  const code = e.code === 'CANCELLED' ? 'REQUEST_CANCELLED' : e.code;
  return new RpcError(numeric, e.message, { code, hint: e.hint, ...(e.details ? { details: e.details } : {}) });
}

/** Anything thrown → RpcError; unknown exceptions are wrapped so their internals never reach a client. */
export function toRpcError(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  return RpcError.of('INTERNAL_ERROR', 'Internal error while handling the request');
}
