// Where this thread's output work runs (each worker thread has its own copy of this setting).
//
// - 'spread' (the default): a face's maps render on this thread's maps thread (face-images.ts) and PNGs
//   deflate on libuv's thread pool, so one photo's outputs use more than one core. That is what latency
//   needs: the CLI and the daemon's workers, where a photo is waited for.
// - 'inline': all of it on the calling thread. For threads whose parallelism is across photos, one such
//   thread per core (batch workers): there the helpers only add a V8 heap (~45 MB RSS per worker) and
//   hand-offs; measured side by side, the same img/s with 1 and 2 workers and less CPU per photo.
//
// Both write the same bytes (test/maps-thread.test.ts).
export type OutputThreads = 'spread' | 'inline';

let mode: OutputThreads = 'spread';

export function setOutputThreads(m: OutputThreads): void {
  mode = m;
}

export function outputThreads(): OutputThreads {
  return mode;
}
