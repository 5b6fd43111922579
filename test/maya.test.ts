// The Maya module (integrations/maya) without Maya — Maya is not available here (its licence and size rule it
// out; docs/maya.md says plainly what has and has not been run inside it). What is checked, against a real daemon
// on loopback with Debian's python3: the module's Maya-free logic (test/maya/test_maya_logic.py: units, the
// image-plane placement on the daemon's own OBJ and structure map, slots, the files a result uses, preferences,
// the job flow on a worker thread with progress, cancel, errors and their hints, auto-start), that every Maya call
// is in mayahost.py with flags from Autodesk's reference, and the module `recon-daemon install-addon maya` builds.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/paths.js';
import { bin, runCli, startDaemon, tempEnv, type TestDaemon } from './helpers/daemon.js';
import { joinCommand } from '../src/cli/commands/install-addon.js';

const PYTHON = process.env.RECON_PYTHON || (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const CLIENT_DIR = path.join(repoRoot, 'integrations', 'python', 'recon_client');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A zip's entries, read by Python's zipfile (an independent reader): name → bytes. */
async function unzip(file: string): Promise<Map<string, Buffer>> {
  const r = await run(
    PYTHON,
    ['-c', 'import sys, zipfile, json, base64; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(json.dumps({n: base64.b64encode(z.read(n)).decode() for n in z.namelist()}))', file],
    process.env,
  );
  if (r.code !== 0) throw new Error(r.stderr);
  return new Map(Object.entries(JSON.parse(r.stdout) as Record<string, string>).map(([n, b]) => [n, Buffer.from(b, 'base64')]));
}

function sourceFiles(dir: string, prefix: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const n of fs.readdirSync(d)) {
      if (n.startsWith('.') || n === '__pycache__' || n.endsWith('.pyc')) continue;
      const full = path.join(d, n);
      if (fs.statSync(full).isDirectory()) walk(full, `${rel}/${n}`);
      else out.set(`${rel}/${n}`, fs.readFileSync(full));
    }
  };
  walk(dir, prefix);
  return out;
}

let d: TestDaemon;
let work: string;
let zip: string;
let modules: string;

