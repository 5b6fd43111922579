// A batch killed mid-run (SIGKILL: no chance to clean up) or stopped with Ctrl-C, then run again: exactly one
// complete result per photo, a manifest without duplicates, and nothing from the killed run trusted unchecked.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestRecord } from '../src/batch/record.js';
import type { StateEntry } from '../src/batch/state.js';
import { waitFor } from './helpers/daemon.js';
import { casePath, landmarkPhoto, repoRoot } from './helpers/paths.js';

const cli = path.join(repoRoot, 'bin/recon-daemon.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-batch-resume-'));
const input = path.join(tmp, 'in');
const PHOTOS = [
  casePath('control_obama_official_portrait.jpg'),
  casePath('astronaut_eileen_collins.png'),
  landmarkPhoto('aflw2000_image00050.jpg'),
  landmarkPhoto('300vw_001_000006.jpg'),
];
const COPIES = 3;
const N = PHOTOS.length * COPIES;
const ARGS = ['--embedded', '--workers', '1', '--outputs', 'structure,crop,depth', '--progress', 'lines'];

beforeAll(() => {
  for (let c = 0; c < COPIES; c++) {
    const dir = path.join(input, `set${c}`);
    fs.mkdirSync(dir, { recursive: true });
    PHOTOS.forEach((p, i) => fs.copyFileSync(p, path.join(dir, `photo${i}${path.extname(p)}`)));
  }
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function stateEntries(out: string): StateEntry[] {
  const dir = path.join(out, '.recon-batch', 'state');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as StateEntry);
}

function manifest(out: string): ManifestRecord[] {
  return fs
    .readFileSync(path.join(out, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ManifestRecord);
}

/** Start the batch and stop it with `signal` once `after` photos are committed; resolves with its exit. */
async function interrupted(out: string, signal: NodeJS.Signals, after: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, 'batch', input, '-o', out, ...ARGS], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, sig) => r({ code, signal: sig })));
  await waitFor(`${after} photos committed`, () => stateEntries(out).length >= after || child.exitCode !== null, 90_000);
  child.kill(signal);
  return { ...(await exited), stdout, stderr };
}

/** Every photo: one manifest line, one folder, complete outputs that match the state and the photo's hash. */
function expectComplete(out: string): void {
  const lines = manifest(out);
  const sources = lines.map((l) => l.source);
  expect(new Set(sources).size).toBe(sources.length);
  expect(sources.sort()).toEqual(Array.from({ length: COPIES }, (_, c) => PHOTOS.map((p, i) => `set${c}/photo${i}${path.extname(p)}`)).flat().sort());
  for (const l of lines) {
    expect(l.status, l.source).toBe('ok');
    expect(Object.keys(l.outputs).sort()).toEqual(['crop', 'depth', 'result', 'structure']);
    for (const p of Object.values(l.outputs)) expect(fs.statSync(path.join(out, p)).size, p).toBeGreaterThan(0);
    const result = JSON.parse(fs.readFileSync(path.join(out, l.outputs.result), 'utf8'));
    expect(result.quality.verdict).toBe(l.verdict);
  }
  // One folder per photo: nothing renamed to "photo0-2", no leftovers.
  for (let c = 0; c < COPIES; c++) {
    expect(fs.readdirSync(path.join(out, `set${c}`)).sort()).toEqual(PHOTOS.map((_, i) => `photo${i}`));
    for (let i = 0; i < PHOTOS.length; i++) expect(fs.readdirSync(path.join(out, `set${c}`, `photo${i}`)).sort()).toEqual(['crop.png', 'depth.png', 'result.json', 'structure.png']);
  }
  expect(fs.readdirSync(path.join(out, '.recon-batch'))).toEqual(['state']);
  expect(stateEntries(out)).toHaveLength(N);
}

describe('resuming a batch', () => {
  it('after SIGKILL: the rerun trusts only committed photos, finishes the rest, and the manifest has one line per photo', async () => {
    const out = path.join(tmp, 'killed');
    const killed = await interrupted(out, 'SIGKILL', 2);
    expect(killed.signal).toBe('SIGKILL');
    const committed = stateEntries(out);
    expect(committed.length).toBeGreaterThanOrEqual(2);
    expect(committed.length).toBeLessThan(N);
    // What a rerun will trust is complete: every file a state file names exists and parses.
    for (const e of committed) {
      for (const f of e.files) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(out, e.record.outputs.result), 'utf8')).schema).toBe('recon-daemon/result@1');
    }
    // The killed run left its lock and maybe a temp folder: the rerun must get past both.
    expect(fs.existsSync(path.join(out, '.recon-batch', 'lock'))).toBe(true);

    const r = spawnSync(process.execPath, [cli, 'batch', input, '-o', out, ...ARGS, '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    // Photos committed before the kill are not redone.
    expect(summary.run.skipped).toBe(committed.length);
    expect(summary.run.processed).toBe(N - committed.length);
    expect(summary).toMatchObject({ complete: true, photos: N, ok: N });
    expectComplete(out);

    // And once more: nothing left to do, the manifest unchanged.
    const before = fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8');
    const again = spawnSync(process.execPath, [cli, 'batch', input, '-o', out, ...ARGS, '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(JSON.parse(again.stdout.trim()).run).toMatchObject({ processed: 0, skipped: N });
    expect(fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8')).toBe(before);
  });

  it('redoes a photo whose outputs were moved in but never committed (killed between the two)', () => {
    const out = path.join(tmp, 'killed');
    // Simulate the window between moving files and writing the state file: drop one photo's state, and
    // leave a stale file of another option set in its folder.
    const victim = stateEntries(out).find((e) => e.source === 'set1/photo2.jpg')!;
    fs.rmSync(path.join(out, '.recon-batch', 'state', fs.readdirSync(path.join(out, '.recon-batch', 'state')).find((n) => JSON.parse(fs.readFileSync(path.join(out, '.recon-batch', 'state', n), 'utf8')).source === victim.source)!));
    fs.writeFileSync(path.join(out, 'set1', 'photo2', 'mask.png'), 'stale');
    const r = spawnSync(process.execPath, [cli, 'batch', input, '-o', out, ...ARGS, '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim()).run).toMatchObject({ processed: 1, skipped: N - 1 });
    expectComplete(out);
  });

  it('Ctrl-C stops cleanly: the photos in flight finish, the manifest lists exactly what is done, exit code 130', async () => {
    const out = path.join(tmp, 'ctrl-c');
    const stopped = await interrupted(out, 'SIGINT', 1);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/Stopping: finishing the photos in progress/);
    expect(stopped.stdout).toMatch(/stopped before the end: run the same command again to continue/);
    const done = stateEntries(out);
    const lines = manifest(out);
    expect(lines.map((l) => l.source).sort()).toEqual(done.map((e) => e.source).sort());
    expect(lines.length).toBeLessThan(N);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'))).toMatchObject({ complete: false, photos: lines.length });
    expect(fs.existsSync(path.join(out, '.recon-batch', 'lock'))).toBe(false);

    const r = spawnSync(process.execPath, [cli, 'batch', input, '-o', out, ...ARGS, '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim()).run.skipped).toBe(done.length);
    expectComplete(out);
  });
});
