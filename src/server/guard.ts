// Who may open a connection, decided during the HTTP upgrade before any WebSocket exists:
//   1. Origin: a browser always sends one; unless it is on the allowlist (or the daemon's own address), refuse,
//      so a web page cannot drive the daemon (cross-site WebSocket hijacking).
//   2. Host: must name the address the daemon listens on, so a DNS-rebound name (evil.example → 127.0.0.1)
//      is refused even if the browser thinks it is same-origin.
//   3. Token: `Authorization: Bearer <token>`, compared in constant time.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { RpcError } from '../rpc/errors.js';
import { isLoopbackHost } from './config.js';
import { tokensEqual } from './token.js';

export interface GuardOptions {
  token: string;
  /** Bound host as configured (127.0.0.1, ::1, 0.0.0.0…). */
  host: string;
  /** Bound port (known after listen). */
  port: () => number;
  allowedOrigins: readonly string[];
}

export type GuardResult = { ok: true } | { ok: false; status: number; error: RpcError };

function stripPort(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const i = hostHeader.lastIndexOf(':');
  return i >= 0 && hostHeader.indexOf(':') === i ? hostHeader.slice(0, i) : hostHeader;
}

export function hostAllowed(hostHeader: string, o: GuardOptions): boolean {
  const name = stripPort(hostHeader.trim().toLowerCase());
  const bare = name.replace(/^\[|\]$/g, '');
  if (name === 'localhost' || isLoopbackHost(bare)) return true;
  if (bare === o.host.toLowerCase()) return true;
  if (isLoopbackHost(o.host)) return false;
  // Listening on the LAN: IP literals and this machine's own names are fine; other names are rebinding.
  const self = os.hostname().toLowerCase();
  return net.isIP(bare) !== 0 || bare === self || bare === `${self}.local`;
}

function selfOrigins(o: GuardOptions): string[] {
  const p = o.port();
  return [`http://127.0.0.1:${p}`, `http://localhost:${p}`, `http://[::1]:${p}`];
}

export function checkUpgrade(req: IncomingMessage, o: GuardOptions): GuardResult {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const allowed = [...o.allowedOrigins, ...selfOrigins(o)].map((s) => s.toLowerCase());
    if (!allowed.includes(origin.toLowerCase())) {
      return { ok: false, status: 403, error: RpcError.of('ORIGIN_NOT_ALLOWED', `Connections from origin ${JSON.stringify(origin)} are refused`) };
    }
  }
  const host = req.headers.host;
  if (!host || !hostAllowed(host, o)) {
    return { ok: false, status: 403, error: RpcError.of('HOST_NOT_ALLOWED', `Host ${JSON.stringify(host ?? '')} is not an address of this daemon`) };
  }
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  if (!m) {
    return { ok: false, status: 401, error: RpcError.of('UNAUTHORIZED', 'Missing "Authorization: Bearer <token>" header') };
  }
  if (!tokensEqual(m[1], o.token)) {
    return { ok: false, status: 401, error: RpcError.of('UNAUTHORIZED', 'The token does not match this daemon\'s token') };
  }
  return { ok: true };
}
