// The dispatcher in process, over a real WebSocket pair: whatever a handler throws or returns, the client gets
// a JSON-RPC reply (-32603 for the daemon's own failures, with no internal text) and nothing escapes.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Dispatcher, type Handlers } from '../src/server/dispatcher.js';
import { decodeFrame } from '../src/server/frames.js';
import { LIMITS } from '../src/server/limits.js';
import { createLogger } from '../src/server/log.js';
import { Session } from '../src/server/session.js';

const logged: string[] = [];
let wss: WebSocketServer;
let client: WebSocket;
let session: Session;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const port = (wss.address() as { port: number }).port;
  const accepted = once(wss, 'connection');
  client = new WebSocket(`ws://127.0.0.1:${port}/`);
  const [ws] = (await accepted) as [WebSocket];
  session = new Session(ws, LIMITS);
  session.initialized = true;
  await once(client, 'open');
});

afterAll(() => {
  client.close();
  wss.close();
});

function dispatcher(overrides: Partial<Handlers>): Dispatcher {
  const unused = () => {
    throw new Error('not used in this test');
  };
  const handlers = new Proxy(overrides, { get: (t, k) => (t as Record<string, unknown>)[k as string] ?? unused }) as Handlers;
  return new Dispatcher(handlers, createLogger('error', (l) => logged.push(l)), { limits: LIMITS });
}

async function roundTrip(d: Dispatcher, text: string): Promise<unknown> {
  const reply = once(client, 'message');
  await d.handle(decodeFrame(text, LIMITS), session);
  const [data] = (await reply) as [Buffer];
  return JSON.parse(data.toString());
}

describe('Dispatcher', () => {
  it('answers -32603 without the exception text when a handler throws, and logs the stack', async () => {
    const d = dispatcher({ ping: () => { throw new TypeError('secret internals at /home/ana/x'); } });
    const r = await roundTrip(d, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(r).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Internal error while handling the request', data: { code: 'INTERNAL_ERROR', hint: expect.any(String) } } });
    expect(JSON.stringify(r)).not.toContain('secret');
    expect(logged.join('')).toContain('secret internals');
  });

  it('answers -32603 when a result cannot be serialised (a cycle, a BigInt)', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const d = dispatcher({ ping: () => cyclic as never, 'daemon.status': () => ({ big: 10n }) as never });
    expect(await roundTrip(d, '{"jsonrpc":"2.0","id":"a","method":"ping"}')).toMatchObject({ id: 'a', error: { code: -32603 } });
    const batch = (await roundTrip(d, '[{"jsonrpc":"2.0","id":1,"method":"daemon.status"},{"jsonrpc":"2.0","id":2,"method":"ping"}]')) as Array<{ id: number; error: { code: number } }>;
    expect(batch.map((m) => [m.id, m.error.code])).toEqual([[1, -32603], [2, -32603]]);
  });

  it('replaces batch replies past maxReplyBytes with REPLY_TOO_LARGE, in order', async () => {
    const d = new Dispatcher(
      new Proxy({}, { get: () => () => ({ time: 'x'.repeat(4000) }) }) as Handlers,
      createLogger('error', () => undefined),
      { limits: { maxReplyBytes: 10_000, maxReadBytesPerFrame: 1 } },
    );
    const batch = (await roundTrip(d, JSON.stringify([1, 2, 3, 4].map((id) => ({ jsonrpc: '2.0', id, method: 'ping' }))))) as Array<{ id: number; result?: unknown; error?: { data: { code: string } } }>;
    expect(batch.map((m) => (m.result ? 'ok' : m.error!.data.code))).toEqual(['ok', 'ok', 'REPLY_TOO_LARGE', 'REPLY_TOO_LARGE']);
    expect(batch.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  });
});
