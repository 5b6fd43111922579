// The daemon's building blocks in process: config precedence, file locations, the token, the upgrade guard,
// and result.read's path check.
import type { IncomingMessage } from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PORT, resolveConfig } from '../src/server/config.js';
import { claimPidFile, AlreadyRunningError } from '../src/server/discovery.js';
import { checkUpgrade, type GuardOptions } from '../src/server/guard.js';
import { daemonPaths } from '../src/server/paths.js';
import { readJobFile } from '../src/server/result-files.js';
import { ensureToken, tokensEqual } from '../src/server/token.js';

const tmp: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-daemon-unit-'));
  tmp.push(d);
  return d;
}
afterEach(() => {
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('file locations', () => {
  it('follow XDG variables, then HOME', () => {
    const p = daemonPaths({ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/1', XDG_CONFIG_HOME: '/cfg' });
    expect(p).toMatchObject({
      tokenFile: '/cfg/recon-daemon/token',
      configFile: '/cfg/recon-daemon/config.json',
      pidFile: '/run/user/1/recon-daemon/daemon.pid',
      discoveryFile: '/run/user/1/recon-daemon/daemon.json',
      logFile: '/h/.local/state/recon-daemon/daemon.log',
      defaultOutputRoot: '/h/.local/share/recon-daemon/jobs',
    });
    // No runtime dir: pid and discovery files live in the config dir; relative XDG values are ignored.
    const q = daemonPaths({ HOME: '/h', XDG_CONFIG_HOME: 'relative' });
    expect(q.discoveryFile).toBe('/h/.config/recon-daemon/daemon.json');
  });
});

describe('config precedence', () => {
  function setup(file: object | string) {
    const home = tempDir();
    const env = { HOME: home };
    const { configFile } = daemonPaths(env);
    fs.mkdirSync(path.dirname(configFile), { recursive: true });
    fs.writeFileSync(configFile, typeof file === 'string' ? file : JSON.stringify(file));
    return env;
  }

  it('takes flags over env over config.json over defaults', () => {
    const env = setup({ port: 1111, workers: 3, maxQueue: 7 });
    expect(resolveConfig({}, env).settings).toMatchObject({ port: 1111, workers: 3, maxQueue: 7, host: '127.0.0.1' });
    expect(resolveConfig({}, { ...env, RECON_DAEMON_PORT: '2222' }).settings.port).toBe(2222);
    expect(resolveConfig({ port: 3333, workers: undefined }, { ...env, RECON_DAEMON_PORT: '2222' }).settings).toMatchObject({ port: 3333, workers: 3 });
    expect(resolveConfig({}, { HOME: tempDir() }).settings.port).toBe(DEFAULT_PORT);
  });

  it('names the source of a bad value', () => {
    const env = setup({ workers: 0 });
    expect(() => resolveConfig({}, env)).toThrow('Expected integer 1–64 for workers but received 0 (in ');
    expect(() => resolveConfig({ maxQueue: -1 }, { HOME: tempDir() })).toThrow('Expected integer 0–100000 for maxQueue but received -1 (from --max-queue)');
    expect(() => resolveConfig({}, { ...setup({ colour: 'red' }) })).toThrow('Unknown field colour');
    expect(() => resolveConfig({}, setup('{oops'))).toThrow(ConfigError);
  });

  it('allows a non-loopback host only with allowLan', () => {
    const home = { HOME: tempDir() };
    expect(() => resolveConfig({ host: '0.0.0.0' }, home)).toThrow('Refusing to listen on 0.0.0.0');
    expect(resolveConfig({ host: '0.0.0.0', allowLan: true }, home).settings.host).toBe('0.0.0.0');
    expect(resolveConfig({ host: '::1' }, home).settings.host).toBe('::1');
  });
});

describe('token', () => {
  it('is 256 random bits in a 0600 file, kept across starts', () => {
    const file = path.join(tempDir(), 'cfg', 'token');
    const t = ensureToken(file);
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureToken(file)).toBe(t);
    fs.chmodSync(file, 0o644);
    ensureToken(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(tokensEqual(t, t)).toBe(true);
    expect(tokensEqual(t.slice(1), t)).toBe(false);
  });
});

describe('pid file', () => {
  it('is claimed exclusively; a live owner blocks, a dead one does not', () => {
    const file = path.join(tempDir(), 'daemon.pid');
    // This test process's command line names vitest, not recon-daemon, so claim as "another" live daemon-less pid.
    const release = claimPidFile(file, 4_000_000);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('4000000');
    // 4000000 is not a live process: a new claim replaces it.
    const release2 = claimPidFile(file, process.pid);
    release(); // not ours any more: must not remove it
    expect(fs.existsSync(file)).toBe(true);
    release2();
    expect(fs.existsSync(file)).toBe(false);
    expect(AlreadyRunningError).toBeDefined();
  });
});

describe('upgrade guard', () => {
  const o: GuardOptions = { token: 'a'.repeat(64), host: '127.0.0.1', port: () => 47613, allowedOrigins: ['https://tools.example'] };
  const req = (headers: Record<string, string>) => ({ headers: { host: '127.0.0.1:47613', ...headers } }) as unknown as IncomingMessage;
  const auth = { authorization: `Bearer ${'a'.repeat(64)}` };
  const verdict = (h: Record<string, string>) => {
    const v = checkUpgrade(req(h), o);
    return v.ok ? 'ok' : `${v.status} ${v.error.data.code}`;
  };

  it('needs the bearer token', () => {
    expect(verdict(auth)).toBe('ok');
    expect(verdict({ authorization: `bearer  ${'a'.repeat(64)}` })).toBe('ok');
    expect(verdict({})).toBe('401 UNAUTHORIZED');
    expect(verdict({ authorization: 'Basic abc' })).toBe('401 UNAUTHORIZED');
    expect(verdict({ authorization: `Bearer ${'b'.repeat(64)}` })).toBe('401 UNAUTHORIZED');
  });

  it('refuses browser origins not on the allowlist', () => {
    expect(verdict({ ...auth, origin: 'https://evil.example' })).toBe('403 ORIGIN_NOT_ALLOWED');
    expect(verdict({ ...auth, origin: 'null' })).toBe('403 ORIGIN_NOT_ALLOWED');
    expect(verdict({ ...auth, origin: 'https://tools.example' })).toBe('ok');
    expect(verdict({ ...auth, origin: 'http://localhost:47613' })).toBe('ok');
  });

  it('refuses Host names other than the loopback addresses (DNS rebinding)', () => {
    expect(verdict({ ...auth, host: 'localhost:47613' })).toBe('ok');
    expect(verdict({ ...auth, host: '[::1]:47613' })).toBe('ok');
    expect(verdict({ ...auth, host: 'evil.example:47613' })).toBe('403 HOST_NOT_ALLOWED');
    expect(verdict({ ...auth, host: '192.168.1.10:47613' })).toBe('403 HOST_NOT_ALLOWED');
    const lan = { ...o, host: '0.0.0.0' };
    expect(checkUpgrade(req({ ...auth, host: '192.168.1.10:47613' }), lan).ok).toBe(true);
    expect(checkUpgrade(req({ ...auth, host: 'evil.example:47613' }), lan).ok).toBe(false);
  });
});

describe('result.read path check', () => {
  it('allows files inside the job folder only', async () => {
    const root = tempDir();
    const dir = path.join(root, 'job1');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'result.json'), '{}');
    fs.writeFileSync(path.join(dir, 'sub', 'a.png'), 'x');
    fs.writeFileSync(path.join(root, 'secret'), 's');
    fs.symlinkSync(path.join(root, 'secret'), path.join(dir, 'link'));
    const admit = () => undefined;
    expect((await readJobFile(root, 'job1', 'result.json', 100, admit)).size).toBe(2);
    expect((await readJobFile(root, 'job1', 'sub/a.png', 100, admit)).bytes.toString()).toBe('x');
    for (const bad of ['../secret', '/etc/passwd', 'C:/secret', 'sub/../../secret', 'link', 'sub', 'sub\\..\\..\\secret', 'missing.png']) {
      await expect(readJobFile(root, 'job1', bad, 100, admit)).rejects.toMatchObject({ code: -32005, data: { code: 'PATH_NOT_ALLOWED' } });
    }
    await expect(readJobFile(root, 'job1', 'result.json', 1, admit)).rejects.toMatchObject({ data: { code: 'FILE_TOO_LARGE' } });
    await expect(readJobFile(root, 'nojob', 'result.json', 100, admit)).rejects.toMatchObject({ data: { code: 'JOB_NOT_FOUND' } });
    // A link planted in the output root in place of a job folder is not a job folder.
    fs.symlinkSync(root, path.join(root, 'planted'));
    await expect(readJobFile(root, 'planted', 'secret', 100, admit)).rejects.toMatchObject({ data: { code: 'PATH_NOT_ALLOWED' } });
    // admit() is asked with the size before any byte is read, and may refuse.
    await expect(
      readJobFile(root, 'job1', 'result.json', 100, (n) => {
        throw new Error(`no room for ${n}`);
      }),
    ).rejects.toThrow('no room for 2');
  });
});
