// One connected client: its id, handshake state, event subscription, and the only way to send it messages.
//
// Flow control, both ways, so one client can hold only a bounded share of the daemon's memory and time:
// - in: at most `maxFramesInFlight` of its frames are parsed or handled at once; beyond that the daemon stops
//   reading its socket (TCP then slows the client down) until some finish;
// - out: replies it has not read pile up in the socket; above `replyHighWaterBytes` the daemon stops reading
//   its requests until it reads, and at `maxUnreadBytes` (notifications keep coming) it is disconnected.
// result.read reserves its reply's size here first, so a batch of reads cannot overshoot the bound either.
// A client above the high-water mark that takes nothing for `stalledReaderMs` is cut off (daemon.ts sweeps).
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { NotificationName, NotificationParams, SubscribableEvent } from '../rpc/protocol.js';

export interface FlowLimits {
  maxFramesInFlight: number;
  replyHighWaterBytes: number;
  maxUnreadBytes: number;
  stalledReaderMs: number;
}

export class Session {
  readonly clientId = `c-${randomBytes(6).toString('hex')}`;
  initialized = false;
  clientInfo: { name: string; version: string } | undefined;
  events = new Set<SubscribableEvent>();
  /** When the last complete frame arrived (or the connection opened). */
  lastFrameAt = Date.now();
  private framesInFlight = 0;
  private reserved = 0;
  private paused = false;
  /** When a message last reached the socket (the client is reading). */
  private lastDrainAt = Date.now();

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: FlowLimits,
  ) {}

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes sent to this client that it has not read yet (the socket's buffer and ws's queue). */
  get unreadBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** Unread bytes plus result.read replies reserved and not sent yet. */
  get heldBytes(): number {
    return this.unreadBytes + this.reserved;
  }

  // --- in ---------------------------------------------------------------------------------------------

  /** A frame arrived; call frameDone() when its reply has been sent. */
  frameStarted(): void {
    this.lastFrameAt = Date.now();
    this.framesInFlight++;
    this.applyFlow();
  }

  frameDone(): void {
    this.framesInFlight--;
    this.applyFlow();
  }

  private applyFlow(): void {
    const hold = this.framesInFlight >= this.limits.maxFramesInFlight || this.unreadBytes > this.limits.replyHighWaterBytes;
    if (hold === this.paused || !this.open) return;
    this.paused = hold;
    if (hold) this.ws.pause();
    else this.ws.resume();
  }

  // --- out --------------------------------------------------------------------------------------------

  /** Room for a reply of `bytes` (result.read): false when the client already has too much unread. */
  reserve(bytes: number): boolean {
    if (this.unreadBytes + this.reserved + bytes > this.limits.maxUnreadBytes) return false;
    this.reserved += bytes;
    return true;
  }

  release(bytes: number): void {
    this.reserved -= bytes;
  }

  send(message: unknown): void {
    this.sendText(JSON.stringify(message));
  }

  sendText(text: string | Buffer): void {
    if (!this.open) return;
    const size = typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
    if (this.unreadBytes + size > this.limits.maxUnreadBytes) {
      // A close frame would wait behind everything unread: cut the connection instead.
      this.ws.terminate();
      return;
    }
    // The callback runs once the message has reached the socket: the moment to read requests again.
    this.ws.send(text, { binary: false }, () => {
      this.lastDrainAt = Date.now();
      this.applyFlow();
    });
    this.applyFlow();
  }

  /** A client with more than the high-water mark unread that has taken nothing for stalledReaderMs. */
  stalled(now = Date.now()): boolean {
    return this.unreadBytes > this.limits.replyHighWaterBytes && now - this.lastDrainAt > this.limits.stalledReaderMs;
  }

  notify<N extends NotificationName>(method: N, params: NotificationParams<N>): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  close(code: number, reason: string): void {
    if (this.open) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }
}
