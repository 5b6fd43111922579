// `recon-daemon reconstruct` uses the running daemon when there is one, with the same output folder as the
// embedded engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casePath } from './helpers/paths.js';
import { runCli, startDaemon, type TestDaemon } from './helpers/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
}, 120_000);
afterAll(async () => {
  await d?.stop();
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'recon-cli-d-'));

describe('recon-daemon reconstruct with a running daemon', () => {
  it('goes through the daemon and writes the same folder as the embedded engine', async () => {
    const viaDaemon = tmp();
    const r = await runCli(['reconstruct', casePath('control_obama_official_portrait.jpg'), casePath('negative_coffee.png'), '-o', viaDaemon], d.te.env);
    expect(r.stderr).toContain(`using the running daemon at ${d.info.url}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAIL .*negative_coffee\.png: NO_FACE: No face found/);
    const embedded = tmp();
    const e = await runCli(['reconstruct', casePath('control_obama_official_portrait.jpg'), '--embedded', '-o', embedded], d.te.env);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).not.toContain('using the running daemon');
    const a = path.join(viaDaemon, 'control_obama_official_portrait');
    const b = path.join(embedded, 'control_obama_official_portrait');
    expect(fs.readdirSync(a).sort()).toEqual(fs.readdirSync(b).sort());
    const ra = JSON.parse(fs.readFileSync(path.join(a, 'result.json'), 'utf8'));
    const rb = JSON.parse(fs.readFileSync(path.join(b, 'result.json'), 'utf8'));
    expect(ra.faces[0].points).toEqual(rb.faces[0].points);
    expect(ra.quality).toEqual(rb.quality);
    expect(fs.readFileSync(path.join(a, 'structure.png'))).toEqual(fs.readFileSync(path.join(b, 'structure.png')));
    expect(JSON.parse(fs.readFileSync(path.join(viaDaemon, 'negative_coffee', 'result.json'), 'utf8')).error.code).toBe('NO_FACE');
  });

  it('says clearly when --daemon is asked for and none runs', async () => {
    const te = { ...d.te.env, XDG_RUNTIME_DIR: tmp(), XDG_CONFIG_HOME: tmp() };
    const r = await runCli(['reconstruct', casePath('control_obama_official_portrait.jpg'), '--daemon', '-o', tmp()], te);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: recon-daemon is not running');
    expect(r.stderr).toContain('hint: Start it with `recon-daemon start`');
  });
});
