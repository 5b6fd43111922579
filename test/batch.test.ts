// `recon-daemon batch`, the real CLI (bin/recon-daemon.js → dist) with embedded worker threads, over a folder
// that mixes good photos, a photo without a face, a corrupt file, an empty file, a nested folder and files
// that are not photos.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestRecord } from '../src/batch/record.js';
import { casePath, repoRoot } from './helpers/paths.js';

const cli = path.join(repoRoot, 'bin/recon-daemon.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-batch-'));
const input = path.join(tmp, 'in');

function batch(args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'batch', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { ...r, summary: r.stdout.trim() ? (JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, any>) : undefined };
}

function manifest(out: string): ManifestRecord[] {
  return fs
    .readFileSync(path.join(out, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ManifestRecord);
}

/** A small CSV reader for the test (quoted fields, CRLF rows). */
function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (c !== '\r') field += c;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]])));
}

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

beforeAll(() => {
  fs.mkdirSync(path.join(input, 'nested', 'deeper'), { recursive: true });
  fs.copyFileSync(casePath('control_obama_official_portrait.jpg'), path.join(input, 'portrait.jpg'));
  fs.copyFileSync(casePath('astronaut_eileen_collins.png'), path.join(input, 'astronaut.png'));
  fs.copyFileSync(casePath('negative_coffee.png'), path.join(input, 'coffee.png'));
  fs.copyFileSync(casePath('obama_240p_letterbox.jpg'), path.join(input, 'nested', 'deeper', 'small.jpg'));
  // The first 6 kB of a JPEG: a truncated download.
  fs.writeFileSync(path.join(input, 'nested', 'corrupt.jpg'), fs.readFileSync(casePath('control_obama_official_portrait.jpg')).subarray(0, 6000));
  fs.writeFileSync(path.join(input, 'empty.jpg'), '');
  // Not photos: never taken from a folder.
  fs.writeFileSync(path.join(input, 'notes.txt'), 'not a photo');
  fs.copyFileSync(casePath('obama_240p_letterbox.jpg'), path.join(input, '.hidden.jpg'));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SOURCES = ['astronaut.png', 'coffee.png', 'empty.jpg', 'nested/corrupt.jpg', 'nested/deeper/small.jpg', 'portrait.jpg'];

describe('recon-daemon batch', () => {
  const out = path.join(tmp, 'out');

  it('writes one manifest line per input file, with the right verdicts, codes and outputs, and a summary', () => {
    const r = batch([input, '-o', out, '--embedded', '--workers', '2', '--outputs', 'structure,crop', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const lines = manifest(out);
    expect(lines.map((l) => l.source)).toEqual(SOURCES);
    const by = Object.fromEntries(lines.map((l) => [l.source, l]));

    for (const s of ['portrait.jpg', 'astronaut.png']) {
      expect(by[s]).toMatchObject({ status: 'ok', verdict: 'pass', codes: [], faces: 1 });
      expect(by[s].sha256).toBe(sha(path.join(input, s)));
      expect(Object.keys(by[s].pose!).sort()).toEqual(['pitch', 'roll', 'yaw']);
      expect(by[s].faceSize!.width).toBeGreaterThan(100);
      expect(by[s].faceSize!.ipd).toBeGreaterThan(36);
      expect(by[s].timings.total).toBeGreaterThan(0);
      expect(by[s].timings.batch).toBeGreaterThan(0);
      expect(Object.keys(by[s].outputs).sort()).toEqual(['crop', 'result', 'structure']);
    }
    expect(by['portrait.jpg'].outputs).toEqual({ crop: 'portrait/crop.png', structure: 'portrait/structure.png', result: 'portrait/result.json' });
    expect(by['nested/deeper/small.jpg']).toMatchObject({ status: 'warned', verdict: 'warn', codes: ['LOW_RESOLUTION'] });
    expect(by['nested/deeper/small.jpg'].outputs.structure).toBe('nested/deeper/small/structure.png');
    expect(by['coffee.png']).toMatchObject({ status: 'failed', verdict: 'fail', codes: ['NO_FACE'], faces: 0, pose: null, error: { code: 'NO_FACE' } });
    for (const s of ['empty.jpg', 'nested/corrupt.jpg']) {
      expect(by[s]).toMatchObject({ status: 'failed', verdict: 'fail', codes: ['IMAGE_DECODE_FAILED'], faces: null, error: { code: 'IMAGE_DECODE_FAILED' } });
      expect(by[s].error!.hint.length).toBeGreaterThan(10);
    }
    expect(by['empty.jpg'].sha256).toBe(createHash('sha256').digest('hex'));
    expect(by['empty.jpg'].error!.message).toMatch(/empty/);
    // Failures keep the result.json that says why, and nothing else.
    expect(by['coffee.png'].outputs).toEqual({ result: 'coffee/result.json' });
    for (const l of lines) for (const p of Object.values(l.outputs)) expect(fs.existsSync(path.join(out, p)), p).toBe(true);

    const csv = parseCsv(fs.readFileSync(path.join(out, 'manifest.csv'), 'utf8'));
    expect(csv.map((c) => c.source)).toEqual(SOURCES);
    const coffee = csv.find((c) => c.source === 'coffee.png')!;
    expect(coffee).toMatchObject({ status: 'failed', verdict: 'fail', codes: 'NO_FACE', error_code: 'NO_FACE', result: 'coffee/result.json', structure: '' });
    const portrait = csv.find((c) => c.source === 'portrait.jpg')!;
    expect(portrait).toMatchObject({ status: 'ok', structure: 'portrait/structure.png', crop: 'portrait/crop.png', sha256: sha(path.join(input, 'portrait.jpg')) });
    expect(Number(portrait.yaw)).toBe(by['portrait.jpg'].pose!.yaw);

    expect(r.summary).toMatchObject({
      complete: true,
      photos: 6,
      ok: 2,
      warned: 1,
      failed: 3,
      filtered: 0,
      codes: { warned: { LOW_RESOLUTION: 1 }, failed: { IMAGE_DECODE_FAILED: 2, NO_FACE: 1 } },
      run: { runner: 'embedded', processed: 6, skipped: 0 },
    });
    // Two workers fill a 2-core machine: their outputs stay on the workers (src/recon/outputs/threading.ts).
    expect(r.summary?.run.description).toBe(`embedded, 2 worker threads, ${os.availableParallelism() <= 2 ? 'outputs on the workers' : 'maps on helper threads'}`);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'))).toMatchObject({ photos: 6, ok: 2, warned: 1, failed: 3 });
    // The batch's own folder holds only state once done: no temp files, no lock.
    expect(fs.readdirSync(path.join(out, '.recon-batch'))).toEqual(['state']);
  });

  it('prints the summary by code and progress lines when not on a terminal', () => {
    const again = path.join(tmp, 'out-text');
    const r = spawnSync(process.execPath, [cli, 'batch', path.join(input, 'nested'), path.join(input, 'coffee.png'), '-o', again, '--embedded', '--workers', '1', '--outputs', 'structure'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // Sources are relative to the inputs' common folder.
    expect(manifest(again).map((l) => l.source)).toEqual(['coffee.png', 'nested/corrupt.jpg', 'nested/deeper/small.jpg']);
    expect(r.stdout).toMatch(/^3 photos: 0 ok, 1 warned, 2 failed, 0 filtered out$/m);
    expect(r.stdout).toMatch(/^ {2}failed: IMAGE_DECODE_FAILED 1, NO_FACE 1$/m);
    // One worker leaves a core free here (when there is one) for its maps thread.
    expect(r.stderr).toContain(`batch: 3 photos (embedded, 1 worker thread, ${os.availableParallelism() > 1 ? 'maps on helper threads' : 'outputs on the workers'})`);
    expect(r.stderr).toMatch(/^\[1\/3 +33% [\d.]+ img\/s ETA \S+\] /m);
    expect(r.stderr).toMatch(/failed +nested\/corrupt\.jpg +IMAGE_DECODE_FAILED: /);
  });

  it('skips everything on a rerun with the same options and leaves the manifest unchanged', () => {
    const before = fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8');
    const r = batch([input, '-o', out, '--embedded', '--workers', '2', '--outputs', 'crop,structure', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.summary!.run).toMatchObject({ processed: 0, skipped: 6 });
    expect(fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8')).toBe(before);
  });

  it('redoes a photo whose content changed, and only that one', () => {
    fs.copyFileSync(casePath('exif_orientation6_obama.jpg'), path.join(input, 'astronaut.png'));
    const r = batch([input, '-o', out, '--embedded', '--workers', '2', '--outputs', 'structure,crop', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.summary!.run).toMatchObject({ processed: 1, skipped: 5 });
    const lines = manifest(out);
    expect(lines.map((l) => l.source)).toEqual(SOURCES);
    expect(lines.find((l) => l.source === 'astronaut.png')!.sha256).toBe(sha(path.join(input, 'astronaut.png')));
  });

  it('redoes every photo when the options change, and removes the files the new options do not make', () => {
    const r = batch([input, '-o', out, '--embedded', '--workers', '2', '--outputs', 'structure', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.summary!.run).toMatchObject({ processed: 6, skipped: 0 });
    expect(fs.readdirSync(path.join(out, 'portrait')).sort()).toEqual(['result.json', 'structure.png']);
    expect(manifest(out)).toHaveLength(6);
  });

  it('writes photo → structure pairs, applies --min-verdict and --max-yaw, and gives every face its pair with --faces all', () => {
    const pin = path.join(tmp, 'pairs-in');
    fs.mkdirSync(path.join(pin, 'sub'), { recursive: true });
    fs.copyFileSync(casePath('two_people.jpg'), path.join(pin, 'two.jpg'));
    fs.copyFileSync(casePath('control_obama_official_portrait.jpg'), path.join(pin, 'sub', 'portrait.jpg'));
    fs.copyFileSync(casePath('obama_240p_letterbox.jpg'), path.join(pin, 'small.jpg'));
    const pout = path.join(tmp, 'pairs-out');
    const r = batch([pin, '-o', pout, '--embedded', '--workers', '2', '--layout', 'pairs', '--faces', 'all', '--min-verdict', 'pass', '--max-yaw', '30', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const by = Object.fromEntries(manifest(pout).map((l) => [l.source, l]));
    expect(by['sub/portrait.jpg'].outputs).toEqual({ crop: 'images/sub/portrait.png', structure: 'structure/sub/portrait.png', result: 'results/sub/portrait.json' });
    // The small face warns (LOW_RESOLUTION): below --min-verdict pass, so no pair, only its result.
    expect(by['small.jpg']).toMatchObject({ status: 'filtered', verdict: 'warn', filteredBy: ['min-verdict'], outputs: { result: 'results/small.json' } });
    // Both faces of the group photo, each chosen on purpose (no MULTIPLE_FACES warning).
    expect(by['two.jpg']).toMatchObject({ status: 'ok', faces: 2, outputs: { crop: 'images/two.png', structure: 'structure/two.png' } });
    expect(by['two.jpg'].extraFaces).toHaveLength(1);
    expect(by['two.jpg'].extraFaces![0]).toMatchObject({ face: 1, status: 'ok', outputs: { crop: 'images/two_face1.png', structure: 'structure/two_face1.png', result: 'results/two_face1.json' } });
    const files = (d: string) => fs.readdirSync(path.join(pout, d), { recursive: true }).map(String).filter((f) => f.includes('.')).sort();
    expect(files('images')).toEqual(['sub/portrait.png', 'two.png', 'two_face1.png']);
    expect(files('structure')).toEqual(['sub/portrait.png', 'two.png', 'two_face1.png']);
    expect(files('results')).toEqual(['small.json', 'sub/portrait.json', 'two.json', 'two_face1.json']);
    expect(r.summary).toMatchObject({ photos: 3, ok: 2, filtered: 1, codes: { filtered: { 'min-verdict': 1 } } });

    // A stricter yaw limit filters the group photo's turned face; its old pair files are removed.
    const yaw = Math.abs(by['two.jpg'].extraFaces![0].pose!.yaw);
    const limit = Math.max(0, Math.floor(Math.min(yaw, Math.abs(by['two.jpg'].pose!.yaw))) - 1);
    const r2 = batch([pin, '-o', pout, '--embedded', '--workers', '2', '--layout', 'pairs', '--faces', 'all', '--min-verdict', 'pass', '--max-yaw', String(limit), '--json']);
    expect(r2.status, r2.stderr).toBe(0);
    const two = manifest(pout).find((l) => l.source === 'two.jpg')!;
    expect(two.status).toBe('filtered');
    expect(two.filteredBy).toEqual(['max-yaw']);
    expect(files('structure')).not.toContain('two.png');
    expect(files('structure')).not.toContain('two_face1.png');
  });

  it('refuses options the layout cannot hold, before loading any model', () => {
    const r = spawnSync(process.execPath, [cli, 'batch', input, '-o', path.join(tmp, 'bad'), '--layout', 'pairs', '--outputs', 'obj', '--embedded'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: Expected kinds the pairs layout holds (crop, structure, depth, normal, mask, front-structure, front-depth, front-normal, front-mask, glb, overlay, turntable) for --outputs but received "obj"\nhint: Use --layout folders for obj');
  });

  it('refuses a second run on an output folder that a live run holds', () => {
    const locked = path.join(tmp, 'locked');
    fs.mkdirSync(path.join(locked, '.recon-batch'), { recursive: true });
    fs.writeFileSync(path.join(locked, '.recon-batch', 'lock'), JSON.stringify({ pid: process.pid, hostname: os.hostname() }));
    const r = spawnSync(process.execPath, [cli, 'batch', input, '-o', locked, '--embedded'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: Another batch or watch (pid ${process.pid}) is writing to ${locked}`);
  });

  it('refuses an output path that is a file, with a hint, before any photo', () => {
    const file = path.join(tmp, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const r = spawnSync(process.execPath, [cli, 'batch', input, '-o', file, '--embedded'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: Cannot write the outputs to ${file}: ENOTDIR`);
    expect(r.stderr).toContain('hint: A file is in the way of the output folder');
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
});
