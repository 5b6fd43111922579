// `recon-daemon batch` and `recon-daemon watch`: options → runner (the running daemon, else embedded worker
// threads) → a BatchRun over the output folder, with progress on stderr and the summary on stdout. Ctrl-C once
// stops taking photos and lets the ones in flight finish; twice cancels them; either way the manifests and
// summary.json describe what is done, and a rerun continues from there.
import type { Subdivisions } from '../recon/mesh/build.js';
import type { View } from '../recon/views.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { connectToDaemon, discoverDaemon } from '../client/discover.js';
import { invalidOption } from '../recon/errors.js';
import type { Verdict } from '../recon/quality.js';
import { parseOutputs, parseQuality } from '../cli/option-parsers.js';
import { WatchAdd, WatchList, WatchRemove, type WatchInfo } from '../rpc/protocol.js';
import { DaemonRunner } from './daemon-runner.js';
import { defaultWorkers, EmbeddedRunner } from './embedded.js';
import { collectInputs, isInside, sourceOf } from './inputs.js';
import { MANIFEST_CSV, MANIFEST_JSONL, SUMMARY_JSON } from './layout.js';
import { formatSummary, writeSummary } from './manifest.js';
import { resolveBatchOptions, type BatchOptions, type FaceMode, type Layout } from './options.js';
import { createReporter, formatDuration, progressMode, type ProgressMode, type Reporter } from './progress.js';
import { BatchRun, type RunResult } from './run.js';
import type { RemoteRunner, Runner } from './runner.js';
import { BatchState } from './state.js';
import { watchPhotos } from './watcher.js';

export interface EngineArgs {
  output: string;
  layout: string;
  outputs?: string;
  size?: number;
  detail?: number;
  view?: string;
  subdivisions?: number;
  force: boolean;
  maxPixels?: number;
  quality?: string[];
  faces: string;
  minVerdict: string;
  maxYaw?: number;
  workers?: number;
  daemon?: boolean;
  embedded?: boolean;
  redo: boolean;
  json: boolean;
  quiet: boolean;
  progress: string;
}

export interface BatchArgs extends EngineArgs {
  inputs: string[];
  /** `--queue redis://…`: hand the photos to a BullMQ queue's workers (src/cluster) instead of running them. */
  queue?: string;
  queueName?: string;
}

export interface WatchArgs extends EngineArgs {
  dir?: string;
  newOnly: boolean;
  recursive: boolean;
  stableMs?: number;
  detach: boolean;
  list: boolean;
  remove?: string;
}

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

export function optionsFromArgs(a: EngineArgs): BatchOptions {
  return resolveBatchOptions({
    layout: a.layout as Layout,
    outputs: parseOutputs(a.outputs),
    size: a.size,
    detail: a.detail,
    view: a.view as View | undefined,
    subdivisions: a.subdivisions as Subdivisions | undefined,
    force: a.force,
    maxPixels: a.maxPixels,
    quality: parseQuality(a.quality),
    faces: a.faces as FaceMode,
    minVerdict: a.minVerdict as Verdict,
    maxYaw: a.maxYaw,
  });
}

function userError(message: string, hint: string): Error {
  return Object.assign(new Error(message), { hint });
}

/** An output folder that is an input folder or holds one would be walked (and cleaned) as output. */
function refuseOutputAround(input: string, outDir: string): void {
  if (isInside(input, outDir)) {
    throw userError(`The output folder ${outDir} holds the input ${input}`, 'Choose an output folder outside the photos, e.g. -o ../dataset (an output folder inside the input folder is fine: it is skipped).');
  }
}

/**
 * The running daemon when there is one, else embedded worker threads. `--embedded`, `--workers` and
 * `--quality` (not in the protocol) choose embedded; `--daemon` requires the daemon.
 */
export async function pickRunner(a: EngineArgs, o: BatchOptions): Promise<Runner> {
  if (a.daemon && o.quality) throw userError('--quality works only with the embedded engine', 'Drop --daemon (or --quality); the protocol has no quality option.');
  if (a.daemon && a.workers !== undefined) throw userError('--workers sets the embedded engine\'s threads; the daemon has its own', 'Drop --workers, or use --embedded.');
  if (a.workers !== undefined && !(Number.isInteger(a.workers) && a.workers >= 1 && a.workers <= 64)) throw invalidOption('--workers', 'integer 1–64', a.workers);
  const wantDaemon = a.daemon || (!a.embedded && !o.quality && a.workers === undefined);
  if (wantDaemon) {
    const found = discoverDaemon();
    if (found) {
      try {
        const client = await connectToDaemon(process.env, { clientInfo: { name: 'recon-daemon-batch', version: '1' } });
        return new DaemonRunner(client, found.url);
      } catch (e) {
        if (a.daemon) throw e;
      }
    } else if (a.daemon) throw userError('recon-daemon is not running', 'Start it with `recon-daemon start`, or drop --daemon to use embedded worker threads.');
  }
  return EmbeddedRunner.start(a.workers ?? defaultWorkers());
}

