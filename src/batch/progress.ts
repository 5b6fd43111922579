// How a run shows itself: a cli-progress bar with rate and ETA on a terminal, one plain line per photo
// otherwise (logs, CI, pipes), or nothing (--quiet). Everything goes to stderr; stdout carries the summary.
import type { ManifestRecord } from './record.js';
import type { PhotoEvent, Progress } from './run.js';

export type ProgressMode = 'bar' | 'lines' | 'none';

export interface Reporter {
  start(description: string, p: Progress): void;
  total(p: Progress): void;
  photo(e: PhotoEvent, p: Progress): void;
  /** A message that must not be lost under the bar. */
  log(message: string): void;
  stop(): void;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "pass LOW_RESOLUTION 262 ms", or the error: what a progress line says about a photo. */
export function describeRecord(r: ManifestRecord): string {
  if (r.error) return `${r.error.code}: ${r.error.message}`;
  const parts = [r.verdict ?? ''];
  if (r.codes.length) parts.push(r.codes.join(','));
  if (r.filteredBy) parts.push(`filtered by ${r.filteredBy.join(', ')}`);
  if (r.timings.batch !== undefined) parts.push(`${r.timings.batch} ms`);
  return parts.filter(Boolean).join(' ');
}

class LineReporter implements Reporter {
  constructor(
    private readonly out: NodeJS.WritableStream,
    /** Watch mode: no total, rate or ETA (the run waits for photos that have not arrived). */
    private readonly continuous = false,
  ) {}

  start(description: string, p: Progress): void {
    this.out.write(`batch: ${p.total} photo${p.total === 1 ? '' : 's'} (${description})\n`);
  }

  total(): void {}

  photo(e: PhotoEvent, p: Progress): void {
    if (e.skipped) return;
    if (this.continuous) {
      this.out.write(`[${new Date().toISOString().slice(11, 19)}] ${e.record.status.padEnd(8)} ${e.source}  ${describeRecord(e.record)}\n`);
      return;
    }
    const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
    const head = `[${String(p.done).padStart(String(p.total).length)}/${p.total} ${String(pct).padStart(3)}% ${p.rate.toFixed(2)} img/s ETA ${formatDuration(p.etaSeconds)}]`;
    this.out.write(`${head} ${e.record.status.padEnd(8)} ${e.source}  ${describeRecord(e.record)}\n`);
  }

  log(message: string): void {
    this.out.write(message + '\n');
  }

  stop(): void {}
}

class SilentReporter implements Reporter {
  start(): void {}
  total(): void {}
  photo(): void {}
  log(): void {}
  stop(): void {}
}

type Bar = import('cli-progress').SingleBar;
type Multi = import('cli-progress').MultiBar;

class BarReporter implements Reporter {
  private bar: Bar | undefined;

  constructor(
    private readonly multi: Multi,
    private readonly out: NodeJS.WritableStream,
  ) {}

  private payload(p: Progress): object {
    return { rate: p.rate.toFixed(2), eta_text: formatDuration(p.etaSeconds), ok: p.ok, warned: p.warned, failed: p.failed, filtered: p.filtered, skipped: p.skipped };
  }

  start(description: string, p: Progress): void {
    this.out.write(`batch: ${p.total} photo${p.total === 1 ? '' : 's'} (${description})\n`);
    this.bar = this.multi.create(p.total, p.done, this.payload(p));
  }

  total(p: Progress): void {
    this.bar?.setTotal(p.total);
  }

  photo(e: PhotoEvent, p: Progress): void {
    this.bar?.update(p.done, this.payload(p));
  }

  log(message: string): void {
    this.multi.log(message + '\n');
  }

  stop(): void {
    this.multi.stop();
  }
}

export async function createReporter(mode: ProgressMode, out: NodeJS.WritableStream = process.stderr, continuous = false): Promise<Reporter> {
  if (mode === 'none') return new SilentReporter();
  if (mode === 'lines' || continuous) return new LineReporter(out, continuous);
  const { default: cliProgress } = await import('cli-progress');
  const multi = new cliProgress.MultiBar(
    {
      stream: out,
      format: '{bar} {percentage}% | {value}/{total} | {rate} img/s | ETA {eta_text} | ok {ok} warn {warned} fail {failed} filtered {filtered} skipped {skipped}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 24,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  return new BarReporter(multi, out);
}

/** `auto`: a bar on a terminal, lines otherwise. */
export function progressMode(requested: 'auto' | ProgressMode, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (requested !== 'auto') return requested;
  return stream.isTTY ? 'bar' : 'lines';
}
