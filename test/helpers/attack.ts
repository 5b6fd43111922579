// Tools for the hardening tests: raw TCP and hand-made WebSocket frames (half frames, clients that never read
// their replies), and the check every attack test ends with: another client still gets a ping answered
// within 100 ms and still gets its job done.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { expect } from 'vitest';
import type { ReconClient } from '../../src/client/client.js';
import type { TestDaemon } from './daemon.js';
import { casePath } from './paths.js';

export const SMALL = casePath('obama_240p_letterbox.jpg');

/** Ping round trip, ms. */
export async function pingMs(c: ReconClient): Promise<number> {
  const t0 = performance.now();
  await c.request('ping', {});
  return performance.now() - t0;
}

/**
 * After an attack has been answered or contained: a ping from `probe` (or a fresh client) answers within
 * 100 ms, and a job of that client completes. Returns the ping time.
 */
export async function expectHealthy(d: TestDaemon, probe?: ReconClient): Promise<number> {
  expect(d.child.exitCode, `daemon exited:\n${d.output().slice(-2000)}`).toBeNull();
  const c = probe ?? (await d.connect());
  try {
    const ms = await pingMs(c);
    expect(ms, 'ping round trip after the attack (ms)').toBeLessThan(100);
    const r = await c.reconstruct({ path: SMALL });
    expect(r.faces).toBe(1);
    return ms;
  } finally {
    if (!probe) await c.close();
  }
}

/** Ping `c` every `everyMs` until stop(); resolves with every round trip measured. */
export function pingWhile(c: ReconClient, everyMs = 20): { stop: () => Promise<number[]> } {
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      times.push(await pingMs(c));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return times;
    },
  };
}

/** A masked client → server frame (RFC 6455 §5.2). `declaredLength` lies about the length (half frames). */
export function wsFrame(payload: Buffer | string, o: { opcode?: number; fin?: boolean; declaredLength?: number } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = o.declaredLength ?? data.length;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.opcode ?? 1)];
  if (len < 126) head.push(0x80 | len);
  else if (len < 65536) head.push(0x80 | 126, len >> 8, len & 255);
  else {
    head.push(0x80 | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
  }
  const mask = randomBytes(4);
  const masked = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i] ^ mask[i & 3];
  return Buffer.concat([Buffer.from(head), mask, masked]);
}

export interface RawWs {
  socket: net.Socket;
  /** Bytes received after the handshake (only while reading). */
  received(): Buffer;
  send(text: string | Buffer): void;
  /** Stop reading the socket: replies pile up on the daemon's side. */
  stopReading(): void;
  closed: Promise<void>;
}

/** A WebSocket client by hand over TCP: the handshake, then whatever frames the test writes. */
export async function rawWs(d: TestDaemon, o: { token?: string } = {}): Promise<RawWs> {
  const socket = net.connect(d.info.port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r, j) => {
    socket.once('connect', () => r());
    socket.once('error', j);
  });
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${d.info.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${o.token ?? d.token}\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = buf.subarray(0, end).toString();
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      buf = buf.subarray(end + 4);
      resolve();
    };
    socket.on('data', onData);
  });
  const onData = (chunk: Buffer) => (buf = Buffer.concat([buf, chunk]));
  socket.on('data', onData);
  return {
    socket,
    received: () => buf,
    send: (text) => socket.write(wsFrame(text)),
    stopReading: () => {
      socket.off('data', onData);
      socket.pause();
    },
    closed,
  };
}

/** Text of the server → client frames in `buf` (unmasked, not fragmented). */
export function serverFrames(buf: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    let len = buf[i + 1] & 127;
    let at = i + 2;
    if (len === 126) {
      len = buf.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      len = Number(buf.readBigUInt64BE(at));
      at += 8;
    }
    if (at + len > buf.length) break;
    if ((buf[i] & 15) === 1) out.push(buf.subarray(at, at + len).toString());
    i = at + len;
  }
  return out;
}

export const INIT = JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { clientInfo: { name: 'attack', version: '1' }, protocolVersion: '1.0' } });

/** Open file descriptors of a process (Linux). */
export function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of a process and its threads, bytes (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Wait until `f()` is true, polling; false if it is not by the deadline. */
export async function eventually(f: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await f()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
