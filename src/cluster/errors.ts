// What can go wrong between recon-daemon and Redis, as codes with a message that names the server (never its
// password) and a hint that says what to do. Transient ones (QUEUE_UNREACHABLE) are retried with backoff;
// QUEUE_AUTH_FAILED and QUEUE_TLS_FAILED are not: retrying a wrong password or an untrusted certificate changes
// nothing, so the command stops with the hint.
export const QueueErrorCodes = {
  QUEUE_UNREACHABLE: 'QUEUE_UNREACHABLE',
  QUEUE_AUTH_FAILED: 'QUEUE_AUTH_FAILED',
  QUEUE_TLS_FAILED: 'QUEUE_TLS_FAILED',
  QUEUE_ERROR: 'QUEUE_ERROR',
} as const;
export type QueueErrorCode = (typeof QueueErrorCodes)[keyof typeof QueueErrorCodes];

/** `message` starts with the code ("QUEUE_UNREACHABLE: Cannot reach Redis at …"), so every place that prints it says both. */
export class QueueError extends Error {
  constructor(
    readonly code: QueueErrorCode,
    /** The message without the code. */
    readonly detail: string,
    readonly hint: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'QueueError';
  }

  /** Worth retrying: the server may come back. */
  get transient(): boolean {
    return this.code === QueueErrorCodes.QUEUE_UNREACHABLE;
  }

  toJSON(): { code: QueueErrorCode; message: string; hint: string } {
    return { code: this.code, message: this.detail, hint: this.hint };
  }
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTDOWN']);
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|ERR_OSSL)/;

/** Turn an ioredis / socket / TLS error into a QueueError about the server `display`. */
export function queueErrorOf(e: unknown, display: string): QueueError {
  if (e instanceof QueueError) return e;
  const err = e as NodeJS.ErrnoException & { command?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = String(err?.message ?? e);
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return new QueueError(
      'QUEUE_AUTH_FAILED',
      `Redis at ${display} refused the user name or password`,
      'Check the password: in the URL (redis://:password@host:6379/0) or in the RECON_QUEUE_PASSWORD environment variable.',
    );
  }
  if (/NOAUTH|Authentication required/i.test(message)) {
    return new QueueError(
      'QUEUE_AUTH_FAILED',
      `Redis at ${display} requires a password and none was given`,
      'Give the password in the URL (redis://:password@host:6379/0) or, to keep it out of `ps`, in the RECON_QUEUE_PASSWORD environment variable.',
    );
  }
  if (/NOPERM/i.test(message)) {
    return new QueueError('QUEUE_AUTH_FAILED', `Redis at ${display} does not allow this user to use the queue: ${message}`, 'Allow the user the keys recon:<queue name>:* and the commands BullMQ needs (see docs/cluster.md#security).');
  }
  if (TLS_CODES.test(code) || /certificate|wrong version number|tls|ssl/i.test(message)) {
    return new QueueError(
      'QUEUE_TLS_FAILED',
      `TLS with Redis at ${display} failed: ${message}${code ? ` (${code})` : ''}`,
      "Use rediss:// only for Redis's TLS port and redis:// for a plain one; trust its certificate authority with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; the certificate must name the host in the URL.",
    );
  }
  if (NETWORK.has(code) || /Connection is closed|connect ETIMEDOUT|Socket closed|Stream isn't writeable|Reached the max retries/i.test(message)) {
    const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'its host name does not resolve' : code || 'the connection closed';
    return new QueueError(
      'QUEUE_UNREACHABLE',
      `Cannot reach Redis at ${display} (${why})`,
      'Start Redis there, or check the host and port in --queue and the firewall between the machines. recon-daemon keeps retrying with backoff and carries on when Redis is back.',
    );
  }
  return new QueueError('QUEUE_ERROR', `Redis at ${display} answered with an error: ${message}`, 'See docs/cluster.md; if it persists, report it with this message.');
}
