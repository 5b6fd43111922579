// Plugins against a real daemon (and its real plugin host process) with real WebSocket clients: the sample
// plugin, the built-in exporters, lazy activation, plugins that throw, hang, exit or kill the host, hot
// reload, and `reconstruct --export` on the command line. Fixtures: test/fixtures/plugins/, copied to a temp
// folder so hot reload can edit them.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconClient } from '../src/client/client.js';
import { RpcError } from '../src/rpc/errors.js';
import type { PluginInfo, PluginsListResult } from '../src/rpc/protocol.js';
import { record, runCli, startDaemon, tempEnv, waitFor, type TestDaemon, rpcError } from './helpers/daemon.js';
import { casePath, repoRoot } from './helpers/paths.js';

const PORTRAIT = casePath('control_obama_official_portrait.jpg');
const SMALL = casePath('obama_240p_letterbox.jpg');
const TIMEOUT_MS = 1500;

let d: TestDaemon;
let c: ReconClient;
let other: ReconClient;
let pluginDir: string;

beforeAll(async () => {
  const te = tempEnv();
  pluginDir = path.join(te.root, 'plugins');
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'plugins'), pluginDir, { recursive: true });
  fs.rmSync(path.join(pluginDir, 'listener-plugin'), { recursive: true });
  fs.cpSync(path.join(repoRoot, 'examples', 'sample-plugin'), path.join(pluginDir, 'sample-plugin'), { recursive: true });
  // One plugin in the user's plugin folder (<config dir>/plugins), found without any flag.
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'plugins', 'listener-plugin'), path.join(te.paths.configDir, 'plugins', 'listener-plugin'), { recursive: true });
  d = await startDaemon(['--plugin-dir', pluginDir, '--plugin-timeout-ms', String(TIMEOUT_MS)], te);
  c = await d.connect();
  other = await d.connect();
});

afterAll(async () => {
  await c?.close();
  await other?.close();
  await d?.stop();
  d?.te.cleanup();
});

const list = (): Promise<PluginsListResult> => c.request('plugins.list', {});
async function plugin(id: string): Promise<PluginInfo> {
  const p = (await list()).plugins.find((x) => x.id === id);
  if (!p) throw new Error(`no plugin ${id}`);
  return p;
}
const run = (command: string, ...args: unknown[]) => c.request('commands.execute', { command, args });

describe('discovery and manifests', () => {
  it('lists built-in, user-folder and --plugin-dir plugins with their state', async () => {
    const r = await waitFor('throw-on-activate to fail', async () => {
      const l = await list();
      return l.plugins.find((p) => p.id === 'throw-on-activate')?.state === 'failed' ? l : undefined;
    });
    expect(r.apiVersion).toBe('1.0.0');
    const byId = Object.fromEntries(r.plugins.map((p) => [p.id, p]));
    expect(byId['dataset-pairs']).toMatchObject({ source: 'builtin', state: 'inactive', contributes: { exporters: [{ id: 'dataset-pairs', extension: 'png' }] } });
    expect(byId['ply-export']).toMatchObject({ source: 'builtin', state: 'inactive', activationEvents: ['onExporter:ply'] });
    expect(byId['listener-plugin']).toMatchObject({ source: 'user', state: 'inactive', dir: path.join(d.te.paths.configDir, 'plugins', 'listener-plugin') });
    expect(byId['sample-plugin']).toMatchObject({
      source: 'dir',
      version: '1.0.0',
      state: 'inactive',
      activationEvents: ['onCommand:sample.hello', 'onExporter:sample.summary'],
      contributes: { commands: [{ command: 'sample.hello', title: 'Sample: Say hello' }], exporters: [{ id: 'sample.summary', title: 'Sample: pose summary', extension: 'txt' }] },
    });
  });

  it('refuses manifests with a wrong engines range or no main, naming the field and the reason', async () => {
    expect(await plugin('bad-engines')).toMatchObject({
      state: 'failed',
      reason: 'Invalid manifest: engines["recon-daemon"]: the plugin needs plugin API "^2.0.0" but this recon-daemon provides 1.0.0',
      problems: [{ field: 'engines["recon-daemon"]', reason: 'the plugin needs plugin API "^2.0.0" but this recon-daemon provides 1.0.0' }],
    });
    expect((await plugin('no-main')).problems).toEqual([
      { field: 'main', reason: 'missing: name the entry file of the plugin, e.g. "main": "extension.js"' },
      { field: 'activationEvents[1]', reason: 'expected onStartup, onReconstruction, onCommand:<command id> or onExporter:<exporter id> but received "onSunrise"' },
    ]);
    expect(d.output()).toMatch(/plugin skipped .*"plugin":"bad-engines"/);
  });

  it('reports a plugin whose activate rejects (onStartup), with the reason', async () => {
    expect(await plugin('throw-on-activate')).toMatchObject({ state: 'failed', reason: 'activate threw: activation exploded' });
    const e = await rpcError(run('throwing.never'));
    expect(e.data).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'throw-on-activate' });
    expect(e.message).toBe('Plugin "throw-on-activate" has failed: activate threw: activation exploded');
  });
});

