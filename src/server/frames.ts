// One WebSocket text frame → the JSON-RPC requests in it, checked before any handler or the json-rpc-2.0
// library sees them: nesting depth (scanned before JSON.parse, which is slow on deep nesting and whose result
// cannot be echoed back without overflowing the stack), batch length, request shape, and ids of JSON-RPC's
// types only (string, number, null). Pure: the frame thread (frame-thread.ts) runs the same code on big frames.
//
// Big frames are base64 uploads: the frame thread also decodes `image.data` of recon.reconstruct to bytes and
// puts a short placeholder in its place (`uploads`), so the event loop never holds or scans the big string.
import { randomBytes } from 'node:crypto';
import type { JSONRPCErrorResponse, JSONRPCID, JSONRPCRequest } from 'json-rpc-2.0';
import { DEFAULT_HINTS, RpcErrorCodes } from '../rpc/errors.js';
import { Reconstruct } from '../rpc/protocol.js';

export interface FrameLimits {
  maxBatch: number;
  maxJsonDepth: number;
  maxIdLength: number;
}

/** One member of a frame: a request to dispatch, or the error answering a member that is not one. */
export type FrameItem = { request: JSONRPCRequest } | { error: JSONRPCErrorResponse };

export interface DecodedFrame {
  batch: boolean;
  items: FrameItem[];
  /** Placeholder string → decoded upload bytes (frames decoded on the frame thread only). */
  uploads: Map<string, Uint8Array>;
}

/** An error answering a frame (or one member of it) that cannot be dispatched. */
export function errorItem(id: JSONRPCID, name: 'PARSE_ERROR' | 'INVALID_REQUEST' | 'INTERNAL_ERROR', message: string): { error: JSONRPCErrorResponse } {
  return { error: { jsonrpc: '2.0', id, error: { code: RpcErrorCodes[name], message, data: { code: name, hint: DEFAULT_HINTS[name] } } } };
}

const INVALID_SHAPE = 'Invalid Request: expected a JSON-RPC 2.0 request object {"jsonrpc": "2.0", "method", "params", "id"}';

/** True when brackets nest deeper than `max` anywhere outside strings (linear, no parse). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

function isId(v: unknown, maxIdLength: number): v is JSONRPCID {
  return v === null || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= maxIdLength);
}

function checkRequest(v: unknown, limits: FrameLimits): FrameItem {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return errorItem(null, 'INVALID_REQUEST', INVALID_SHAPE);
  const r = v as Record<string, unknown>;
  const idOk = !('id' in r) || isId(r.id, limits.maxIdLength);
  const id = idOk && 'id' in r ? (r.id as JSONRPCID) : null;
  if (!idOk) {
    return errorItem(null, 'INVALID_REQUEST', `Invalid Request: expected a string of at most ${limits.maxIdLength} characters, a number or null for id`);
  }
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string' || 'result' in r || 'error' in r) return errorItem(id, 'INVALID_REQUEST', INVALID_SHAPE);
  return { request: r as unknown as JSONRPCRequest };
}

/** Parse and check one frame's text. Never throws. */
export function decodeFrame(text: string, limits: FrameLimits): DecodedFrame {
  const uploads = new Map<string, Uint8Array>();
  if (nestsDeeperThan(text, limits.maxJsonDepth)) {
    return { batch: false, items: [errorItem(null, 'INVALID_REQUEST', `Invalid Request: the message nests deeper than ${limits.maxJsonDepth} levels`)], uploads };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { batch: false, items: [errorItem(null, 'PARSE_ERROR', 'Parse error: the message is not valid JSON')], uploads };
  }
  if (!Array.isArray(value)) return { batch: false, items: [checkRequest(value, limits)], uploads };
  if (value.length === 0) return { batch: false, items: [errorItem(null, 'INVALID_REQUEST', 'Invalid Request: an empty batch')], uploads };
  if (value.length > limits.maxBatch) {
    return {
      batch: false,
      items: [errorItem(null, 'INVALID_REQUEST', `Invalid Request: a batch of ${value.length} requests; at most ${limits.maxBatch} per frame`)],
      uploads,
    };
  }
  return { batch: true, items: value.map((v) => checkRequest(v, limits)), uploads };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Same acceptance as the protocol's z.base64(), in one linear pass. */
function isBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64.test(s);
}

/**
 * Decode each recon.reconstruct's `params.image.data` to bytes and leave a short placeholder in its place
 * (a valid base64 string, so the params schema still holds). Data that is not base64 is replaced by a short
 * text that fails the schema with the same message.
 */
export function extractUploads(frame: DecodedFrame): void {
  for (const item of frame.items) {
    if (!('request' in item) || item.request.method !== Reconstruct.method) continue;
    const image = (item.request.params as { image?: { data?: unknown } } | undefined)?.image;
    if (!image || typeof image !== 'object' || typeof image.data !== 'string' || image.data.length === 0) continue;
    if (!isBase64(image.data)) {
      image.data = `(not base64: ${image.data.length} characters)`;
      continue;
    }
    const placeholder = randomBytes(18).toString('base64');
    const buf = Buffer.from(image.data, 'base64');
    // A view that owns its whole buffer can be transferred between threads without a copy.
    frame.uploads.set(placeholder, buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? new Uint8Array(buf.buffer) : new Uint8Array(buf));
    image.data = placeholder;
  }
}
