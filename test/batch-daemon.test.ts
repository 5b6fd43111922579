// `recon-daemon batch` through a running daemon (found by its discovery file, as the CLI finds it): the same
// manifest as embedded, every job folder moved out of the daemon's output root, `--faces all` as one job per face.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestRecord } from '../src/batch/record.js';
import { runCli, startDaemon, type TestDaemon } from './helpers/daemon.js';
import { casePath } from './helpers/paths.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-batch-daemon-'));
const input = path.join(tmp, 'in');
let d: TestDaemon;

beforeAll(async () => {
  fs.mkdirSync(path.join(input, 'sub'), { recursive: true });
  fs.copyFileSync(casePath('two_people.jpg'), path.join(input, 'two.jpg'));
  fs.copyFileSync(casePath('negative_coffee.png'), path.join(input, 'sub', 'coffee.png'));
  fs.writeFileSync(path.join(input, 'empty.jpg'), '');
  d = await startDaemon(['--workers', '2']);
});

afterAll(async () => {
  await d?.stop();
  d?.te.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('recon-daemon batch through the daemon', () => {
  it('uses the running daemon, writes the same manifest, and leaves no job folders in its output root', async () => {
    const out = path.join(tmp, 'out');
    const r = await runCli(['batch', input, '-o', out, '--faces', 'all', '--outputs', 'structure', '--json'], d.te.env);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary.run).toMatchObject({ runner: 'daemon', processed: 3 });
    expect(summary.run.description).toContain(d.info.url);
    const lines = fs.readFileSync(path.join(out, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ManifestRecord);
    const by = Object.fromEntries(lines.map((l) => [l.source, l]));
    expect(Object.keys(by)).toEqual(['empty.jpg', 'sub/coffee.png', 'two.jpg']);
    expect(by['empty.jpg']).toMatchObject({ status: 'failed', codes: ['IMAGE_DECODE_FAILED'] });
    expect(by['sub/coffee.png']).toMatchObject({ status: 'failed', codes: ['NO_FACE'], outputs: { result: 'sub/coffee/result.json' } });
    expect(by['two.jpg']).toMatchObject({ status: 'ok', faces: 2, outputs: { structure: 'two/structure.png', result: 'two/result.json' } });
    expect(by['two.jpg'].extraFaces![0]).toMatchObject({ face: 1, outputs: { structure: 'two/face-1/structure.png' } });
    for (const l of lines) for (const p of Object.values(l.outputs)) expect(fs.existsSync(path.join(out, p)), p).toBe(true);
    expect(fs.readdirSync(d.info.outputRoot)).toEqual([]);

    // A rerun through the daemon skips everything.
    const again = await runCli(['batch', input, '-o', out, '--faces', 'all', '--outputs', 'structure', '--json'], d.te.env);
    expect(JSON.parse(again.stdout.trim()).run).toMatchObject({ runner: 'daemon', processed: 0, skipped: 3 });
  });

  it('refuses --quality with --daemon (the protocol has no quality option)', async () => {
    const r = await runCli(['batch', input, '-o', path.join(tmp, 'q'), '--daemon', '--quality', 'yawFail=50'], d.te.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: --quality works only with the embedded engine');
  });
});
