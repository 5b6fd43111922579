// One connected client: its id, handshake state, event subscription, and the only way to send it messages.
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { NotificationName, NotificationParams, SubscribableEvent } from '../rpc/protocol.js';

/** Past this many unsent bytes a client is not reading; it is disconnected rather than buffered forever. */
export const MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

export class Session {
  readonly clientId = `c-${randomBytes(6).toString('hex')}`;
  initialized = false;
  clientInfo: { name: string; version: string } | undefined;
  events = new Set<SubscribableEvent>();

  constructor(private readonly ws: WebSocket) {}

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  send(message: unknown): void {
    this.sendText(JSON.stringify(message));
  }

  sendText(text: string): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.close(1008, 'client is not reading its messages');
      return;
    }
    this.ws.send(text);
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
