// The shared Python client (integrations/python/recon_client) against a real daemon on loopback, with Debian's
// python3: its unit and protocol tests (test/python/test_recon_client.py), the `python -m recon_client` command
// line a pipeline TD runs (by path and by bytes, progress, Ctrl+C, NO_FACE, a wrong token, no daemon,
// result.read, status), and `pip install` of the package offline into a fresh virtual environment.
//
// python3 is required, not optional (CI installs python3 python3-venv python3-setuptools python3-wheel; see
// .ci/run). RECON_PYTHON names another interpreter; the default is Debian's /usr/bin/python3 when it exists.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casePath, repoRoot } from './helpers/paths.js';
import { startDaemon, tempEnv, type TestDaemon } from './helpers/daemon.js';
import { NO_FACE_HINT } from '../src/recon/folder.js';

const PYTHON = process.env.RECON_PYTHON || (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const PACKAGE_DIR = path.join(repoRoot, 'integrations', 'python');
const PORTRAIT = casePath('control_obama_official_portrait.jpg');
const PORTRAIT2 = casePath('astronaut_eileen_collins.png');
const NO_FACE = casePath('negative_coffee.png');
const PLUGIN_COMMAND = 'pyclient.hello';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 180_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        signal: e?.signal ?? null,
        stdout,
        stderr,
        seconds: (Date.now() - t0) / 1000,
      });
    });
  });
}

/** `python -m recon_client …` from the source tree, in the test daemon's environment (its discovery and token files). */
function cli(args: string[], env: NodeJS.ProcessEnv = d.te.env, cwd = work): Promise<Run> {
  return run(PYTHON, ['-m', 'recon_client', ...args], { ...env, PYTHONPATH: PACKAGE_DIR }, { cwd });
}

function writeFixturePlugin(dir: string): void {
  const p = path.join(dir, 'pyclient-hello');
  fs.mkdirSync(p, { recursive: true });
  fs.writeFileSync(
    path.join(p, 'package.json'),
    JSON.stringify({
      name: 'pyclient-hello',
      version: '1.0.0',
      main: 'main.js',
      engines: { 'recon-daemon': '^1.0.0' },
      activationEvents: [],
      contributes: { commands: [{ command: PLUGIN_COMMAND, title: 'Say Hello' }] },
    }),
  );
  fs.writeFileSync(
    path.join(p, 'main.js'),
    `const recon = require('recon-daemon');
exports.activate = (context) => {
  context.subscriptions.push(recon.commands.registerCommand(${JSON.stringify(PLUGIN_COMMAND)}, (...args) => {
    recon.window.showMessage('hello, editors', 'warning');
    return { greeting: 'hello from a plugin', args };
  }));
};
`,
  );
}

let d: TestDaemon;
let work: string;

