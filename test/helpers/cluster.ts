// Shared by the queue tests: the input folder (every photo of ../shared/faces plus broken files), the real CLI as
// child processes (producers, workers), and what a finished output folder must look like.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { ManifestRecord } from '../../src/batch/record.js';
import type { StateEntry } from '../../src/batch/state.js';
import { bin, waitFor } from './daemon.js';
import { casesDir, landmarksDir } from './paths.js';
import type { TestRedis } from './redis.js';

/** Outputs every queue test asks for: enough to compare files, few enough to stay quick. */
export const OUTPUT_ARGS = ['--outputs', 'crop,structure,depth'];

/** Every photo in ../shared/faces (cases/, landmarks/) plus three broken files; returns the sources. */
export function makeInputs(dir: string): string[] {
  const sources: string[] = [];
  for (const [sub, from] of [['cases', casesDir], ['landmarks', landmarksDir]] as const) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    for (const f of fs.readdirSync(from).filter((n) => /\.(jpe?g|png)$/i.test(n))) {
      fs.copyFileSync(path.join(from, f), path.join(dir, sub, f));
      sources.push(`${sub}/${f}`);
    }
  }
  fs.mkdirSync(path.join(dir, 'broken'), { recursive: true });
  // A truncated download, an empty file, and text with a photo's name.
  fs.writeFileSync(path.join(dir, 'broken', 'truncated.jpg'), fs.readFileSync(path.join(casesDir, 'control_obama_official_portrait.jpg')).subarray(0, 6000));
  fs.writeFileSync(path.join(dir, 'broken', 'empty.jpg'), '');
  fs.writeFileSync(path.join(dir, 'broken', 'notes.jpg'), 'this is not a photo\n');
  sources.push('broken/truncated.jpg', 'broken/empty.jpg', 'broken/notes.jpg');
  return sources.sort();
}

export interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** `recon-daemon worker`, resolved once it takes photos. */
export async function startWorker(url: string, extra: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<Proc> {
  const w = cli(['worker', '--queue', url, '--concurrency', '1', ...extra], env);
  await waitFor('the worker to take photos', () => {
    if (w.child.exitCode !== null) throw new Error(`worker exited (${w.child.exitCode}):\n${w.stderr()}`);
    return w.stderr().includes('taking photos from the queue');
  }, 120_000);
  return w;
}

export async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}

/** Photo lines a worker printed ("[12:00:01] ok       cases/x.jpg …"), not its retries. */
export function photoLines(w: Proc): string[] {
  return w.stderr().split('\n').filter((l) => /^\[\d\d:\d\d:\d\d\] (?!retry )/.test(l));
}

export function manifest(out: string): ManifestRecord[] {
  return fs
    .readFileSync(path.join(out, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ManifestRecord);
}

/** A manifest line without what differs between runs (stage timings). */
export function comparable(r: ManifestRecord): Omit<ManifestRecord, 'timings'> {
  const { timings: _t, ...rest } = r;
  return rest;
}

export function stateEntries(out: string): StateEntry[] {
  const dir = path.join(out, '.recon-batch', 'state');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as StateEntry);
}

/** Every file under the output folder except the batch's own (relative, sorted). */
export function outputFiles(out: string): string[] {
  return fs
    .readdirSync(out, { recursive: true })
    .map(String)
    .filter((f) => !f.startsWith('.recon-batch') && fs.statSync(path.join(out, f)).isFile())
    .sort();
}

/**
 * The folder a queue run left equals the local batch's: same manifest lines (sources, hashes, verdicts, codes,
 * pose, outputs; timings aside), the same files and nothing else (no partial file of a killed worker), every
 * image byte-identical, and only the state left in `.recon-batch`.
 */
export function expectSameAsLocal(out: string, local: string): void {
  const lines = manifest(out);
  const sources = lines.map((l) => l.source);
  expect(new Set(sources).size, 'one line per photo').toBe(sources.length);
  expect(lines.map(comparable)).toEqual(manifest(local).map(comparable));
  expect(outputFiles(out)).toEqual(outputFiles(local));
  for (const f of outputFiles(local).filter((n) => n.endsWith('.png'))) {
    expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(local, f))), f).toBe(true);
  }
  for (const l of lines) {
    const result = JSON.parse(fs.readFileSync(path.join(out, l.outputs.result), 'utf8')) as { quality?: { verdict?: string } };
    expect(result.quality?.verdict ?? 'fail', l.source).toBe(l.verdict);
  }
  expect(fs.readdirSync(path.join(out, '.recon-batch'))).toEqual(['state']);
  expect(stateEntries(out).map((e) => e.source).sort()).toEqual(stateEntries(local).map((e) => e.source).sort());
}

/** The worker's name, as it prints it and as BullMQ records it on the jobs it takes. */
export function workerName(w: Proc): string {
  return /^worker (\S+): /m.exec(w.stderr())![1];
}

/** The sources of the jobs BullMQ shows as held by the worker called `name` right now. */
export function heldBy(redis: Pick<TestRedis, 'cli'>, queueName: string, name: string): string[] {
  const key = (id: string) => `recon:${queueName}:${id}`;
  return redis
    .cli('lrange', key('active'), '0', '-1')
    .split('\n')
    .filter(Boolean)
    .filter((id) => redis.cli('hget', key(id), 'pb').trim() === name)
    .map((id) => redis.cli('hget', key(id), 'data').trim())
    // A job finished between the two reads has no data left.
    .flatMap((d) => (d ? [(JSON.parse(d) as { source: string }).source] : []));
}

/**
 * Wait until the worker holds its two photos (one reconstructing, one next) and both are faces, not broken files
 * that end within a millisecond: a stop then always finds photos in progress.
 */
export async function holdingTwoFaces(redis: Pick<TestRedis, 'cli'>, w: Proc, queueName: string, producerProc: Proc): Promise<void> {
  const name = workerName(w);
  await waitFor('the worker to hold two photos of faces', () => {
    if (producerProc.child.exitCode !== null) throw new Error(`the batch ended first:\n${producerProc.stderr()}`);
    const held = heldBy(redis, queueName, name);
    return photoLines(w).length >= 1 && held.length === 2 && held.every((s) => !s.includes('/broken/'));
  }, 120_000);
}
