// One connected client: its id, handshake state, event subscription, and the only way to send it messages.
//
// Flow control, both ways, so one client can hold only a bounded share of the daemon's memory and time:
// - in: at most `maxFramesInFlight` of its frames are parsed or handled at once, and none while it has more
//   than `replyHighWaterBytes` of replies unread; frames that arrive meanwhile wait here, and the daemon
//   stops reading its socket (TCP then slows the client down) until they can go on;
// - out: at `maxUnreadBytes` unread (notifications keep coming) the client is disconnected.
// result.read reserves its reply's size here first, so a batch of reads cannot overshoot the bound either.
// A client above the high-water mark that takes nothing for `stalledReaderMs` is cut off (daemon.ts sweeps).
import { randomBytes } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import type { NotificationName, NotificationParams, SubscribableEvent } from '../rpc/protocol.js';

export interface FlowLimits {
  maxFramesInFlight: number;
  maxReadsInFlight: number;
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
  /** Frames received and not handed on yet (bounded: the socket is paused while any wait). */
  private readonly backlog: Array<{ data: RawData; isBinary: boolean }> = [];
  private reserved = 0;
  private reads = 0;
  private readonly readQueue: Array<() => void> = [];
  private paused = false;
  /** When a message last reached the socket, or the client last had little unread (it is reading). */
  private lastDrainAt = Date.now();

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: FlowLimits,
    /** Handles one frame; call frameDone() when its reply has been sent. */
    private readonly onFrame: (data: RawData, isBinary: boolean) => void = () => undefined,
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

  /** A frame arrived (ws 'message'): handed on now, or when the flow allows. */
  receive(data: RawData, isBinary: boolean): void {
    this.lastFrameAt = Date.now();
    this.backlog.push({ data, isBinary });
    this.applyFlow();
  }

  frameDone(): void {
    this.framesInFlight--;
    this.applyFlow();
  }

  private get saturated(): boolean {
    return this.framesInFlight >= this.limits.maxFramesInFlight || this.unreadBytes > this.limits.replyHighWaterBytes;
  }

  /** Hand on waiting frames while the flow allows; read the socket only while nothing waits. */
  private applyFlow(): void {
    while (this.backlog.length && !this.saturated && this.open) {
      const f = this.backlog.shift()!;
      this.framesInFlight++;
      this.onFrame(f.data, f.isBinary);
    }
    const hold = this.backlog.length > 0 || this.saturated;
    if (hold === this.paused || !this.open) return;
    this.paused = hold;
    if (hold) this.ws.pause();
    else this.ws.resume();
  }

  // --- out --------------------------------------------------------------------------------------------

  /** A turn to read a file for result.read (at most maxReadsInFlight at once); call the result when done. */
  async readTurn(): Promise<() => void> {
    if (this.reads >= this.limits.maxReadsInFlight) await new Promise<void>((r) => this.readQueue.push(r));
    else this.reads++;
    return () => {
      const next = this.readQueue.shift();
      if (next) next(); // the turn passes on: `reads` stays the same
      else this.reads--;
    };
  }

  /** Whether a reply of `bytes` would fit within what this client may have unread. */
  hasRoom(bytes: number): boolean {
    return this.unreadBytes + this.reserved + bytes <= this.limits.maxUnreadBytes;
  }

  /** Room for a reply of `bytes` (result.read), held until release(): false when it does not fit. */
  reserve(bytes: number): boolean {
    if (!this.hasRoom(bytes)) return false;
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
    // The stall clock starts when the client falls behind, not at its last message long ago.
    if (this.unreadBytes <= this.limits.replyHighWaterBytes) this.lastDrainAt = Date.now();
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