/** `--queue`: the producer of a queue run (src/cluster/producer.ts), imported only then (BullMQ is not small). */
async function queueRunner(a: BatchArgs, outDir: string, reporter: Reporter): Promise<RemoteRunner & { afterCompleteRun(): Promise<void> }> {
  const conflicts: Array<[boolean, string]> = [
    [Boolean(a.daemon), '--daemon'],
    [Boolean(a.embedded), '--embedded'],
    [a.workers !== undefined, '--workers'],
    [Boolean(a.quality?.length), '--quality'],
  ];
  for (const [given, flag] of conflicts) {
    if (given) {
      throw userError(
        `${flag} does not go with --queue: the queue's workers reconstruct the photos`,
        flag === '--quality'
          ? 'Queue jobs may run in a daemon (`start --queue`), whose protocol has no quality option: drop --quality, or run the batch without --queue.'
          : `Drop ${flag}; set each worker's threads with \`recon-daemon worker --queue … --concurrency N\`.`,
      );
    }
  }
  const { exposureWarning, parseQueueTarget } = await import('../cluster/target.js');
  const target = parseQueueTarget(a.queue!, a.queueName);
  const exposed = exposureWarning(target);
  if (exposed) reporter.log(exposed);
  const { QueueRunner } = await import('../cluster/producer.js');
  return QueueRunner.connect({ target, outDir, redo: a.redo, log: (l) => reporter.log(l) });
}

/**
 * A queue run: Ctrl-C (or SIGTERM) stops handing out photos and stops waiting; the photos already in the queue
 * stay there for the workers, and the same command collects them later. Twice: exit now.
 */