beforeAll(async () => {
  const v = await run(PYTHON, ['--version'], process.env);
  if (v.code !== 0) throw new Error(`Python 3 is required for the Maya module's tests and was not found (${PYTHON}). Install it: apt-get install -y python3 (see .ci/run), or set RECON_PYTHON.`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-maya-'));
  d = await startDaemon();
  zip = path.join(work, 'recon_maya.zip');
  modules = path.join(work, 'maya', 'modules');
  const built = await runCli(['install-addon', 'maya', '-o', zip, '--modules-dir', modules], d.te.env);
  if (built.code !== 0) throw new Error(`install-addon maya failed:\n${built.stderr}`);
}, 300_000);

afterAll(async () => {
  await d?.stop();
  d?.te.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the Maya module\'s logic in plain Python against the real daemon', () => {
  it('passes: units, placement on the daemon\'s OBJ and map, slots, files, preferences, the job flow, auto-start, mayahost alone calls Maya', async () => {
    const env = {
      ...d.te.env,
      RECON_REPO: repoRoot,
      RECON_TEST_URL: d.info.url,
      RECON_TEST_TOKEN: d.token,
      RECON_TEST_MODULE: modules,
      RECON_TEST_CLI: joinCommand([process.execPath, bin]),
    };
    const r = await run(PYTHON, [path.join(repoRoot, 'test/maya/test_maya_logic.py')], env);
    const out = r.stdout + r.stderr;
    expect(r.code, out.slice(-6000)).toBe(0);
    expect(out).toMatch(/\nOK\n/);
    expect(out).not.toMatch(/skipped/i);
    expect(Number(/Ran (\d+) tests/.exec(out)![1])).toBeGreaterThanOrEqual(30);
  }, 320_000);
});

describe('install-addon maya', () => {
  it('writes one zip: recon_maya.mod beside recon_maya/ with scripts, shelf, icon, the shared client vendored byte for byte', async () => {
    const entries = await unzip(zip);
    const names = [...entries.keys()];
    expect(names).toContain('recon_maya.mod');
    expect(names.filter((n) => !n.startsWith('recon_maya/'))).toEqual(['recon_maya.mod']);
    for (const n of ['scripts/userSetup.py', 'scripts/recon_maya/__init__.py', 'scripts/recon_maya/mayahost.py', 'scripts/recon_maya/flow.py', 'scripts/recon_maya/install.json', 'shelves/shelf_FaceRecon.mel', 'icons/faceRecon.png']) {
      expect(names).toContain(`recon_maya/${n}`);
    }
    expect(names.some((n) => n.includes('__pycache__') || n.endsWith('.pyc'))).toBe(false);
    // One source: the vendored client is integrations/python/recon_client, file for file.
    const vendored = new Map([...entries].filter(([n]) => n.startsWith('recon_maya/scripts/recon_maya/recon_client/')));
    const source = sourceFiles(CLIENT_DIR, 'recon_maya/scripts/recon_maya/recon_client');
    expect([...vendored.keys()].sort()).toEqual([...source.keys()].sort());
    for (const [n, data] of source) expect(vendored.get(n)!.equals(data), n).toBe(true);
    // The .mod as installed: the module folder beside it; MAYA_SHELF_PATH for the shelf.
    expect(entries.get('recon_maya.mod')!.toString()).toBe('+ recon_maya 0.1.0 ./recon_maya\nMAYA_SHELF_PATH +:= shelves\n');
    expect(JSON.parse(entries.get('recon_maya/scripts/recon_maya/install.json')!.toString())).toEqual({ cli: joinCommand([process.execPath, bin]), version: '0.1.0' });
    // The PNG icon is an image Maya can read.
    expect(entries.get('recon_maya/icons/faceRecon.png')!.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  });

  it('--modules-dir installs the same files, replacing an earlier install as a whole; the zip is reproducible', async () => {
    const entries = await unzip(zip);
    const installed = sourceFiles(modules, '').entries();
    const onDisk = new Map([...installed].map(([n, b]) => [n.slice(1), b]));
    expect([...onDisk.keys()].sort()).toEqual([...entries.keys()].sort());
    for (const [n, b] of entries) expect(onDisk.get(n)!.equals(b), n).toBe(true);
    // A stale file of an earlier version goes; nothing is left beside the module.
    fs.writeFileSync(path.join(modules, 'recon_maya', 'scripts', 'recon_maya', 'old_module.py'), 'x = 1\n');
    const again = await runCli(['install-addon', 'maya', '--modules-dir', modules], d.te.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Installed recon_maya 0.1.0 into ${modules} (recon_maya.mod and recon_maya/, ${entries.size} files)`);
    expect(again.stdout).toContain('Restart Maya 2022+');
    expect(again.stdout).not.toContain('Wrote '); // no zip unless asked for
    expect(fs.existsSync(path.join(modules, 'recon_maya', 'scripts', 'recon_maya', 'old_module.py'))).toBe(false);
    expect(fs.readdirSync(modules).sort()).toEqual(['recon_maya', 'recon_maya.mod']);
    const z2 = path.join(work, 'again.zip');
    const r = await runCli(['install-addon', 'maya', '-o', z2], d.te.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote .*again\.zip \(recon_maya 0\.1\.0, \d+ files, \d+ bytes\)/);
    expect(r.stdout).toContain(`Its Start Daemon menu item runs: ${joinCommand([process.execPath, bin])} start`);
    expect(r.stdout).toMatch(/unzip .*again\.zip -d .*maya\/modules/);
    expect(fs.readFileSync(z2).equals(fs.readFileSync(zip))).toBe(true);
  });

  it('refuses the other editor\'s option with a hint', async () => {
    const te = tempEnv();
    try {
      const r = await runCli(['install-addon', 'maya', '--blender', '/usr/bin/blender', '-o', path.join(te.root, 'm.zip')], te.env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('--blender is for `install-addon blender`');
      expect(fs.existsSync(path.join(te.root, 'm.zip'))).toBe(false);
      const b = await runCli(['install-addon', 'blender', '--modules-dir', te.root], te.env);
      expect(b.code).not.toBe(0);
      expect(b.stderr).toContain('--modules-dir is for `install-addon maya`');
    } finally {
      te.cleanup();
    }
  });
});
