// Process-wide settings for the engine's workload, applied once before the first engine (and so before the
// daemon's or a batch's worker threads) exists. RECON_DEFAULT_TUNING=1 leaves Node's and libvips' defaults,
// for side-by-side measurements (docs/benchmarks.md).
//
// - V8 heap growth. Every photo allocates ~15 MB of short-lived buffers (the decoded frame, maps, PNGs) over
//   a JS heap of only ~15 MB live, so V8's default growth factor keeps the old-generation limit so close to
//   the live size that incremental marking restarts right after each full collection: about one
//   mark-compact (6–10 ms) per photo. Growing the limit to 4× the live size made that ~1 per 10 photos.
// - libvips threads. sharp runs each decode on a pool of libvips threads sized to the cores; our pipelines
//   are one JPEG/PNG decode each (inherently single-threaded), and the parallelism is across photos (worker
//   threads), so the extra threads only contend: with 1 thread per pipeline a 2-worker batch spent ~8 % less
//   CPU per photo and single-photo latency did not change.
import v8 from 'node:v8';
import sharp from 'sharp';

let applied = false;

export function tuneProcessForEngine(): void {
  if (applied || process.env.RECON_DEFAULT_TUNING === '1') return;
  applied = true;
  v8.setFlagsFromString('--heap-growing-percent=300');
  sharp.concurrency(1);
}
