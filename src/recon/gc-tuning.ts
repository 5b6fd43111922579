// V8 heap growth for the engine's allocation pattern. Every photo allocates ~15 MB of short-lived buffers
// (the decoded frame, maps, PNGs) over a JS heap of only ~15 MB live, so V8's default growth factor keeps
// the old-generation limit so close to the live size that incremental marking restarts right after each
// full collection: ~1 mark-compact (6–10 ms) per photo. Growing the limit to 4× the live size made that
// ~1 per 10 photos in the same run (docs/benchmarks.md). V8 flags are per process; set once, before the
// first engine (and so before the daemon's worker threads) exists.
import v8 from 'node:v8';

let applied = false;

export function tuneHeapForEngine(): void {
  if (applied || process.env.RECON_DEFAULT_GC === '1') return;
  applied = true;
  v8.setFlagsFromString('--heap-growing-percent=300');
}