beforeAll(async () => {
  const v = await run(PYTHON, ['--version'], process.env);
  if (v.code !== 0) throw new Error(`Python 3 is required for the Python client's tests and was not found (${PYTHON}). Install it: apt-get install -y python3 (see .ci/run), or set RECON_PYTHON.`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-pyclient-'));
  writeFixturePlugin(path.join(work, 'plugins'));
  d = await startDaemon(['--plugin-dir', path.join(work, 'plugins')]);
}, 300_000);

afterAll(async () => {
  await d?.stop();
  d?.te.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('recon_client in plain Python against the real daemon', () => {
  it('passes its tests: framing, JSON-RPC, discovery, options, downloads, hints; jobs by path and bytes, progress, cancel, NO_FACE, wrong token, no daemon, result.read, restart', async () => {
    const env = {
      ...d.te.env,
      RECON_REPO: repoRoot,
      RECON_TEST_URL: d.info.url,
      RECON_TEST_TOKEN: d.token,
      RECON_TEST_PLUGIN_COMMAND: PLUGIN_COMMAND,
    };
    const r = await run(PYTHON, [path.join(repoRoot, 'test/python/test_recon_client.py')], env, { timeoutMs: 280_000 });
    const out = r.stdout + r.stderr;
    expect(r.code, out.slice(-6000)).toBe(0);
    expect(out).toMatch(/\nOK\n/);
    expect(out).not.toMatch(/skipped/i);
    expect(Number(/Ran (\d+) tests/.exec(out)![1])).toBeGreaterThanOrEqual(60);
  }, 300_000);
});

describe('python -m recon_client reconstruct', () => {
  it('finds the daemon through its discovery and token files, reports progress, and copies the job\'s files into -o DIR', async () => {
    const out = path.join(work, 'by-path');
    const r = await cli(['reconstruct', PORTRAIT, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    // Progress on stderr, one line per stage, in the daemon's order.
    const stages = r.stderr.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[0]);
    expect(stages).toEqual(['queued', 'started', 'decode', 'detect', 'landmarks', 'pose', 'render', 'done']);
    // Every file result.json lists, byte for byte what the daemon wrote in its job folder.
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
    const names = Object.values(result.outputs as Record<string, string>).sort();
    expect(r.stdout).toMatch(new RegExp(`^pass control_obama_official_portrait\\.jpg → ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${names.length} files, job \\d{8}-\\d{6}-[0-9a-f]{8}\\)\\n$`));
    expect(fs.readdirSync(out).sort()).toEqual(names);
    expect(names).toEqual(expect.arrayContaining(['structure.png', 'front-structure.png', 'face.obj', 'face.mtl', 'texture.png', 'face.glb', 'crop.png']));
    const jobId = /job (\S+)\)/.exec(r.stdout)![1];
    const jobDir = path.join(d.te.env.XDG_DATA_HOME!, 'recon-daemon', 'jobs', jobId);
    for (const n of names) expect(fs.readFileSync(path.join(out, n)).equals(fs.readFileSync(path.join(jobDir, n))), n).toBe(true);
  });

  it('--transfer data sends the photo as bytes and fetches every file with result.read; --json prints the outcome', async () => {
    const out = path.join(work, 'by-bytes');
    const r = await cli(['reconstruct', PORTRAIT2, '-o', out, '--transfer', 'data', '--json', '--size', '128']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o).toMatchObject({ ok: true, verdict: 'pass', warnings: [], fetched: true, dir: out });
    expect(Object.keys(o.files)).toEqual(expect.arrayContaining(['result', 'structure', 'obj', 'mtl', 'texture', 'glb']));
    const result = JSON.parse(fs.readFileSync(o.files.result, 'utf8'));
    expect(result.source).toBe('upload'); // the daemon got bytes, not a path
    expect(result.alignment.size).toBe(128);
    const jobDir = path.join(d.te.env.XDG_DATA_HOME!, 'recon-daemon', 'jobs', o.jobId);
    for (const [kind, file] of Object.entries(o.files as Record<string, string>)) {
      expect(path.dirname(file)).toBe(out);
      expect(fs.readFileSync(file).equals(fs.readFileSync(path.join(jobDir, path.basename(file)))), kind).toBe(true);
    }
  });

  it('a photo without a face exits 1 with NO_FACE and its hint, and writes nothing', async () => {
    const out = path.join(work, 'no-face');
    const r = await cli(['reconstruct', NO_FACE, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error NO_FACE: No face found in negative_coffee.png\n');
    expect(r.stderr).toContain(`hint: ${NO_FACE_HINT}\n`);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(out)).toBe(false);
    const j = await cli(['reconstruct', NO_FACE, '-o', out, '--json', '-q']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'NO_FACE', hint: NO_FACE_HINT } });
    expect(j.stderr).toBe('');
  });

  it('a wrong token exits 3 with UNAUTHORIZED; so does a token file with another token', async () => {
    const r = await cli(['reconstruct', PORTRAIT, '-o', path.join(work, 'x'), '--token', 'f'.repeat(64)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error UNAUTHORIZED: /);
    expect(r.stderr).toMatch(/\nhint: \S/);
    const tf = path.join(work, 'other-token');
    fs.writeFileSync(tf, `${'0'.repeat(64)}\n`);
    const f = await cli(['status', '--token-file', tf]);
    expect(f.code).toBe(3);
    expect(f.stderr).toMatch(/^error UNAUTHORIZED: /);
    fs.writeFileSync(tf, `${d.token}\n`);
    const ok = await cli(['status', '--token-file', tf, '--url', d.info.url]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('with no daemon it exits 3 with DAEMON_NOT_RUNNING at once, its hint saying what to do', async () => {
    const te = tempEnv(); // a HOME with no discovery file and no token
    try {
      const r = await cli(['reconstruct', PORTRAIT, '-o', path.join(te.root, 'out')], te.env);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(
        'error DAEMON_NOT_RUNNING: daemon not running: run `recon-daemon start`\n' +
          'hint: Or pass --start to start it when nothing answers. If it runs elsewhere, check --url and --token.\n',
      );
      expect(r.seconds).toBeLessThan(5); // nothing listening on loopback is known in milliseconds (plus Python's start)
      expect(fs.existsSync(path.join(te.root, 'out'))).toBe(false);
    } finally {
      te.cleanup();
    }
  });

  it('refuses a bad option before connecting, in the daemon\'s wording', async () => {
    const te = tempEnv(); // no daemon: the option is checked first
    try {
      const r = await cli(['reconstruct', PORTRAIT, '--size', '2000'], te.env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('error INVALID_OPTION: Expected integer 128–1024 for size but received 2000\n');
      const o = await cli(['reconstruct', PORTRAIT, '--outputs', 'structure,nope'], te.env);
      expect(o.code).toBe(1);
      expect(o.stderr).toContain('error INVALID_OPTION: Expected a list of output kinds (crop, structure');
      const m = await cli(['reconstruct', path.join(te.root, 'missing.jpg')], te.env);
      expect(m.code).toBe(1);
      expect(m.stderr).toContain('error FILE_NOT_FOUND: No such photo: ');
      const u = await cli(['reconstruct'], te.env);
      expect(u.code).toBe(2); // argparse: usage
      expect(u.stderr).toContain('usage: python -m recon_client reconstruct');
    } finally {
      te.cleanup();
    }
  });

  it('--outputs writes only those kinds (and result.json)', async () => {
    const out = path.join(work, 'subset');
    const r = await cli(['reconstruct', PORTRAIT, '-o', out, '--outputs', 'structure,obj', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // face.obj brings its material and textures (result.json lists them as mtl, texture, textureNormal, textureVisibility).
    expect(fs.readdirSync(out).sort()).toEqual(['face.mtl', 'face.obj', 'result.json', 'structure.png', 'texture-normal.png', 'texture-visibility.png', 'texture.png']);
  });

  it('-O passes any other option the client knows: -O view=camera gives the camera-view mesh', async () => {
    const out = path.join(work, 'camera-view');
    const r = await cli(['reconstruct', PORTRAIT, '-o', out, '-O', 'view=camera', '-O', 'subdivisions=0', '--outputs', 'structure,obj', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result.mesh).toMatchObject({ view: 'camera', subdivisions: 0 });
    const bad = await cli(['reconstruct', PORTRAIT, '-o', out, '-O', 'view=side']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error INVALID_OPTION: Expected one of front, camera for view but received 'side'\n");
  });

  it('Ctrl+C cancels the job: exit 130 with REQUEST_CANCELLED, the job cancelled in the daemon, nothing written', async () => {
    // Keep the one worker busy so the CLI's job waits in the queue: the interrupt then always lands before it runs.
    const busy = await d.connect();
    try {
      for (let i = 0; i < 4; i++) await busy.request('recon.reconstruct', { image: { path: PORTRAIT }, options: { size: 1024 } });
      const out = path.join(work, 'cancelled');
      const child = spawn(PYTHON, ['-m', 'recon_client', 'reconstruct', PORTRAIT, '-o', out], {
        env: { ...d.te.env, PYTHONPATH: PACKAGE_DIR },
        cwd: work,
      });
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (b) => (stdout += b));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no "queued" line: ${stderr}`)), 60_000);
        child.stderr.on('data', (b) => {
          stderr += b;
          if (/queued/.test(stderr)) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('cancelling…\n');
      expect(stderr).toMatch(/error REQUEST_CANCELLED: reconstruction cancelled\n/);
      expect(stdout).toBe('');
      expect(fs.existsSync(out)).toBe(false);
      const list = (await busy.request('jobs.list', { all: true })) as { jobs: Array<{ state: string; clientId: string }> };
      expect(list.jobs.filter((j) => j.state === 'cancelled').length).toBeGreaterThanOrEqual(1);
    } finally {
      await busy.close();
    }
  });

  it('status prints the daemon\'s version, address and workers', async () => {
    const r = await cli(['status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^recon-daemon \\d+\\.\\d+\\.\\d+ at ${d.info.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${d.info.pid}\\): 1/1 workers ready`));
    const j = await cli(['status', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ url: d.info.url, pid: d.info.pid });
  });
});

describe('pip install integrations/python', () => {
  it('installs offline into a fresh virtual environment (--no-build-isolation, the system setuptools) with a recon-client command', async () => {
    const venv = path.join(work, 'venv');
    const src = path.join(work, 'src'); // a copy: setuptools writes build/ and *.egg-info next to the sources
    fs.cpSync(PACKAGE_DIR, src, { recursive: true, filter: (p) => !/__pycache__/.test(p) });
    const mk = await run(PYTHON, ['-m', 'venv', '--system-site-packages', venv], process.env);
    expect(mk.code, `${mk.stderr} (Debian: apt-get install python3-venv)`).toBe(0);
    const pip = await run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--no-build-isolation', '--no-index', src], { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' }, { timeoutMs: 240_000 });
    expect(pip.code, pip.stdout + pip.stderr).toBe(0);
    expect(pip.stdout).toMatch(/Successfully installed recon-client-0\.1\.0/);
    // The installed copy, not the sources: run from elsewhere, without PYTHONPATH.
    const where = await run(path.join(venv, 'bin', 'python'), ['-c', 'import recon_client, sys; print(recon_client.__file__)'], process.env, { cwd: os.tmpdir() });
    expect(where.stdout.trim()).toBe(path.join(venv, 'lib', /python3\.\d+/.exec(fs.readdirSync(path.join(venv, 'lib'))[0])![0], 'site-packages', 'recon_client', '__init__.py'));
    const out = path.join(work, 'from-venv');
    const r = await run(path.join(venv, 'bin', 'recon-client'), ['reconstruct', PORTRAIT, '-o', out, '-q'], d.te.env, { cwd: os.tmpdir() });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(out, 'structure.png'))).toBe(true);
    const m = await run(path.join(venv, 'bin', 'python'), ['-m', 'recon_client', '--version'], process.env, { cwd: os.tmpdir() });
    expect(m.stdout.trim()).toBe('recon_client 0.1.0');
  }, 300_000);
});