describe('commands', () => {
  it('activates a plugin lazily: inactive until its command runs', async () => {
    expect(await plugin('lazy-plugin')).toMatchObject({ state: 'inactive' });
    expect((await c.request('commands.list', {})).commands).toContainEqual({
      command: 'lazy.count',
      title: 'Lazy: count',
      plugin: 'lazy-plugin',
      pluginState: 'inactive',
      registered: false,
    });
    expect(await run('lazy.count')).toEqual({ activations: 1, calls: 1, event: 'onCommand:lazy.count' });
    expect(await run('lazy.count')).toEqual({ activations: 1, calls: 2, event: 'onCommand:lazy.count' });
    expect(await plugin('lazy-plugin')).toMatchObject({ state: 'active', activationEvent: 'onCommand:lazy.count' });
    expect((await c.request('commands.list', {})).commands.find((x) => x.command === 'lazy.count')).toMatchObject({ pluginState: 'active', registered: true });
  });

  it("runs the sample plugin's command; its window.showMessage reaches every client", async () => {
    const seen = record(other);
    expect(await run('sample.hello', 'Ana')).toEqual({ greeting: 'Hello, Ana!', greetings: 1 });
    const msg = await waitFor('window.showMessage', () => seen.find((m) => m.method === 'window.showMessage'));
    expect(msg.params).toEqual({ plugin: 'sample-plugin', level: 'info', message: 'Hello, Ana!' });
    expect(d.output()).toMatch(/plugin sample-plugin: sample plugin activated by onCommand:sample\.hello/);
  });

  it('loads ES module plugins: import * as recon, relative imports, and require from an ES module', async () => {
    expect(await run('esm.echo', 1, 'two', { three: [3] })).toEqual({ args: [1, 'two', { three: [3] }], apiVersion: '1.0.0', same: true, format: 'esm' });
  });

  it("lets a plugin run another plugin's command, activating that plugin on demand", async () => {
    expect(await plugin('throw-in-command')).toMatchObject({ state: 'inactive' });
    expect(await run('esm.callOther', 'sample.hello', 'esm')).toMatchObject({ greeting: 'Hello, esm!' });
    const e = await rpcError(run('esm.callOther', 'throwing.command'));
    expect(e.message).toBe('Plugin "esm-plugin": command "esm.callOther" threw: Plugin "throw-in-command": command "throwing.command" threw: command exploded');
    expect(await plugin('throw-in-command')).toMatchObject({ state: 'active', errors: 1 });
  });

  it('answers an unknown command with -32602 COMMAND_NOT_FOUND', async () => {
    const e = await rpcError(run('no.such.command'));
    expect(e.code).toBe(-32602);
    expect(e.data.code).toBe('COMMAND_NOT_FOUND');
    expect(e.message).toBe('Unknown command "no.such.command"');
    expect(e.data.hint).toMatch(/sample\.hello/);
  });

  it('returns the error of a command that throws; the plugin stays active and records it', async () => {
    const e = await rpcError(run('throwing.command'));
    expect(e.code).toBe(-32803);
    expect(e.data).toMatchObject({ code: 'PLUGIN_ERROR', plugin: 'throw-in-command' });
    expect(e.message).toBe('Plugin "throw-in-command": command "throwing.command" threw: command exploded');
    expect(e.message).not.toMatch(/at Object/); // no stack trace for clients
    expect(await plugin('throw-in-command')).toMatchObject({ state: 'active', errors: 2, lastError: { message: 'command "throwing.command" threw: command exploded' } });
  });
});

