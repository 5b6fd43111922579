// Plugin manifests, engine ranges and discovery, in process (no daemon).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION } from '../src/plugins/api-version.js';
import { activationEventsOf, checkManifest, readManifest } from '../src/plugins/manifest.js';
import { pluginFolders, scanRoots } from '../src/plugins/scan.js';
import { isValidRange, satisfies } from '../src/plugins/semver.js';
import { repoRoot } from './helpers/paths.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'plugins');
const tmp: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-plugins-unit-'));
  tmp.push(d);
  return d;
}
afterEach(() => {
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function pluginDir(files: Record<string, string> = { 'index.js': 'exports.activate = () => {};' }): string {
  const d = tempDir();
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, name), text);
  return d;
}

const good = {
  name: 'good-plugin',
  version: '1.2.3',
  main: 'index.js',
  engines: { 'recon-daemon': '^1.0.0' },
  activationEvents: ['onStartup', 'onCommand:good.run'],
  contributes: { commands: [{ command: 'good.run', title: 'Run' }], exporters: [{ id: 'good.csv', title: 'CSV', extension: '.csv' }] },
};

describe('engine ranges (semver)', () => {
  it.each([
    ['1.0.0', '^1.0.0', true],
    ['1.4.2', '^1.0.0', true],
    ['2.0.0', '^1.0.0', false],
    ['0.2.5', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.0.0', '>=1.0.0 <2', true],
    ['2.0.0', '>=1.0.0 <2', false],
    ['1.0.0', '>= 0.9', true],
    ['1.5.0', '1.x', true],
    ['2.0.0', '1.x', false],
    ['1.0.0', '*', true],
    ['1.0.0', '', true],
    ['1.0.0', '1.0.0', true],
    ['1.0.1', '=1.0.0', false],
    ['1.0.0', '0.9.0 - 1.0.0', true],
    ['1.1.0', '0.9 - 1.0', false],
    ['1.0.0', '^2.0.0 || ^1.0.0', true],
    ['1.0.0', '<=0.9', false],
    ['1.0.0', '>1', false],
  ])('%s in %j is %s', (v, range, expected) => {
    expect(satisfies(v, range)).toBe(expected);
  });

  it('refuses what is not a range', () => {
    for (const r of ['^x.y', 'latest', '>=1.0.0-beta', '1.2.3.4', '01.0.0']) expect(isValidRange(r)).toBe(false);
    expect(isValidRange('^1.0.0 || >=2')).toBe(true);
  });
});

describe('manifests', () => {
  it('accepts a complete manifest and implies activation events from contributions', () => {
    const dir = pluginDir();
    const r = checkManifest(good, dir, PLUGIN_API_VERSION);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.manifest).toMatchObject({ id: 'good-plugin', version: '1.2.3', format: 'cjs', mainPath: path.join(dir, 'index.js') });
    expect(r.manifest.contributes.exporters[0].extension).toBe('csv');
    expect([...activationEventsOf(r.manifest)]).toEqual(['onStartup', 'onCommand:good.run', 'onExporter:good.csv']);
  });

  it('tells CommonJS from ES modules by extension and package type', () => {
    const dir = pluginDir({ 'a.mjs': '', 'b.cjs': '', 'c.js': '' });
    const format = (main: string, type?: string) => {
      const r = checkManifest({ ...good, main, ...(type ? { type } : {}) }, dir, PLUGIN_API_VERSION);
      return r.ok ? r.manifest.format : r.problems;
    };
    expect(format('a.mjs')).toBe('esm');
    expect(format('b.cjs', 'module')).toBe('cjs');
    expect(format('c.js', 'module')).toBe('esm');
    expect(format('c.js')).toBe('cjs');
  });

  it('refuses a wrong engines range with the field and the reason', () => {
    const r = checkManifest({ ...good, engines: { 'recon-daemon': '^2.0.0' } }, pluginDir(), PLUGIN_API_VERSION);
    expect(r).toEqual({
      ok: false,
      name: 'good-plugin',
      problems: [{ field: 'engines["recon-daemon"]', reason: 'the plugin needs plugin API "^2.0.0" but this recon-daemon provides 1.0.0' }],
    });
    const missing = checkManifest({ ...good, engines: { node: '>=20' } }, pluginDir(), PLUGIN_API_VERSION);
    expect(!missing.ok && missing.problems[0]).toEqual({
      field: 'engines["recon-daemon"]',
      reason: 'missing: state the plugin API versions the plugin works with, e.g. "engines": { "recon-daemon": "^1.0.0" }',
    });
    const junk = checkManifest({ ...good, engines: { 'recon-daemon': 'newest' } }, pluginDir(), PLUGIN_API_VERSION);
    expect(!junk.ok && junk.problems[0].reason).toBe('expected a semver range such as "^1.0.0" but received "newest"');
  });

  it('refuses a missing or absent main', () => {
    const { main: _, ...noMain } = good;
    const r = checkManifest(noMain, pluginDir(), PLUGIN_API_VERSION);
    expect(!r.ok && r.problems).toEqual([{ field: 'main', reason: 'missing: name the entry file of the plugin, e.g. "main": "extension.js"' }]);
    const dir = pluginDir({});
    const gone = checkManifest(good, dir, PLUGIN_API_VERSION);
    expect(!gone.ok && gone.problems).toEqual([{ field: 'main', reason: `the file "index.js" does not exist in ${dir}` }]);
    const outside = checkManifest({ ...good, main: '../elsewhere.js' }, pluginDir(), PLUGIN_API_VERSION);
    expect(!outside.ok && outside.problems[0].reason).toBe('expected a path inside the plugin folder but received "../elsewhere.js"');
  });

  it('reports every bad field at once', () => {
    const r = checkManifest(
      {
        name: 'Bad Name',
        version: 'one',
        main: 'index.js',
        engines: { 'recon-daemon': '^1.0.0' },
        activationEvents: ['onSunrise', 'onCommand:'],
        contributes: { commands: [{ command: 'x.y' }, { command: 'x.y', title: 'again' }], exporters: [{ id: 'e', title: 'E', extension: 'p l y' }], menus: [] },
      },
      pluginDir(),
      PLUGIN_API_VERSION,
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map((p) => p.field)).toEqual([
      'name',
      'version',
      'contributes.menus',
      'contributes.commands[0].title',
      'contributes.exporters[0].extension',
      'activationEvents[0]',
      'activationEvents[1]',
    ]);
    expect(!r.ok && r.problems[5].reason).toBe('expected onStartup, onReconstruction, onCommand:<command id> or onExporter:<exporter id> but received "onSunrise"');
  });

  it('reports unreadable and invalid JSON package files', () => {
    const d = pluginDir({ 'package.json': '{ "name": ' });
    const r = readManifest(d, PLUGIN_API_VERSION);
    expect(!r.ok && r.problems[0].field).toBe('package.json');
    expect(!r.ok && r.problems[0].reason).toMatch(/^is not valid JSON/);
  });
});