function onQueueSignals(run: BatchRun, reporter: Reporter): () => void {
  let count = 0;
  const on = () => {
    if (++count === 1) {
      reporter.log('Stopping: no more photos go to the queue; those already there stay for the workers (run the same command again to collect them)…');
      run.cancel();
    } else process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
}

/** Ctrl-C once: finish the photos in flight; twice: cancel them; three times: exit now. SIGTERM: cancel. */
function onSignals(run: BatchRun, reporter: Reporter, what: string): () => void {
  let count = 0;
  const onInt = () => {
    count++;
    if (count === 1) {
      reporter.log(`Stopping: finishing the photos in progress, then writing the manifest (Ctrl-C again to cancel them)…`);
      run.stop();
    } else if (count === 2) {
      reporter.log('Cancelling the photos in progress…');
      run.cancel();
    } else process.exit(EXIT_INTERRUPTED);
  };
  const onTerm = () => {
    reporter.log(`${what} terminated: cancelling the photos in progress…`);
    run.cancel();
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

interface Finished {
  result: RunResult;
  summaryJson: Record<string, unknown>;
}

async function finish(outDir: string, root: string, o: BatchOptions, run: BatchRun, runner: Runner | RemoteRunner, result: RunResult, startupMs: number, startedAt: Date): Promise<Finished> {
  const p = result.progress;
  const summaryJson = {
    complete: result.complete,
    ...result.summary,
    run: {
      runner: runner.kind,
      description: runner.description,
      processed: p.processed,
      skipped: p.skipped,
      pending: Math.max(0, p.total - p.done),
      startupMs: Math.round(startupMs),
      elapsedMs: Math.round(p.elapsedMs),
      imgPerSec: Math.round(p.rate * 100) / 100,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      /** CPU time of this process, every thread included (ms). */
      cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      ...(result.error ? { error: result.error.message } : {}),
    },
    inputRoot: root,
    options: o,
    optionsKey: run.optionsKey,
    manifest: { jsonl: MANIFEST_JSONL, csv: MANIFEST_CSV },
  };
  await writeSummary(outDir, summaryJson);
  return { result, summaryJson };
}

function printSummary(outDir: string, f: Finished, json: boolean, watch = false, note?: string): void {
  if (json) {
    process.stdout.write(JSON.stringify(f.summaryJson) + '\n');
    return;
  }
  const p = f.result.progress;
  const lines = [formatSummary(f.result.summary)];
  lines.push(
    `this run: ${p.processed} reconstructed, ${p.skipped} already done` +
      (p.total > p.done ? `, ${p.total - p.done} not started` : '') +
      `, ${formatDuration(p.elapsedMs / 1000)}` +
      (p.processed ? `, ${p.rate.toFixed(2)} img/s` : ''),
  );
  lines.push(`manifest: ${path.join(outDir, MANIFEST_JSONL)} and ${MANIFEST_CSV}; summary: ${SUMMARY_JSON}`);
  if (note) lines.push(note);
  if (!watch && !f.result.complete && f.result.interrupted) lines.push('stopped before the end: run the same command again to continue');
  process.stdout.write(lines.join('\n') + '\n');
}

export async function runBatch(a: BatchArgs): Promise<number> {
  const startedAt = new Date();
  const t0 = performance.now();
  const o = optionsFromArgs(a);
  const outDir = path.resolve(a.output);
  for (const i of a.inputs) refuseOutputAround(path.resolve(i), outDir);
  const inputs = await collectInputs(a.inputs, { exclude: [outDir] });
  if (!inputs.files.length) {
    throw userError(`No photos found in ${a.inputs.join(' ')}`, 'Folders are searched recursively for JPEG, PNG, WebP, TIFF, GIF, AVIF and HEIC files; hidden files are skipped.');
  }
  const state = await BatchState.open(outDir);
  let runner: Runner | RemoteRunner | undefined;
  const reporter = await createReporter(a.quiet ? 'none' : progressMode(a.progress as 'auto' | ProgressMode));
  try {
    for (const g of inputs.empty) reporter.log(`warning: ${g} matched no photo`);
    const queue = a.queue !== undefined ? await queueRunner(a, outDir, reporter) : undefined;
    runner = queue ?? (await pickRunner(a, o));
    const startupMs = performance.now() - t0;
    const run = new BatchRun({
      outDir,
      options: o,
      runner,
      state,
      redo: a.redo,
      onPhoto: (e, p) => reporter.photo(e, p),
      onTotal: (p) => reporter.total(p),
    });
    run.add(inputs.files);
    reporter.start(runner.description, run.progress());
    const off = queue ? onQueueSignals(run, reporter) : onSignals(run, reporter, 'batch');
    let result: RunResult;
    try {
      result = await run.run();
      if (queue && result.complete) await queue.afterCompleteRun();
    } finally {
      off();
      reporter.stop();
    }
    const left = queue && !result.complete ? result.progress.total - result.progress.done : 0;
    const f = await finish(outDir, inputs.root, o, run, runner, result, startupMs, startedAt);
    printSummary(outDir, f, a.json, false, left ? `${left} photo${left === 1 ? ' is' : 's are'} not in this manifest: those already in the queue are finished by the workers; run the same command again to collect them` : undefined);
    if (result.error) throw Object.assign(result.error, { hint: (result.error as { hint?: string }).hint ?? 'Run the same command again to continue.' });
    return result.complete ? 0 : EXIT_INTERRUPTED;
  } finally {
    await runner?.close();
    await state.close();
  }
}

function printWatches(ws: WatchInfo[]): void {
  if (!ws.length) {
    process.stdout.write('no folders are watched\n');
    return;
  }
  for (const w of ws) {
    const c = w.counts;
    process.stdout.write(
      `${w.watchId}  ${w.path}${w.recursive ? '' : ' (not recursive)'}${w.persistent ? '' : ` (until client ${w.clientId} disconnects)`}  ` +
        `seen ${c.seen}, pending ${c.pending}, running ${c.running}, completed ${c.completed}, failed ${c.failed}\n`,
    );
  }
}

/** `watch --list`, `watch --remove <id>`, `watch <dir> --detach`: the daemon's own watches. */
async function daemonWatch(a: WatchArgs): Promise<number> {
  const client = await connectToDaemon(process.env, { clientInfo: { name: 'recon-daemon-watch', version: '1' } });
  try {
    if (a.list) {
      const r = await client.request(WatchList.method, {});
      if (a.json) process.stdout.write(JSON.stringify(r) + '\n');
      else printWatches(r.watches);
      return 0;
    }
    if (a.remove) {
      const r = await client.request(WatchRemove.method, { watchId: a.remove });
      process.stdout.write(a.json ? JSON.stringify(r) + '\n' : r.removed ? `stopped watching (${a.remove})\n` : `no watch ${a.remove}\n`);
      return r.removed ? 0 : 1;
    }
    const o = optionsFromArgs(a);
    if (o.quality || o.layout !== 'folders' || o.minVerdict !== 'fail' || o.maxYaw !== undefined || o.faces !== 'largest') {
      throw userError('--detach takes only the engine options (--outputs, --size, --detail, --force, --max-pixels)', 'Layouts, filters and manifests need the batch output folder: run `recon-daemon watch <dir> -o <out>` instead.');
    }
    const info = await client.request(WatchAdd.method, {
      path: path.resolve(a.dir!),
      recursive: a.recursive,
      existing: !a.newOnly,
      persistent: true,
      ...(a.stableMs !== undefined ? { stableMs: a.stableMs } : {}),
      options: {
        outputs: o.outputs,
        ...(o.size !== undefined ? { size: o.size } : {}),
        ...(o.detail !== undefined ? { detail: o.detail } : {}),
        ...(o.view !== undefined ? { view: o.view } : {}),
        ...(o.subdivisions !== undefined ? { subdivisions: o.subdivisions } : {}),
        ...(o.force ? { force: true } : {}),
        ...(o.maxPixels !== undefined ? { maxPixels: o.maxPixels } : {}),
      },
    });
    if (a.json) process.stdout.write(JSON.stringify(info) + '\n');
    else {
      process.stdout.write(`the daemon watches ${info.path} (${info.watchId}); results go to its output root and to clients subscribed to watch.result\n`);
      process.stdout.write(`stop it with: recon-daemon watch --remove ${info.watchId}\n`);
    }
    return 0;
  } finally {
    await client.close();
  }
}

/**
 * `watch <dir> -o <out>`: a batch that does not end. The photos already there are done first (skipping those
 * done before), then every photo that appears or changes, until Ctrl-C.
 */
export async function runWatch(a: WatchArgs): Promise<number> {
  if (a.list || a.remove || a.detach) return daemonWatch(a);
  if (!a.dir) throw userError('Name the folder to watch', 'recon-daemon watch <dir> -o <out>');
  const startedAt = new Date();
  const t0 = performance.now();
  const o = optionsFromArgs(a);
  const outDir = path.resolve(a.output);
  const root = path.resolve(a.dir);
  refuseOutputAround(root, outDir);
  const st = await fs.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw invalidOption('dir', 'an existing folder', a.dir);
  const state = await BatchState.open(outDir);
  let runner: Runner | undefined;
  const reporter = await createReporter(a.quiet ? 'none' : 'lines', process.stderr, true);
  try {
    runner = await pickRunner(a, o);
    const startupMs = performance.now() - t0;
    const run = new BatchRun({
      outDir,
      options: o,
      runner,
      state,
      redo: a.redo,
      continuous: true,
      // A watch runs for days: keep the manifests close to what is on disk.
      manifestIntervalMs: 2000,
      onPhoto: (e, p) => reporter.photo(e, p),
    });
    // The watcher first, then the files already there: a photo arriving in between is seen by one or the
    // other (or both: a file queued twice is done once, and one already done is skipped by its hash).
    const watcher = await watchPhotos(
      root,
      { recursive: a.recursive, stableMs: a.stableMs, exclude: [outDir] },
      (abs) => run.add([{ abs, source: sourceOf(root, abs) }]),
      (e) => reporter.log(`watch error: ${e.message}`),
    );
    if (!a.newOnly) {
      const initial = await collectInputs([root], { exclude: [outDir] });
      run.add(a.recursive ? initial.files : initial.files.filter((f) => !f.source.includes('/')));
    }
    reporter.log(`watching ${root} (${runner.description}); results in ${outDir}; Ctrl-C to stop`);
    const off = onSignals(run, reporter, 'watch');
    let result: RunResult;
    try {
      result = await run.run();
    } finally {
      off();
      await watcher.close();
      reporter.stop();
    }
    const f = await finish(outDir, root, o, run, runner, result, startupMs, startedAt);
    printSummary(outDir, f, a.json, true);
    if (result.error) throw result.error;
    // Ctrl-C is how a watch ends: a clean stop.
    return 0;
  } finally {
    await runner?.close();
    await state.close();
  }
}
