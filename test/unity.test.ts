// The Unity package (integrations/unity) without Unity: its engine-free C# client is compiled with mono's mcs
// and driven by a test program against real daemons; its editor layer is compiled against declarations of
// the Unity API members it uses (test/unity/stubs), so a typo or a wrong signature fails here; its NUnit tests
// (Tests/) run with a tiny runner. Nothing here runs inside a Unity editor (see docs/unity.md).
//
// Needs: apt-get install mono-mcs libnewtonsoft-json-cil-dev libnunit-framework2.6.3-cil (see docs/unity.md).
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notifications as TsNotifications, Requests } from '../src/rpc/protocol.js';
import { bin, runCli, startDaemon, tempEnv, waitFor, type TestDaemon, type TestEnv } from './helpers/daemon.js';
import { casePath, repoRoot } from './helpers/paths.js';

const PKG = path.join(repoRoot, 'integrations', 'unity');
const STUBS = path.join(repoRoot, 'test', 'unity', 'stubs');
const PORTRAIT = casePath('control_obama_official_portrait.jpg');
const NO_FACE = casePath('negative_coffee.png');

function firstExisting(...candidates: Array<string | undefined>): string | undefined {
  return candidates.find((c) => c && fs.existsSync(c));
}

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const NEWTONSOFT = firstExisting(process.env.RECON_NEWTONSOFT_DLL, '/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll');
const NUNIT = firstExisting(process.env.RECON_NUNIT_DLL, '/usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll');
const missing = [
  !onPath('mcs') && 'mcs (apt-get install mono-mcs)',
  !onPath('mono') && 'mono (apt-get install mono-runtime, pulled in by mono-mcs)',
  !NEWTONSOFT && 'Newtonsoft.Json.dll (apt-get install libnewtonsoft-json-cil-dev)',
  !NUNIT && 'nunit.framework.dll (apt-get install libnunit-framework2.6.3-cil)',
].filter(Boolean) as string[];

const cs = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cs'))
    .sort()
    .map((f) => path.join(dir, f));

interface Compiled {
  code: number;
  output: string;
}

function mcs(args: string[]): Promise<Compiled> {
  return new Promise((resolve) => {
    execFile('mcs', args, { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

let out = '';
const dll = (name: string): string => path.join(out, name);

async function mustCompile(args: string[]): Promise<void> {
  const r = await mcs(args);
  if (r.code !== 0) throw new Error(`mcs ${args.join(' ')} failed:\n${r.output}`);
}

interface Run {
  code: number | null;
  /** The program's events in order; each has `event` and `ms` (since the program started). */
  events: Array<Record<string, any>>;
  stderr: string;
}

/** Runs the test program; resolves with its "@@ {json}" lines. `onEvent` sees them as they arrive. */
function program(args: string[], env: NodeJS.ProcessEnv, onEvent?: (e: Record<string, any>) => void, timeoutMs = 290_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('mono', ['--debug', dll('ClientProgram.exe'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: out });
    const events: Array<Record<string, any>> = [];
    let stderr = '';
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line.startsWith('@@ ')) continue;
        const e = JSON.parse(line.slice(3));
        events.push(e);
        onEvent?.(e);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, events, stderr });
    });
  });
}

const one = (r: Run, event: string): Record<string, any> => {
  const found = r.events.filter((e) => e.event === event);
  if (found.length !== 1) throw new Error(`expected one "${event}" event, got ${found.length}:\n${JSON.stringify(r.events, null, 1)}\n${r.stderr}`);
  return found[0];
};

const ok = (r: Run): void => {
  if (r.code !== 0 || r.events.at(-1)?.event !== 'done') {
    throw new Error(`the test program failed (exit ${r.code}):\n${r.events.map((e) => JSON.stringify(e)).join('\n')}\n${r.stderr}`);
  }
};

