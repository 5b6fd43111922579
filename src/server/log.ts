// A minimal line logger: one line per event on stderr (which `start` points at the log file), ISO time,
// level, message and optional JSON fields. Enough for a local daemon; no dependency.
//
// Clients (and anyone who can open a socket) can make the daemon log, so the log is bounded: each message
// text may write `burst` lines at once and `ratePerSec` after that (the lines it drops are counted, and the
// next line written for it says how many), and every field value is cut to `fieldChars` characters.
// log-file.ts rotates the file itself.
import { LIMITS } from './limits.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LogLimits {
  burst: number;
  ratePerSec: number;
  fieldChars: number;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const DEFAULT_LOG_LIMITS: LogLimits = { burst: LIMITS.logBurst, ratePerSec: LIMITS.logRatePerSec, fieldChars: LIMITS.logFieldChars };

function clip(v: unknown, max: number): unknown {
  if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}… (${v.length} characters)` : v;
  return v;
}

function render(fields: Record<string, unknown>, max: number): string {
  const clipped: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) clipped[k] = clip(v, max);
  try {
    return ` ${JSON.stringify(clipped)}`;
  } catch {
    return ' {"fields":"(not serialisable)"}';
  }
}

/** Per message text: a token bucket, and the lines it dropped since the last one written. */
interface Bucket {
  tokens: number;
  at: number;
  dropped: number;
}

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
  limits: LogLimits = DEFAULT_LOG_LIMITS,
  now: () => number = Date.now,
): Logger {
  const buckets = new Map<string, Bucket>();
  const admit = (msg: string): number | undefined => {
    const t = now();
    let b = buckets.get(msg);
    if (!b) {
      // Messages are the code's own texts, so the map stays small; cleared anyway if something goes wrong.
      if (buckets.size > 10_000) buckets.clear();
      buckets.set(msg, (b = { tokens: limits.burst, at: t, dropped: 0 }));
    }
    b.tokens = Math.min(limits.burst, b.tokens + ((t - b.at) / 1000) * limits.ratePerSec);
    b.at = t;
    if (b.tokens < 1) {
      b.dropped++;
      return undefined;
    }
    b.tokens--;
    const dropped = b.dropped;
    b.dropped = 0;
    return dropped;
  };
  const log = (lv: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lv] < ORDER[level]) return;
    const dropped = admit(msg);
    if (dropped === undefined) return;
    const all = dropped ? { ...fields, suppressed: dropped } : fields;
    write(`${new Date(now()).toISOString()} ${lv.padEnd(5)} ${msg}${all ? render(all, limits.fieldChars) : ''}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
