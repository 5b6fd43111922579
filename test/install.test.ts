// Installing recon-daemon as a new user would, from a clean copy of the repository (the files git tracks or
// would track, nothing built): `npm ci` offline builds everything including the page and prints no npm
// warnings; `npx recon-daemon` prints none either; `npm pack` + `npm install -g --ignore-scripts <tgz>` and
// `npm link` give a working `recon-daemon` command whose daemon serves the page (docs/install.md).
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casePath, repoRoot } from './helpers/paths.js';
import { tempEnv, type TestEnv } from './helpers/daemon.js';

let tmp: string;
let clone: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, e: NodeJS.ProcessEnv = env, timeoutMs = 480_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: e, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-install-'));
  clone = path.join(tmp, 'recon-daemon');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && fs.existsSync(path.join(repoRoot, f)) && fs.statSync(path.join(repoRoot, f)).isFile());
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, f), path.join(clone, f));
  }
  // A user's shell: none of the npm_* variables `npm test` sets, and no ONNXRUNTIME_NODE_INSTALL (.ci/run's
  // fallback for old npm), so package.json alone must keep onnxruntime-node from downloading.
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'ONNXRUNTIME_NODE_INSTALL' && !k.startsWith('RECON_DAEMON_')));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// npm ci, pack and a global install each take a minute or more, longer while other test files run.
const SLOW = 600_000;

describe('from a clean copy of the repository', () => {
  it('npm ci works (without the network but the registry), builds the CLI and the page, and npm warns about nothing', async () => {
    // --prefer-offline: from the npm cache where it can (the registry is the only network CI has).
    const r = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], clone);
    expect(r.code, r.stderr).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all).not.toMatch(/Unknown (project|user|env|cli) config/);
    expect(all).not.toMatch(/install-scripts|npm warn/i);
    for (const f of ['dist/cli/index.js', 'dist/web/index.html', 'dist/web/app.js', 'dist/web/app.css']) expect(fs.existsSync(path.join(clone, f)), f).toBe(true);
    // onnxruntime-node's postinstall (a CUDA download from NuGet) did not run.
    const ortBin = path.join(clone, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
    if (process.platform === 'linux' && process.arch === 'x64') expect(fs.readdirSync(ortBin).filter((f) => /cuda|tensorrt/.test(f))).toEqual([]);
  }, SLOW);

  it('npx recon-daemon prints no npm warning', async () => {
    const r = await run('npx', ['recon-daemon', '--version'], clone);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
    expect(r.stderr).toBe('');
  }, SLOW);

  it('npm pack + npm install -g --ignore-scripts <tgz> gives a working recon-daemon with its page', async () => {
    const pack = await run('npm', ['pack', '--pack-destination', tmp, '--json'], clone);
    expect(pack.code, pack.stderr).toBe(0);
    const info = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const packed = info[0].files.map((f) => f.path);
    expect(packed).toEqual(expect.arrayContaining(['bin/recon-daemon.js', 'dist/cli/index.js', 'dist/web/index.html', 'dist/web/app.js', 'docs/install.md']));
    expect(packed.filter((p) => p.startsWith('web/') || p.startsWith('test/'))).toEqual([]);

    const prefix = path.join(tmp, 'global');
    const inst = await run('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, info[0].filename)], tmp);
    expect(inst.code, inst.stderr).toBe(0);
    expect(inst.stderr).not.toMatch(/npm warn/i);
    await usable(path.join(prefix, 'bin', 'recon-daemon'));
  }, SLOW);

  it('npm link from the copy gives a working recon-daemon', async () => {
    const prefix = path.join(tmp, 'linked');
    // The global prefix from the environment: `--prefix` on the command line would also move the project folder.
    const r = await run('npm', ['link', '--prefer-offline', '--no-audit', '--no-fund'], clone, { ...env, npm_config_prefix: prefix });
    expect(r.code, r.stderr).toBe(0);
    const bin = path.join(prefix, 'bin', 'recon-daemon');
    expect(fs.realpathSync(bin)).toBe(path.join(fs.realpathSync(clone), 'bin', 'recon-daemon.js'));
    const v = await run(bin, ['--version'], tmp);
    expect(v.stdout.trim()).toBe('0.1.0');
  }, SLOW);
});

/** The installed command reconstructs a photo and its daemon serves the page after `open`. */
async function usable(bin: string): Promise<void> {
  const te: TestEnv = tempEnv();
  const e = { ...te.env, ...Object.fromEntries(Object.entries(env).filter(([k]) => k === 'PATH')) };
  try {
    const v = await run(bin, ['--version'], te.root, e);
    expect(v.stdout.trim()).toBe('0.1.0');
    const out = path.join(te.root, 'out');
    const r = await run(bin, ['reconstruct', casePath('astronaut_eileen_collins.png'), '-o', out], te.root, e);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pass .*astronaut_eileen_collins\.png: 1 face/m);
    const open = await run(bin, ['open', '--no-browser', '--port', '0', '--workers', '1'], te.root, e);
    expect(open.code, open.stderr).toBe(0);
    const url = /(http:\/\/\S+\?token=\S+)/.exec(open.stdout)![1];
    const login = await fetch(url, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const page = await fetch(new URL('/app.js', url), { headers: { Cookie: login.headers.get('set-cookie')!.split(';')[0] } });
    expect(page.status).toBe(200);
    expect((await page.text()).length).toBeGreaterThan(100_000);
  } finally {
    await run(bin, ['stop'], te.root, e);
    te.cleanup();
  }
}
