// Browser login for the daemon's own page (architecture §8, §13), Jupyter style but with a one-time link:
//
//   1. `recon-daemon open` (which can read the token file) mints a login ticket: an expiry time and a random
//      nonce, signed with HMAC-SHA256 keyed by the daemon's token. The token itself never goes into a URL.
//   2. The browser opens http://127.0.0.1:<port>/?token=<ticket>. The daemon checks the signature, the expiry
//      (LOGIN_TTL_MS) and that the nonce was never used, then answers with an HttpOnly, SameSite=Strict session
//      cookie and a redirect to the same page without the ticket (so it leaves the address bar and history).
//   3. Every page, asset and job file, and the WebSocket, then need that cookie. The WebSocket accepts it only
//      when the Origin is exactly the page's own origin (http://<Host>) with a Host that names this daemon.
//
// Cookies are scoped by host name, not by port, so a cookie for 127.0.0.1 also reaches other servers on
// 127.0.0.1 (and SameSite treats them as the same site). The Origin check on the WebSocket, Sec-Fetch-Site and
// Cross-Origin-Resource-Policy on HTTP (http.ts) are what keep such pages out; the cookie name carries the port
// so two daemons do not overwrite each other's sessions.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RpcError } from '../rpc/errors.js';
import type { GuardResult } from './guard.js';

/** How long a login link from `recon-daemon open` stays valid. */
export const LOGIN_TTL_MS = 5 * 60_000;
/** Sessions end with the browser (session cookie), on daemon restart, or after this long. */
export const SESSION_TTL_MS = 30 * 24 * 3600_000;
/** Sessions kept at once; the oldest goes first (each login makes one). */
const MAX_SESSIONS = 256;

const TICKET_PATTERN = /^(\d{13})\.([0-9a-f]{32})\.([0-9a-f]{64})$/;

function sign(token: string, expires: number, nonce: string): Buffer {
  return createHmac('sha256', token).update(`recon-daemon web login\n${expires}\n${nonce}`).digest();
}

/** A one-time login ticket for the daemon whose token is `token` (what `recon-daemon open` puts in the URL). */
export function mintLoginTicket(token: string, now = Date.now()): string {
  const expires = now + LOGIN_TTL_MS;
  const nonce = randomBytes(16).toString('hex');
  return `${expires}.${nonce}.${sign(token, expires, nonce).toString('hex')}`;
}

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export type LoginOutcome = { ok: true; sessionId: string } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'used' };

export class WebAuth {
  /** Session id → expiry time. */
  private readonly sessions = new Map<string, number>();
  /** Nonces of tickets already used → their expiry (kept until then, so a ticket works once). */
  private readonly usedNonces = new Map<string, number>();

  constructor(
    private readonly token: string,
    private readonly port: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get cookieName(): string {
    return `recon-daemon-${this.port()}`;
  }

  /** Exchange a ticket for a new session. */
  login(ticket: string): LoginOutcome {
    const t = this.now();
    this.prune(t);
    const m = TICKET_PATTERN.exec(ticket);
    if (!m) return { ok: false, reason: 'malformed' };
    const expires = Number(m[1]);
    const nonce = m[2];
    if (!timingSafeEqual(Buffer.from(m[3], 'hex'), sign(this.token, expires, nonce))) return { ok: false, reason: 'bad-signature' };
    // A ticket promising more than LOGIN_TTL_MS from now was not minted by `open` as it is.
    if (expires <= t || expires > t + LOGIN_TTL_MS + 60_000) return { ok: false, reason: 'expired' };
    if (this.usedNonces.has(nonce)) return { ok: false, reason: 'used' };
    this.usedNonces.set(nonce, expires);
    const sessionId = randomBytes(32).toString('hex');
    this.sessions.set(sessionId, t + SESSION_TTL_MS);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return { ok: true, sessionId };
  }

  /** The Set-Cookie header value for a new session. No Max-Age: the cookie ends with the browser session. */
  sessionCookie(sessionId: string): string {
    return `${this.cookieName}=${sessionId}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /** Does the request carry a live session cookie? */
  hasSession(req: IncomingMessage): boolean {
    const id = readCookie(req.headers.cookie, this.cookieName);
    if (!id) return false;
    const expires = this.sessions.get(id);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  /**
   * The WebSocket rule for browsers. Undefined when the upgrade carries an Authorization header or no session
   * cookie of ours: then the bearer-token rules (guard.ts) decide, unchanged. With our cookie, the Origin must
   * be exactly this page's origin, http://<Host>, and the Host one of the daemon's (hostAllowed).
   */
  checkUpgrade(req: IncomingMessage, hostAllowed: (host: string) => boolean): GuardResult | undefined {
    if (req.headers.authorization !== undefined) return undefined;
    if (readCookie(req.headers.cookie, this.cookieName) === undefined) return undefined;
    const host = req.headers.host ?? '';
    if (!host || !hostAllowed(host)) {
      return { ok: false, status: 403, error: RpcError.of('HOST_NOT_ALLOWED', `Host ${JSON.stringify(host)} is not an address of this daemon`) };
    }
    const origin = req.headers.origin;
    if (origin === undefined || origin.toLowerCase() !== `http://${host.toLowerCase()}`) {
      return {
        ok: false,
        status: 403,
        error: RpcError.of('ORIGIN_NOT_ALLOWED', `Connections from origin ${JSON.stringify(origin ?? '')} are refused`, {
          hint: 'Only the daemon\'s own page may use its login cookie; other clients send "Authorization: Bearer <token>".',
        }),
      };
    }
    if (!this.hasSession(req)) {
      return {
        ok: false,
        status: 401,
        error: RpcError.of('UNAUTHORIZED', 'The login session is unknown or has expired', { hint: 'Run `recon-daemon open` for a new login link.' }),
      };
    }
    return { ok: true };
  }

  private prune(t: number): void {
    for (const [nonce, expires] of this.usedNonces) if (expires <= t) this.usedNonces.delete(nonce);
    for (const [id, expires] of this.sessions) if (expires <= t) this.sessions.delete(id);
  }
}
