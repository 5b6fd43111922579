// Params validation with one wording for every bad parameter:
//   "Expected integer 128–1024 for options.size but received 2000"
// Schemas in protocol.ts put the "expected …" phrase in each leaf's message; this file adds the field path and
// the value received, so a message names the field and says what was wrong with it.
import type { z } from 'zod';
import { RpcError } from './errors.js';
import { EXPECTED } from './protocol.js';

/** Short, bounded rendering of a received value (base64 strings can be megabytes). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || 'params';
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

export function formatIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const field = fieldName(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (issue.path.length ? `${field}.${k}` : k));
    return `Unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
  }
  const received = describeValue(valueAt(root, issue.path));
  if (issue.message.startsWith(EXPECTED)) return `Expected ${issue.message.slice(EXPECTED.length)} for ${field} but received ${received}`;
  return `Invalid ${field} (${issue.message}); received ${received}`;
}

/** Parse params or throw INVALID_PARAMS (-32602) whose message names every bad field. */
export function parseParams<P>(method: string, schema: z.ZodType<P>, params: unknown): P {
  // Methods without parameters may omit them; positional (array) params are not supported.
  const value = params === undefined ? {} : params;
  if (Array.isArray(value)) {
    throw RpcError.of('INVALID_PARAMS', `Invalid params for ${method}: Expected an object of named parameters for params but received an array`);
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const messages = r.error.issues.map((i) => formatIssue(i, value));
  const fields = r.error.issues.map((i) => fieldName(i.path));
  throw RpcError.of('INVALID_PARAMS', `Invalid params for ${method}: ${messages.join('; ')}`, { fields });
}