describe('Unity package', () => {
  beforeAll(async () => {
    // Without mono nothing below can run: fail loudly, naming what to install (never skip).
    if (missing.length) throw new Error(`Missing: ${missing.join(', ')}. See docs/unity.md ("Tests").`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-unity-build-'));
    // The Unity declarations, as two assemblies like Unity's own.
    await mustCompile(['-target:library', '-nowarn:67', `-out:${dll('UnityEngine.dll')}`, path.join(STUBS, 'UnityEngine.cs')]);
    await mustCompile(['-target:library', '-nowarn:67', `-r:${dll('UnityEngine.dll')}`, `-out:${dll('UnityEditor.dll')}`, path.join(STUBS, 'UnityEditor.cs')]);
    // The engine-free client: no Unity assembly on the command line at all.
    await mustCompile(['-target:library', '-warn:4', '-warnaserror+', `-r:${NEWTONSOFT}`, '-r:System.Core.dll', `-out:${dll('ReconDaemon.Client.dll')}`, ...cs(path.join(PKG, 'Runtime'))]);
    await mustCompile(['-warn:4', '-warnaserror+', `-r:${NEWTONSOFT}`, '-r:System.Core.dll', `-r:${dll('ReconDaemon.Client.dll')}`, `-out:${dll('ClientProgram.exe')}`, path.join(repoRoot, 'test', 'unity', 'ClientProgram.cs')]);
    await mustCompile(['-target:library', '-warn:4', '-warnaserror+', `-r:${NEWTONSOFT}`, `-r:${NUNIT}`, '-r:System.Core.dll', `-r:${dll('ReconDaemon.Client.dll')}`, `-out:${dll('ReconDaemon.Client.Tests.dll')}`, ...cs(path.join(PKG, 'Tests', 'Editor'))]);
    await mustCompile([`-r:${NUNIT}`, '-r:System.Core.dll', `-out:${dll('NUnitRunner.exe')}`, path.join(repoRoot, 'test', 'unity', 'NUnitRunner.cs')]);
    for (const f of [NEWTONSOFT!, NUNIT!]) fs.copyFileSync(f, path.join(out, path.basename(f)));
  }, 300_000);

  afterAll(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  const editorArgs = (defines: string[], sources: string[]): string[] => [
    '-target:library',
    '-warn:4',
    '-warnaserror+',
    ...defines.map((d) => `-define:${d}`),
    `-r:${NEWTONSOFT}`,
    '-r:System.Core.dll',
    `-r:${dll('UnityEngine.dll')}`,
    `-r:${dll('UnityEditor.dll')}`,
    `-r:${dll('ReconDaemon.Client.dll')}`,
    `-out:${dll(`ReconDaemon.Editor${defines.join('')}.dll`)}`,
    ...sources,
  ];

  describe('package layout', () => {
    it('is a UPM package for Unity 2021.3 that depends on com.unity.nuget.newtonsoft-json', () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
      expect(pkg.name).toMatch(/^com\.[a-z0-9-]+\.[a-z0-9.-]+$/);
      expect(pkg.name).toBe('com.recondaemon.facerecon');
      expect(pkg.unity).toBe('2021.3');
      expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(Object.keys(pkg.dependencies)).toEqual(['com.unity.nuget.newtonsoft-json']);
      for (const f of ['CHANGELOG.md', 'Documentation~/index.md', 'Runtime', 'Editor', 'Tests/Editor']) expect(fs.existsSync(path.join(PKG, f)), f).toBe(true);
      expect(fs.readFileSync(path.join(PKG, 'CHANGELOG.md'), 'utf8')).toContain(`## [${pkg.version}]`);
    });

    it('keeps the client engine-free and the editor layer editor-only (asmdefs)', () => {
      const runtime = JSON.parse(fs.readFileSync(path.join(PKG, 'Runtime', 'ReconDaemon.Client.asmdef'), 'utf8'));
      const editor = JSON.parse(fs.readFileSync(path.join(PKG, 'Editor', 'ReconDaemon.Editor.asmdef'), 'utf8'));
      const tests = JSON.parse(fs.readFileSync(path.join(PKG, 'Tests', 'Editor', 'ReconDaemon.Client.Tests.asmdef'), 'utf8'));
      expect(runtime.noEngineReferences).toBe(true);
      expect(runtime.precompiledReferences).toEqual(['Newtonsoft.Json.dll']);
      expect(editor.includePlatforms).toEqual(['Editor']);
      expect(editor.references).toEqual([runtime.name]);
      expect(editor.versionDefines.map((v: { name: string; define: string }) => [v.name, v.define])).toEqual([
        ['com.unity.cloud.gltfast', 'RECON_GLTFAST'],
        ['com.atteneder.gltfast', 'RECON_GLTFAST'],
      ]);
      expect(tests.includePlatforms).toEqual(['Editor']);
      expect(tests.defineConstraints).toEqual(['UNITY_INCLUDE_TESTS']);
      expect(tests.references).toContain(runtime.name);
      // No Unity namespace in code (comments may name them): the build above also has no Unity assembly to find.
      for (const f of cs(path.join(PKG, 'Runtime'))) {
        const code = fs.readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '');
        expect(code, path.basename(f)).not.toMatch(/\bUnity(Engine|Editor)\b/);
      }
      // Every .cs file is inside an assembly definition's folder (Unity compiles it into that assembly).
      for (const dir of ['Runtime', 'Editor', 'Tests/Editor']) expect(fs.readdirSync(path.join(PKG, dir)).some((f) => f.endsWith('.asmdef')), dir).toBe(true);
    });

    it('ships a .meta with a unique GUID for every asset (Unity ignores assets without one in a git-installed package)', () => {
      const check = (() => {
        try {
          return { code: 0, out: execFileSync(process.execPath, [path.join(repoRoot, 'test', 'unity', 'make-meta.mjs'), '--check'], { encoding: 'utf8' }) };
        } catch (e) {
          const err = e as { status: number; stdout: string };
          return { code: err.status, out: err.stdout };
        }
      })();
      expect(check.out, 'run `node test/unity/make-meta.mjs`').toBe('');
      expect(check.code).toBe(0);
      const metas = execFileSync('find', [PKG, '-name', '*.meta', '-not', '-path', '*~*'], { encoding: 'utf8' }).trim().split('\n');
      const guids = metas.map((m) => /^guid: ([0-9a-f]{32})$/m.exec(fs.readFileSync(m, 'utf8'))?.[1]);
      expect(guids.every(Boolean)).toBe(true);
      expect(new Set(guids).size).toBe(guids.length);
      expect(metas.length).toBeGreaterThan(25);
    });

    it('names only methods and notifications that src/rpc/protocol.ts declares', () => {
      const src = fs.readFileSync(path.join(PKG, 'Runtime', 'Protocol.cs'), 'utf8');
      const block = (cls: string): string[] => {
        const body = src.slice(src.indexOf(`public static class ${cls}`));
        const end = body.indexOf('\n    }');
        return [...body.slice(0, end).matchAll(/public const string \w+ = "([^"]+)";/g)].map((m) => m[1]).filter((m) => m !== '1.0');
      };
      const csMethods = block('Methods');
      // Every method the C# client can call exists (typo or rename → fails); plugin commands arrived with the
      // plugin host, so a protocol without them is tolerated.
      for (const m of csMethods) {
        if (m.startsWith('commands.') && !('commands.list' in Requests)) continue;
        expect(Object.keys(Requests), `${m} is not in protocol.ts`).toContain(m);
      }
      for (const m of ['initialize', 'recon.reconstruct', 'job.cancel', 'jobs.list', 'result.read', 'events.subscribe', 'daemon.status', 'ping']) expect(csMethods).toContain(m);
      expect(src).toContain(`ProtocolVersion = "1.0"`);
      for (const n of block('Notifications')) {
        if (n === 'window.showMessage' && !('window.showMessage' in TsNotifications)) continue;
        if (n === 'watch.result' && !('watch.result' in TsNotifications)) continue;
        expect(Object.keys(TsNotifications), `${n} is not in protocol.ts`).toContain(n);
      }
      for (const n of ['job.progress', 'job.completed', 'job.failed', 'daemon.shuttingDown']) expect(block('Notifications')).toContain(n);
    });
  });

  describe('editor layer against the Unity declarations', () => {
    it('compiles without glTFast and with it (RECON_GLTFAST from versionDefines), warnings as errors', async () => {
      const sources = cs(path.join(PKG, 'Editor'));
      for (const defines of [[], ['RECON_GLTFAST']]) {
        const r = await mcs(editorArgs(defines, sources));
        expect(r.output, r.output).not.toMatch(/error CS/);
        expect(r.code).toBe(0);
      }
    });

    it('fails to compile when the editor layer misspells a Unity member or passes wrong arguments', async () => {
      const dir = fs.mkdtempSync(path.join(out, 'broken-'));
      const flow = fs.readFileSync(path.join(PKG, 'Editor', 'ReconstructFlow.cs'), 'utf8');
      const mutants: Array<[string, string, RegExp]> = [
        ['EditorUtility.DisplayCancelableProgressBar(', 'EditorUtility.DisplayCancellableProgressBar(', /CS0117/],
        ['EditorUtility.OpenFilePanel("Reconstruct a face from a photo", folder, PhotoExtensions)', 'EditorUtility.OpenFilePanel("Reconstruct a face from a photo", folder)', /CS1501/],
        ['(float)job.Fraction) && !job.CancelRequested', 'job.Fraction) && !job.CancelRequested', /CS1502|CS1503/],
      ];
      for (const [from, to, code] of mutants) {
        expect(flow).toContain(from);
        fs.writeFileSync(path.join(dir, 'ReconstructFlow.cs'), flow.replace(from, to));
        const sources = cs(path.join(PKG, 'Editor')).map((f) => (path.basename(f) === 'ReconstructFlow.cs' ? path.join(dir, 'ReconstructFlow.cs') : f));
        const r = await mcs(editorArgs([], sources));
        expect(r.code, to).not.toBe(0);
        expect(r.output).toMatch(code);
      }
    });

    it('declares only Unity members the editor layer uses', () => {
      const editorSource = cs(path.join(PKG, 'Editor'))
        .map((f) => fs.readFileSync(f, 'utf8'))
        .join('\n');
      const unused: string[] = [];
      for (const f of cs(STUBS)) {
        const text = fs.readFileSync(f, 'utf8').replace(/public enum \w+\s*\{[^}]*\}/g, '');
        for (const m of text.matchAll(/public (?:static |sealed |abstract |override |delegate |event |implicit |new )*[\w.<>[\], ]+? (\w+)\s*(?:<\w+>)?\s*[({;]/g)) {
          const name = m[1];
          if (['Equals', 'GetHashCode', 'operator', 'x', 'y', 'z'].includes(name)) continue;
          if (new RegExp(`(class|struct|delegate void) ${name}\\b`).test(text)) continue; // constructors, type names
          if (!new RegExp(`\\b${name}\\b`).test(editorSource)) unused.push(`${path.basename(f)}: ${name}`);
        }
      }
      expect(unused).toEqual([]);
    });
  });

  it("passes the package's own NUnit tests (Tests/Editor, a scripted in-memory daemon)", async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile('mono', ['--debug', dll('NUnitRunner.exe'), dll('ReconDaemon.Client.Tests.dll')], { cwd: out, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(r.stdout, r.stdout + r.stderr).toMatch(/^\d+ passed, 0 failed$/m);
    expect(Number(/^(\d+) passed/m.exec(r.stdout)![1])).toBeGreaterThanOrEqual(19);
    expect(r.code).toBe(0);
  });

  describe('the client against a real daemon', () => {
    let d: TestDaemon;
    let dest: string;

    beforeAll(async () => {
      // The sample plugin gives commands.list something to list (the variable is ignored by daemons without plugins).
      const te = tempEnv();
      te.env.RECON_DAEMON_PLUGIN_DIRS = path.join(repoRoot, 'examples', 'sample-plugin');
      d = await startDaemon([], te);
      dest = fs.mkdtempSync(path.join(out, 'outputs-'));
    }, 300_000);

    afterAll(async () => {
      await d?.stop();
      d?.te.cleanup();
    });

    it('finds the daemon through its discovery file, reconstructs a photo with progress and completion, and copies the outputs', async () => {
      const r = await program(['reconstruct', PORTRAIT, dest], d.te.env);
      ok(r);
      const connected = one(r, 'connected');
      expect(connected).toMatchObject({ serverName: 'recon-daemon', protocolVersion: '1.0', url: d.info.url, loopback: true });
      expect(connected.clientId).toMatch(/^c-[0-9a-f]{12}$/);

      const completed = one(r, 'completed');
      const progress = r.events.filter((e) => e.event === 'progress' && e.jobId === completed.jobId);
      expect(progress.map((p) => p.stage).slice(0, 3)).toEqual(['queued', 'started', 'decode']);
      expect(progress.at(-1)).toMatchObject({ stage: 'done', fraction: 1 });
      for (let i = 1; i < progress.length; i++) expect(progress[i].fraction).toBeGreaterThanOrEqual(progress[i - 1].fraction);
      expect(r.events.indexOf(progress.at(-1)!)).toBeLessThan(r.events.indexOf(completed));
      expect(completed.jobIdSeen).toBe(completed.jobId);
      expect(completed.dir).toBe(path.join(d.info.outputRoot, completed.jobId));
      expect(completed).toMatchObject({ verdict: 'pass', faces: 1, reconstructed: [0] });
      expect(Math.abs(completed.pose.yaw)).toBeLessThan(20);
      expect(Object.keys(completed.files).sort()).toEqual([
        'crop', 'depth', 'front-depth', 'front-mask', 'front-normal', 'front-structure', 'glb', 'mask', 'mtl', 'normal', 'obj',
        'overlay', 'result', 'structure', 'texture', 'textureNormal', 'textureVisibility',
      ]);

      const copied = one(r, 'copied');
      expect(copied.sameAsResultRead).toBe(true);
      for (const [kind, file] of Object.entries(completed.files as Record<string, string>)) {
        expect(copied.sizes[kind], kind).toBe(fs.statSync(file).size);
        expect(fs.readFileSync(path.join(copied.dir, path.basename(file))).equals(fs.readFileSync(file)), kind).toBe(true);
      }

      // The quad's geometry, from result.json's alignment: S·k metres, centred at mesh (0, −0.1·S·k).
      const plane = one(r, 'plane');
      const k = 0.063 / (0.28 * 256);
      expect(plane.size).toBe(256);
      expect(plane.metresPerPixel).toBeCloseTo(k, 12);
      expect(plane.formulaMetresPerPixel).toBeCloseTo(k, 12);
      expect(plane.side).toBeCloseTo(0.225, 9);
      expect(plane.centreMesh[0]).toBeCloseTo(0, 9);
      expect(plane.centreMesh[1]).toBeCloseTo(-0.0225, 9);
      expect(plane.centreUnity[2]).toBeLessThan(0);
      expect(plane.yaw).toBe(180);
      expect(plane.tmpFilesLeft).toBe(0);
      // The quad shows the map in the mesh's view: the front view under the default head-frame mesh.
      expect(plane).toMatchObject({ reference: 'front-structure.png', referenceCamera: 'front-structure.png', meshView: 'front' });
      expect(plane.headPoseYaw).toBe(completed.pose.yaw);
      // With view "camera" the mesh is the camera's and the quad shows structure.png, whatever the preference.
      expect(one(r, 'cameraView')).toMatchObject({ reference: 'structure.png', meshView: 'camera', vertices: 468, files: ['front-structure', 'glb', 'result', 'structure'] });

      const bytes = one(r, 'completedBytes');
      expect(bytes).toMatchObject({ source: 'upload', size: 128, faces: 1 });
      expect(bytes.side).toBeCloseTo(0.225, 9);
      expect(Object.keys(bytes.files).sort()).toEqual(['result', 'structure']);
      expect(one(r, 'jobs').ids).toEqual(expect.arrayContaining([completed.jobId, bytes.jobId]));
      expect(one(r, 'closed').state).toBe('Closed');
    });

    it('gets the typed NO_FACE error with its hint for a photo without a face', async () => {
      const r = await program(['noface', NO_FACE], d.te.env);
      ok(r);
      const failed = one(r, 'failed');
      expect(failed).toMatchObject({
        type: 'ReconDaemonException',
        code: -32803,
        dataCode: 'NO_FACE',
        message: 'No face found in negative_coffee.png',
        isCancellation: false,
        isClientSide: false,
      });
      expect(failed.hint).toMatch(/face/);
      expect(one(r, 'resultJson').error).toMatchObject({ code: 'NO_FACE' });
      expect(one(r, 'missing')).toMatchObject({ code: -32803, dataCode: 'FILE_NOT_FOUND' });
      expect(one(r, 'invalid')).toMatchObject({
        code: -32602,
        dataCode: 'INVALID_PARAMS',
        message: 'Invalid params for recon.reconstruct: Expected integer 128–1024 for options.size but received 2000',
      });
    });

    it('cancels queued jobs right after submitting them, and a running job through its CancellationToken', async () => {
      const r = await program(['cancel', PORTRAIT], d.te.env);
      ok(r);
      const ids = one(r, 'submitted').ids as string[];
      const cancels = r.events.filter((e) => e.event === 'cancelResult').map(({ ms, ...e }) => e);
      expect(cancels).toEqual([
        { jobId: ids[1], cancelled: true, state: 'cancelled', event: 'cancelResult' },
        { jobId: ids[2], cancelled: true, state: 'cancelled', event: 'cancelResult' },
      ]);
      const outcomes = r.events.filter((e) => e.event === 'outcome');
      expect(outcomes[0]).toMatchObject({ index: 0, ok: true });
      expect(outcomes[0].stages.at(-1)).toBe('done');
      for (const o of outcomes.slice(1)) {
        expect(o).toMatchObject({ ok: false, code: -32800, dataCode: 'REQUEST_CANCELLED', isCancellation: true, stages: ['queued'] });
      }
      expect(one(r, 'cancelAgain')).toMatchObject({ cancelled: false, state: 'cancelled' });
      const running = one(r, 'runningCancel');
      expect(running).toMatchObject({ ok: false, code: -32800, dataCode: 'REQUEST_CANCELLED', isCancellation: true });
      expect(running.stages).toContain('started');
      expect(running.stages).not.toContain('done');
      expect(one(r, 'cancelUnknown')).toMatchObject({ code: -32004, dataCode: 'JOB_NOT_FOUND' });
    });

    it('reports connection failures with the daemon\'s own code and a hint (wrong token, nothing listening, not running, closed)', async () => {
      const r = await program(['errors'], d.te.env);
      ok(r);
      expect(one(r, 'discovered')).toMatchObject({ url: d.info.url, hasToken: true });
      expect(one(r, 'badToken')).toMatchObject({ code: -32003, dataCode: 'UNAUTHORIZED', message: "The token does not match this daemon's token" });
      expect(one(r, 'nothingListening')).toMatchObject({ code: 0, dataCode: 'CONNECTION_FAILED', isClientSide: true });
      const notRunning = one(r, 'notRunning');
      expect(notRunning).toMatchObject({ dataCode: 'DAEMON_NOT_RUNNING', isClientSide: true });
      expect(notRunning.hint).toContain('recon-daemon start');
      expect(one(r, 'afterClose')).toMatchObject({ dataCode: 'CONNECTION_CLOSED' });
    });

    it('reconnects with backoff after the socket drops and still delivers the job that was running', async () => {
      const r = await program(['drop', PORTRAIT], d.te.env);
      ok(r);
      const killed = one(r, 'killed');
      const done = one(r, 'completedAfterDrop');
      expect(done.jobId).toBe(killed.jobId);
      expect(done).toMatchObject({ faces: 1, verdict: 'pass' });
      expect(done.secondClientId).not.toBe(done.firstClientId);
      const states = r.events.filter((e) => e.event === 'state').map((e) => e.state);
      expect(states.slice(0, 6)).toEqual(['Connecting', 'Connected', 'Disconnected', 'Reconnecting', 'Connecting', 'Connected']);
      expect(r.events.filter((e) => e.event === 'reconnectScheduled').length).toBeGreaterThanOrEqual(1);
      expect(one(r, 'ping').time).toBeGreaterThan(0);
      expect(one(r, 'ping2')).toMatchObject({ transports: 3 });
    });

    it('lists the plugin commands and runs one (commands.list, commands.execute, window.showMessage)', async () => {
      const r = await program(['commands'], d.te.env);
      ok(r);
      if (!('commands.list' in Requests)) {
        expect(one(r, 'commandsError')).toMatchObject({ code: -32601, dataCode: 'METHOD_NOT_FOUND' });
        return;
      }
      const list = one(r, 'commands').commands as Array<{ command: string; title: string; plugin: string }>;
      expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ command: 'sample.hello', title: 'Sample: Say hello', plugin: 'sample-plugin' })]));
      const executed = one(r, 'executed');
      expect(executed.result).toMatchObject({ greeting: 'Hello, Unity!' });
      expect(executed.messages).toEqual(expect.arrayContaining([expect.objectContaining({ plugin: 'sample-plugin', message: 'Hello, Unity!' })]));
      expect(one(r, 'unknownCommand').code).toBeLessThan(0);
    });

    // Last: it replaces the daemon.
    it('finds a restarted daemon on its new port through the discovery file and reconnects', async () => {
      let ready: (e: Record<string, any>) => void;
      const readyP = new Promise<Record<string, any>>((r) => (ready = r));
      const running = program(['restart'], d.te.env, (e) => e.event === 'ready' && ready(e));
      const first = await readyP;
      expect(first.url).toBe(d.info.url);
      await d.stop();
      d = await startDaemon([], d.te);
      const r = await running;
      ok(r);
      const again = one(r, 'reconnected');
      expect(again.state).toBe('Connected');
      expect(again.url).toBe(d.info.url);
      expect(again.pid).toBe(d.child.pid);
      expect(again.url).not.toBe(first.url);
      expect(again.sawShutdown).toBe(true);
      expect(one(r, 'ping').time).toBeGreaterThan(0);
    }, 300_000);
  });

  describe('auto-start', () => {
    let te: TestEnv;
    afterAll(async () => {
      if (te) {
        await runCli(['stop'], te.env);
        te.cleanup();
      }
    });

    it('starts the daemon with the start command when none runs, then connects', async () => {
      te = tempEnv();
      const command = `'${process.execPath}' '${bin}' start --port 0 --workers 1`;
      const r = await program(['autostart', command], te.env);
      ok(r);
      expect(one(r, 'before').running).toBe(false);
      const started = one(r, 'started');
      expect(started.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
      expect(one(r, 'status')).toMatchObject({ pid: started.pid, url: started.url });
      expect(one(r, 'badCommand')).toMatchObject({ dataCode: 'DAEMON_START_FAILED' });
      expect(one(r, 'badCommand').message).toContain('exit code 7');
      one(r, 'shutdownRequested');
      await waitFor('the auto-started daemon to stop', () => !fs.existsSync(te.paths.discoveryFile), 30_000);
    }, 300_000);
  });
});