describe('discovery', () => {
  it('takes every sub-folder with a package.json, or a folder that is itself a plugin', () => {
    const names = pluginFolders({ dir: fixtures, source: 'dir' }).map((d) => path.basename(d));
    expect(names).toEqual(expect.arrayContaining(['esm-plugin', 'lazy-plugin', 'bad-engines', 'no-main']));
    expect(pluginFolders({ dir: path.join(fixtures, 'esm-plugin'), source: 'dir' })).toEqual([path.join(fixtures, 'esm-plugin')]);
    expect(pluginFolders({ dir: path.join(tempDir(), 'missing'), source: 'user' })).toEqual([]);
  });

  it('finds the built-in plugins with valid manifests', () => {
    const found = scanRoots([{ dir: path.join(repoRoot, 'plugins'), source: 'builtin' }], PLUGIN_API_VERSION);
    expect(found.map((p) => (p.result.ok ? p.result.manifest.id : p.result.problems))).toEqual(['dataset-pairs', 'ply-export']);
    expect(found.map((p) => (p.result.ok ? p.result.manifest.format : ''))).toEqual(['cjs', 'esm']);
  });
});

describe('the typed API', () => {
  it('type-checks the sample plugin and the built-ins against recon-daemon.d.ts (// @ts-check)', () => {
    const config = path.join(tempDir(), 'tsconfig.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: {
          checkJs: true,
          noEmit: true,
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          types: ['node'],
          typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
          paths: { 'recon-daemon': [path.join(repoRoot, 'src', 'plugins', 'api', 'recon-daemon.d.ts')] },
        },
        files: [path.join(repoRoot, 'examples', 'sample-plugin', 'extension.js'), path.join(repoRoot, 'plugins', 'dataset-pairs', 'index.js'), path.join(repoRoot, 'plugins', 'ply-export', 'index.js')],
      }),
    );
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', config], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  });
});
