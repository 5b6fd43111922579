// Connection limits around the WebSocket server, so neither unauthenticated sockets nor idle clients can
// exhaust the daemon's file descriptors or connection slots (limits.ts has the values):
// - every TCP connection must complete its HTTP request (the upgrade) within `upgradeTimeoutMs`;
// - at most `maxPendingSockets` sockets may be in that phase at once; a new one pushes out the oldest, so a
//   flood of silent sockets costs a real client at most one retry, never a lockout;
// - with every connection slot taken, the connection quiet the longest (see pickEvictable) makes room.
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface PendingSocketLimits {
  upgradeTimeoutMs: number;
  maxPendingSockets: number;
}

/** Sockets that have not finished their HTTP phase yet, oldest first. */
export class PendingSockets {
  private readonly sockets = new Set<Socket>();

  constructor(private readonly o: PendingSocketLimits) {}

  /** Count every new connection of `server` until it upgrades or closes. */
  attach(server: http.Server): void {
    // Node's own header timeout, checked every second rather than every 30 s.
    server.headersTimeout = this.o.upgradeTimeoutMs;
    server.requestTimeout = this.o.upgradeTimeoutMs;
    server.on('connection', (socket: Socket) => this.add(socket));
  }

  get size(): number {
    return this.sockets.size;
  }

  private add(socket: Socket): void {
    if (this.sockets.size >= this.o.maxPendingSockets) {
      const oldest = this.sockets.values().next().value;
      if (oldest) {
        this.sockets.delete(oldest);
        oldest.destroy();
      }
    }
    this.sockets.add(socket);
    socket.setTimeout(this.o.upgradeTimeoutMs, () => socket.destroy());
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** The socket became a WebSocket (or is being answered and closed): no longer pending, no more timeout. */
  release(socket: Duplex): void {
    const s = socket as Socket;
    if (this.sockets.delete(s)) s.setTimeout(0);
  }
}

export interface Evictable {
  clientId: string;
  lastFrameAt: number;
}

/**
 * The connection to close so a new client can get in: the one quiet the longest (no complete frame), if it has
 * been quiet at least `quietMs` and has no queued or running job (its notifications still matter).
 */
export function pickEvictable<S extends Evictable>(sessions: Iterable<S>, now: number, quietMs: number, busy: (clientId: string) => boolean): S | undefined {
  let pick: S | undefined;
  for (const s of sessions) {
    if (now - s.lastFrameAt < quietMs || busy(s.clientId)) continue;
    if (!pick || s.lastFrameAt < pick.lastFrameAt) pick = s;
  }
  return pick;
}
