// Issue 21: a few thousand random and mutated frames against a real daemon, bounded in time. Afterwards the
// daemon is alive, answered every request it could with a JSON-RPC reply and never with an internal error,
// and still serves: a ping within 100 ms and a job completed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReconClient } from '../src/client/client.js';
import { Requests } from '../src/rpc/protocol.js';
import { expectHealthy, INIT, rawWs, serverFrames, SMALL, wsFrame, type RawWs } from './helpers/attack.js';
import { startDaemon, type TestDaemon } from './helpers/daemon.js';

const FRAMES = 5000;
const TIME_BUDGET_MS = 60_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);

/** xorshift32: the same frames on every run with the same seed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)];

const STRINGS = ['', 'a', 'ping', '__proto__', 'constructor', '../../etc/passwd', '/proc/self/pagemap', '/dev/zero', '/', SMALL, 'C:/x.jpg', '\\\\srv\\x', '\u0000', '💥', 'x'.repeat(5000), '%s%n', '${process.exit()}'];
const NUMBERS = [0, -1, 1, 1.5, 2 ** 31, -(2 ** 53), 1e308, -0, 128, 1024];

function value(depth: number): unknown {
  const k = int(depth > 6 ? 5 : 8);
  switch (k) {
    case 0:
      return pick(STRINGS);
    case 1:
      return pick(NUMBERS);
    case 2:
      return pick([true, false, null]);
    case 3:
      return String.fromCharCode(...Array.from({ length: int(20) }, () => int(0xffff)));
    case 4:
      return int(1000);
    case 5:
      return Array.from({ length: int(5) }, () => value(depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = int(5); i > 0; i--) o[pick(['image', 'path', 'data', 'options', 'jobId', 'events', 'all', 'command', 'args', 'graceMs', pick(STRINGS)])] = value(depth + 1);
      return o;
    }
  }
}

// Never daemon.shutdown (it would end the run) nor watch.add (it could watch "/" recursively).
const METHODS = Object.keys(Requests).filter((m) => m !== 'daemon.shutdown' && m !== 'watch.add');

function templates(): unknown[] {
  return [
    { jsonrpc: '2.0', id: int(1e6), method: 'recon.reconstruct', params: { image: { path: pick(['/proc/self/pagemap', '/etc/passwd', SMALL, '/tmp', '/dev/null']) }, options: { size: pick([128, 256, 2000]) } } },
    { jsonrpc: '2.0', id: int(1e6), method: 'recon.reconstruct', params: { image: { data: Buffer.from(pick(['<svg>', '<!-- c -->'.repeat(40), 'GIF89a', '\xff\xd8\xff'])).toString('base64') } } },
    { jsonrpc: '2.0', id: int(1e6), method: 'result.read', params: { jobId: pick(['x', '..', 'a'.repeat(64)]), path: pick(['result.json', '../x', '/etc/passwd', 'C:/x']) } },
    { jsonrpc: '2.0', id: int(1e6), method: 'job.cancel', params: { jobId: 'nope' } },
    { jsonrpc: '2.0', id: int(1e6), method: 'jobs.list', params: { all: true } },
    { jsonrpc: '2.0', id: int(1e6), method: 'events.subscribe', params: { events: ['job.completed', 'x'] } },
    { jsonrpc: '2.0', id: int(1e6), method: 'commands.execute', params: { command: 'x', args: [value(0)] } },
    { jsonrpc: '2.0', id: int(1e6), method: 'watch.remove', params: { watchId: 'w-000000000000' } },
    { jsonrpc: '2.0', method: 'ping' },
    { jsonrpc: '2.0', id: pick([null, 'id', 1.5]), method: pick(METHODS), params: value(0) },
  ];
}

function mutate(text: string): Buffer {
  const b = Buffer.from(text);
  const out = Buffer.from(b);
  switch (int(5)) {
    case 0: // flip bytes
      for (let i = int(4) + 1; i > 0; i--) if (out.length) out[int(out.length)] = int(256);
      return out;
    case 1: // truncate
      return out.subarray(0, int(out.length + 1));
    case 2: // duplicate a slice
      return Buffer.concat([out, out.subarray(int(out.length))]);
    case 3: // nest it
      return Buffer.from(`${'['.repeat(int(60))}${text}${']'.repeat(int(60))}`);
    default: // insert a JSON token
      return Buffer.from(text.slice(0, int(text.length)) + pick(['{', '[', '"', ',', '}', ']', 'null', '1e999', '\\u0000']) + text.slice(int(text.length)));
  }
}

function frame(): { payload: Buffer; opcode: number } {
  const k = int(10);
  if (k === 0) return { payload: Buffer.from(Array.from({ length: int(300) }, () => int(256))), opcode: pick([1, 2]) };
  if (k === 1) return { payload: Buffer.from(JSON.stringify(Array.from({ length: int(80) }, () => (rnd() < 0.5 ? pick(templates()) : value(0))))), opcode: 1 };
  if (k === 2) return { payload: Buffer.from(JSON.stringify(value(0))), opcode: 1 };
  const t = JSON.stringify(pick(templates()));
  return { payload: k < 6 ? Buffer.from(t) : mutate(t), opcode: 1 };
}

let d: TestDaemon;
let probe: ReconClient;

beforeAll(async () => {
  d = await startDaemon();
  probe = await d.connect();
});

afterAll(async () => {
  await probe?.close();
  await d?.stop();
  d?.te.cleanup();
});

it(`survives ${FRAMES} random and mutated frames (seed ${SEED}) and still serves`, async () => {
  const conns: RawWs[] = [];
  const open = async (): Promise<RawWs> => {
    const c = await rawWs(d);
    // Half the connections initialize, so methods past the handshake are reached too.
    if (conns.length % 2 === 0) c.send(INIT);
    return c;
  };
  for (let i = 0; i < 4; i++) conns.push(await open());
  const replies: string[] = [];
  const t0 = Date.now();
  let sent = 0;
  let reconnects = 0;
  while (sent < FRAMES && Date.now() - t0 < TIME_BUDGET_MS) {
    const i = sent % conns.length;
    if (conns[i].socket.destroyed) {
      replies.push(...serverFrames(conns[i].received()));
      conns[i] = await open();
      reconnects++;
    }
    const f = frame();
    if (/shutdown|watch\.add/.test(f.payload.toString('latin1'))) continue;
    conns[i].socket.write(wsFrame(f.payload, { opcode: f.opcode }));
    sent++;
    // A breath now and then, so the frames interleave with the daemon's replies.
    if (sent % 50 === 0) await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 2000));
  for (const c of conns) {
    replies.push(...serverFrames(c.received()));
    c.socket.destroy();
  }
  const parsed = replies.map((r) => JSON.parse(r) as unknown);
  const errors = parsed.flatMap((m) => (Array.isArray(m) ? m : [m])).filter((m): m is { error: { code: number; message: string } } => typeof m === 'object' && m !== null && 'error' in m);
  console.log(`fuzz: ${sent} frames in ${Date.now() - t0} ms, ${reconnects} reconnects, ${replies.length} replies, ${errors.length} errors`);
  expect(sent).toBeGreaterThan(FRAMES / 2);
  // Connections closed by bad frames (invalid UTF-8, protocol errors) take their unanswered frames along.
  expect(replies.length).toBeGreaterThan(sent / 10);
  // Every failure is a typed error; none is the daemon's own (-32603).
  expect(errors.filter((e) => e.error.code === -32603).map((e) => e.error.message)).toEqual([]);
  expect(d.output()).not.toMatch(/unhandled rejection|frame handling failed|request handling threw|reply could not be serialised/);
  await expectHealthy(d, probe);
});