describe('exporters', () => {
  it("runs the sample's and the built-in exporters per job; their files land in the job folder and in job.completed", async () => {
    const seen = record(c);
    const r = await c.reconstruct({ path: PORTRAIT }, { exporters: ['sample.summary', 'ply', 'dataset-pairs', 'esm.json'] });
    const stem = 'control_obama_official_portrait';
    const expected = {
      'sample.summary:summary.txt': 'summary.txt',
      'ply:points.ply': 'points.ply',
      'ply:face.ply': 'face.ply',
      [`dataset-pairs:images/${stem}.png`]: `images/${stem}.png`,
      [`dataset-pairs:structure/${stem}.png`]: `structure/${stem}.png`,
      'dataset-pairs:manifest.jsonl': 'manifest.jsonl',
      'esm.json:esm/summary.json': 'esm/summary.json',
    };
    for (const [key, rel] of Object.entries(expected)) {
      expect(r.files[key]).toBe(path.join(r.dir, rel));
      expect(fs.statSync(r.files[key]).size).toBeGreaterThan(0);
    }
    expect(r.files.structure).toBe(path.join(r.dir, 'structure.png')); // the engine's outputs are still there
    expect(r.exports!.map((x) => [x.exporter, x.files.length, x.error])).toEqual([
      ['sample.summary', 1, undefined],
      ['ply', 2, undefined],
      ['dataset-pairs', 3, undefined],
      ['esm.json', 1, undefined],
    ]);
    const stages = seen.filter((m) => m.method === 'job.progress' && m.params.jobId === r.jobId).map((m) => m.params.stage);
    expect(stages.slice(-4)).toEqual(['export:sample.summary', 'export:ply', 'export:dataset-pairs', 'export:esm.json']);

    expect(fs.readFileSync(r.files['sample.summary:summary.txt'], 'utf8')).toMatch(/^source: control_obama_official_portrait\.jpg\nfaces: 1\nverdict: (pass|warn)\npose: yaw /);
    expect(JSON.parse(fs.readFileSync(r.files['esm.json:esm/summary.json'], 'utf8'))).toEqual({ jobId: r.jobId, source: 'control_obama_official_portrait.jpg', faces: 1, dir: true });

    // Dataset pair: the crop and the structure map, byte for byte, and one manifest line.
    expect(fs.readFileSync(path.join(r.dir, 'images', `${stem}.png`)).equals(fs.readFileSync(r.files.crop))).toBe(true);
    expect(fs.readFileSync(path.join(r.dir, 'structure', `${stem}.png`)).equals(fs.readFileSync(r.files.structure))).toBe(true);
    const lines = fs.readFileSync(path.join(r.dir, 'manifest.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ image: `images/${stem}.png`, structure: `structure/${stem}.png`, source: `${stem}.jpg`, jobId: r.jobId, pose: r.pose });

    // PLY: 478 points; the mesh has face.obj's vertices and triangles.
    const points = parsePly(fs.readFileSync(r.files['ply:points.ply'], 'utf8'));
    expect(points.vertices).toHaveLength(478);
    const obj = fs.readFileSync(r.files.obj, 'utf8');
    const mesh = parsePly(fs.readFileSync(r.files['ply:face.ply'], 'utf8'));
    expect(mesh.vertices).toHaveLength(obj.match(/^v /gm)!.length);
    expect(mesh.faces).toHaveLength(obj.match(/^f /gm)!.length);
    expect(mesh.faces.every((f) => f.length === 3 && f.every((i) => i >= 0 && i < mesh.vertices.length))).toBe(true);
    // The first OBJ vertex, as written.
    expect(mesh.vertices[0].slice(0, 3).join(' ')).toBe(/^v (.*)$/m.exec(obj)![1].split(' ').map(Number).join(' '));

    // Remote clients read exporter files like any output.
    const read = await c.request('result.read', { jobId: r.jobId, path: 'points.ply' });
    expect(Buffer.from(read.data, 'base64').toString('utf8')).toMatch(/^ply\nformat ascii 1\.0\n/);
    expect((await plugin('ply-export')).activationEvent).toBe('onExporter:ply');
  });

  it('tells onReconstruction plugins about every completed job (a plugin in the user folder)', async () => {
    const r = await c.reconstruct({ path: SMALL }, { exporters: ['ply'] });
    const seen = await waitFor('listener to see the job', async () => {
      const v = (await run('listener.seen')) as { seen: Array<{ jobId: string; files: string[] }>; event: string };
      return v.seen.find((s) => s.jobId === r.jobId) ? v : undefined;
    });
    expect(seen.event).toBe('onReconstruction');
    expect(seen.seen.find((s) => s.jobId === r.jobId)!.files).toEqual(expect.arrayContaining(['ply:points.ply', 'result', 'structure']));
  });

  it('refuses an unknown exporter before the job starts', async () => {
    const e = await rpcError(c.request('recon.reconstruct', { image: { path: SMALL }, options: { exporters: ['ply', 'nope'] } }));
    expect(e.code).toBe(-32602);
    expect(e.data).toMatchObject({ code: 'EXPORTER_NOT_FOUND', fields: ['options.exporters[1]'] });
    expect(e.message).toBe('Invalid params for recon.reconstruct: Expected an exporter id (dataset-pairs, esm.json, ply, sample.summary) for options.exporters[1] but received "nope"');
  });

  it('reports a failing exporter in the result; the job still completes', async () => {
    const r = await c.reconstruct({ path: SMALL }, { outputs: ['overlay'], exporters: ['dataset-pairs', 'sample.summary'] });
    expect(r.exports![0]).toMatchObject({ exporter: 'dataset-pairs', files: [], error: { code: -32803, data: { code: 'PLUGIN_ERROR', plugin: 'dataset-pairs' } } });
    expect(r.exports![0].error!.message).toMatch(/dataset-pairs needs the crop and the structure map, but the job did not write crop\.png and structure\.png/);
    expect(r.exports![1]).toMatchObject({ exporter: 'sample.summary', files: [path.join(r.dir, 'summary.txt')] });
    expect(await plugin('dataset-pairs')).toMatchObject({ state: 'active', errors: 1 });
  });
});

describe('isolation', () => {
  it('refuses process.exit() in a plugin and reports it; the host keeps running', async () => {
    const pid = (await list()).host.pid;
    expect(pid).toBeGreaterThan(0);
    const e = await rpcError(run('exit.now'));
    expect(e.data).toMatchObject({ code: 'PLUGIN_FAILED', plugin: 'exit-plugin' });
    expect(e.message).toBe('Plugin "exit-plugin": called process.exit(3), which plugins may not do (the plugin host is shared)');
    expect(await plugin('exit-plugin')).toMatchObject({ state: 'failed', reason: 'called process.exit(3), which plugins may not do (the plugin host is shared)' });
    expect((await list()).host).toMatchObject({ state: 'running', pid });
    expect((await rpcError(run('exit.now'))).message).toMatch(/^Plugin "exit-plugin" has failed: called process\.exit\(3\)/);
  });

  it('reports an exception thrown later from a plugin\'s timer against that plugin; the host keeps running', async () => {
    const pid = (await list()).host.pid;
    expect(await run('late.throw')).toBe('scheduled');
    const p = await waitFor('late-throw-plugin to fail', async () => {
      const x = await plugin('late-throw-plugin');
      return x.state === 'failed' ? x : undefined;
    });
    expect(p.reason).toBe('threw: late boom');
    expect((await list()).host).toMatchObject({ state: 'running', pid });
  });

  it('time-boxes a command whose promise never settles: the plugin is stopped, the host (not blocked) stays', async () => {
    const pid = (await list()).host.pid;
    const e = await rpcError(run('stuck.wait'));
    expect(e.data).toMatchObject({ code: 'PLUGIN_TIMEOUT', plugin: 'stuck-plugin' });
    expect(await plugin('stuck-plugin')).toMatchObject({ state: 'failed', reason: `command "stuck.wait" did not finish within ${TIMEOUT_MS} ms` });
    expect((await list()).host).toMatchObject({ state: 'running', pid });
  });

  it('time-boxes a plugin that never returns: reported, host restarted, a reconstruct on the same daemon completes', async () => {
    const before = (await list()).host;
    const job = other.reconstruct({ path: PORTRAIT });
    const t = Date.now();
    const e = await rpcError(run('hang.forever'));
    expect(Date.now() - t).toBeLessThan(TIMEOUT_MS + 4000);
    expect(e.data).toMatchObject({ code: 'PLUGIN_TIMEOUT', plugin: 'hang-plugin' });
    expect(e.message).toBe(`Plugin "hang-plugin": command "hang.forever" did not finish within ${TIMEOUT_MS} ms, so it was stopped`);
    expect((await job).faces).toBe(1);
    expect(await plugin('hang-plugin')).toMatchObject({ state: 'failed', reason: `command "hang.forever" did not finish within ${TIMEOUT_MS} ms` });
    // The host comes back, and the plugins that were active are active again.
    const l = await waitFor('host running again', async () => {
      const x = await list();
      return x.host.state === 'running' && x.plugins.find((p) => p.id === 'sample-plugin')?.state === 'active' ? x : undefined;
    });
    expect(l.host.restarts).toBe(before.restarts + 1);
    expect(l.host.pid).not.toBe(before.pid);
    expect(l.host.lastExit).toMatchObject({ signal: 'SIGKILL', reason: 'killed because plugin "hang-plugin" blocked it (command "hang.forever")' });
    expect(await run('sample.hello', 'again')).toMatchObject({ greeting: 'Hello, again!' });
  });

  it('blames a plugin that kills the host process; the host comes back and other plugins work', async () => {
    const before = (await list()).host;
    const job = other.reconstruct({ path: SMALL });
    const e = await rpcError(run('crash.now'));
    expect(e.data).toMatchObject({ code: 'PLUGIN_HOST_CRASHED', plugin: 'crash-plugin' });
    expect(await plugin('crash-plugin')).toMatchObject({
      state: 'failed',
      reason: 'the plugin host exited unexpectedly (signal SIGKILL) while the plugin was running command "crash.now"',
    });
    expect((await job).faces).toBe(1);
    expect(await run('esm.echo', 'back')).toMatchObject({ args: ['back'] });
    const l = await list();
    expect(l.host).toMatchObject({ state: 'running', restarts: before.restarts + 1, lastExit: { signal: 'SIGKILL', reason: 'exited unexpectedly (signal SIGKILL)' } });
    expect(l.plugins.filter((p) => p.state === 'failed').map((p) => p.id).sort()).toEqual(['bad-engines', 'crash-plugin', 'exit-plugin', 'hang-plugin', 'late-throw-plugin', 'no-main', 'stuck-plugin', 'throw-on-activate']);
  });
});

describe('recon-daemon plugins (command line)', () => {
  it('lists the plugins of the running daemon and runs a command', async () => {
    const l = await runCli(['plugins'], d.te.env);
    expect(l.code).toBe(0);
    expect(l.stdout).toMatch(/^plugin API 1\.0\.0; plugin host running \(pid \d+\), \d+ restart\(s\)\n/);
    expect(l.stdout).toMatch(/\n(active  |inactive) dataset-pairs@1\.0\.0 \(builtin: .*\n {9}exporter dataset-pairs\n/);
    expect(l.stdout).toContain(`failed   bad-engines (dir: ${path.join(pluginDir, 'bad-engines')})\n         reason: Invalid manifest: engines["recon-daemon"]: `);
    const x = await runCli(['plugins', 'exec', 'esm.echo', 'Bo', '42', '{"a":[1]}'], d.te.env);
    expect(x.stdout).toBe('{"args":["Bo",42,{"a":[1]}],"apiVersion":"1.0.0","same":true,"format":"esm"}\n');
    const bad = await runCli(['plugins', 'exec', 'nope'], d.te.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: Unknown command "nope"\nhint: Commands: /);
  });

  it('reconstruct --export through the running daemon runs the exporter on the copied folder', async () => {
    const out = path.join(d.te.root, 'cli-out');
    const r = await runCli(['reconstruct', SMALL, '-o', out, '--daemon', '--export', 'ply'], d.te.env);
    expect(r.stderr).toBe(`using the running daemon at ${d.info.url}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('     export ply: points.ply, face.ply\n');
    expect(parsePly(fs.readFileSync(path.join(out, 'obama_240p_letterbox', 'points.ply'), 'utf8')).vertices).toHaveLength(478);
  });
});

describe('hot reload', () => {
  it("changes an ES module plugin's behaviour when a file it imports changes, without restarting the daemon", async () => {
    expect(await run('reload.version')).toBe('v1');
    fs.writeFileSync(path.join(pluginDir, 'reload-plugin', 'version.js'), "export const VERSION = 'v2';\n");
    expect(await waitFor('v2', async () => ((await run('reload.version')) === 'v2' ? true : undefined), 5000)).toBe(true);
    expect(d.child.exitCode).toBeNull();
    expect(d.output()).toMatch(/plugin reloaded .*"plugin":"reload-plugin"/);
  });

  it("reloads a CommonJS plugin's main and brings back a failed plugin once it is fixed", async () => {
    expect(await run('lazy.count')).toMatchObject({ activations: 1 });
    fs.writeFileSync(
      path.join(pluginDir, 'lazy-plugin', 'index.js'),
      "const recon = require('recon-daemon');\nexports.activate = (c) => { c.subscriptions.push(recon.commands.registerCommand('lazy.count', () => 'reloaded')); };\n",
    );
    fs.writeFileSync(path.join(pluginDir, 'throw-on-activate', 'index.js'), 'exports.activate = () => {};\n');
    expect(await waitFor('reloaded', async () => ((await run('lazy.count')) === 'reloaded' ? true : undefined), 5000)).toBe(true);
    // onStartup: activated again right after the reload.
    expect(await waitFor('fixed plugin active', async () => ((await plugin('throw-on-activate')).state === 'active' ? true : undefined), 5000)).toBe(true);
  });
});

describe('reconstruct --export (command line, its own plugin host)', () => {
  it('runs the built-in exporters on each photo folder', async () => {
    const te = tempEnv();
    try {
      const out = path.join(te.root, 'out');
      const r = await runCli(['reconstruct', PORTRAIT, '-o', out, '--embedded', '--export', 'ply', '--export', 'dataset-pairs', '--outputs', 'crop,structure'], te.env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const dir = path.join(out, 'control_obama_official_portrait');
      expect(r.stdout).toContain('     export ply: points.ply\n');
      expect(r.stdout).toContain('     export dataset-pairs: images/control_obama_official_portrait.png, structure/control_obama_official_portrait.png, manifest.jsonl\n');
      expect(parsePly(fs.readFileSync(path.join(dir, 'points.ply'), 'utf8')).vertices).toHaveLength(478);
      expect(fs.existsSync(path.join(dir, 'face.ply'))).toBe(false); // no OBJ asked for
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8'))).toMatchObject({ image: 'images/control_obama_official_portrait.png' });
      const bad = await runCli(['reconstruct', PORTRAIT, '-o', out, '--embedded', '--export', 'nope'], te.env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe('error: Expected an exporter id (dataset-pairs, ply) for --export but received "nope"\nhint: Pass --export as an exporter id (dataset-pairs, ply).\n');
    } finally {
      te.cleanup();
    }
  });
});

/** A minimal ASCII PLY reader: vertex rows and face index lists. */
function parsePly(text: string): { vertices: number[][]; faces: number[][] } {
  const [header, body] = text.split('end_header\n');
  expect(header.startsWith('ply\nformat ascii 1.0\n')).toBe(true);
  const count = (el: string) => Number(new RegExp(`^element ${el} (\\d+)$`, 'm').exec(header)?.[1] ?? 0);
  const rows = body.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const nv = count('vertex');
  const nf = count('face');
  expect(rows).toHaveLength(nv + nf);
  expect(rows.every((row) => row.every(Number.isFinite))).toBe(true);
  return { vertices: rows.slice(0, nv), faces: rows.slice(nv).map((r) => r.slice(1)) };
}
