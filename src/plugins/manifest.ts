// Plugin manifests: a plugin is a folder with a package.json. This file reads and checks one, and either
// returns the manifest or every problem found, each naming its field and the reason, e.g.
//   engines["recon-daemon"]: expected a range that includes the plugin API version 1.0.0 but received "^2.0.0"
// Pure apart from reading package.json and checking that `main` exists.
import fs from 'node:fs';
import path from 'node:path';
import { describeValue } from '../rpc/validate.js';
import { isValidRange, satisfies } from './semver.js';

export interface CommandContribution {
  command: string;
  title: string;
}

export interface ExporterContribution {
  id: string;
  title: string;
  /** Main file type it writes, e.g. "ply". */
  extension: string;
}

export interface PluginManifest {
  /** package.json `name`; the plugin's id. */
  id: string;
  version: string;
  displayName?: string;
  description?: string;
  /** `main` as written. */
  main: string;
  /** Absolute path of the entry file. */
  mainPath: string;
  /** How the host loads `main`: require() or import(). */
  format: 'cjs' | 'esm';
  /** engines["recon-daemon"]. */
  engine: string;
  /** As declared. */
  activationEvents: string[];
  contributes: { commands: CommandContribution[]; exporters: ExporterContribution[] };
}

export interface ManifestProblem {
  field: string;
  reason: string;
}

export type ManifestResult =
  | { ok: true; manifest: PluginManifest }
  | { ok: false; /** package.json name when it could be read. */ name?: string; problems: ManifestProblem[] };

/** npm's package-name rule (lower case, optional scope). */
const NAME_RE = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const VERSION_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+][0-9A-Za-z.-]+)?$/;
/** Command and exporter ids: "sample.hello", "dataset-pairs", "ply". */
export const CONTRIBUTION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const EXTENSION_RE = /^\.?[A-Za-z0-9]{1,16}$/;

export const STATIC_EVENTS = ['onStartup', 'onReconstruction'] as const;
export const EVENT_PREFIXES = ['onCommand:', 'onExporter:'] as const;

/** Every activation event of a manifest: the declared ones plus those implied by its contributions (as VS Code does). */
export function activationEventsOf(m: PluginManifest): Set<string> {
  const events = new Set(m.activationEvents);
  for (const c of m.contributes.commands) events.add(`onCommand:${c.command}`);
  for (const e of m.contributes.exporters) events.add(`onExporter:${e.id}`);
  return events;
}

export function formatProblems(problems: ManifestProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.reason}`).join('; ');
}

const expected = (what: string, v: unknown) => `expected ${what} but received ${describeValue(v)}`;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isText = (v: unknown, max = 200): v is string => typeof v === 'string' && v.trim().length > 0 && v.length <= max;

/** Check a parsed package.json of the plugin in `dir` against the plugin API version `apiVersion`. */
export function checkManifest(json: unknown, dir: string, apiVersion: string): ManifestResult {
  const problems: ManifestProblem[] = [];
  const bad = (field: string, reason: string) => problems.push({ field, reason });
  if (!isObject(json)) return { ok: false, problems: [{ field: 'package.json', reason: expected('a JSON object', json) }] };
  const pkg = json;

  const name = pkg.name;
  if (!(typeof name === 'string' && name.length <= 214 && NAME_RE.test(name))) bad('name', expected('a package name such as "my-plugin" (lower case, npm rules)', name));
  if (!(typeof pkg.version === 'string' && VERSION_RE.test(pkg.version))) bad('version', expected('a semver version such as "1.0.0"', pkg.version));
  for (const f of ['displayName', 'description'] as const) {
    if (pkg[f] !== undefined && !isText(pkg[f], 1000)) bad(f, expected('a non-empty string', pkg[f]));
  }

  // main: a file inside the folder that Node can load as CommonJS or an ES module.
  let mainPath = '';
  let format: 'cjs' | 'esm' = 'cjs';
  const main = pkg.main;
  if (main === undefined) bad('main', 'missing: name the entry file of the plugin, e.g. "main": "extension.js"');
  else if (!isText(main, 1024)) bad('main', expected('a relative path to the entry file, e.g. "extension.js"', main));
  else {
    mainPath = path.resolve(dir, main);
    const ext = path.extname(mainPath);
    if (path.isAbsolute(main) || !mainPath.startsWith(path.resolve(dir) + path.sep)) bad('main', expected('a path inside the plugin folder', main));
    else if (!['.js', '.cjs', '.mjs'].includes(ext)) bad('main', expected('a .js, .cjs or .mjs file', main));
    else if (!isFile(mainPath)) bad('main', `the file ${JSON.stringify(main)} does not exist in ${dir}`);
    else format = ext === '.mjs' ? 'esm' : ext === '.cjs' ? 'cjs' : pkg.type === 'module' ? 'esm' : 'cjs';
  }
  if (pkg.type !== undefined && pkg.type !== 'module' && pkg.type !== 'commonjs') bad('type', expected('"module" or "commonjs"', pkg.type));

  // engines["recon-daemon"]: a range that includes this API version.
  const engines = pkg.engines;
  const engine = isObject(engines) ? engines['recon-daemon'] : undefined;
  if (!isObject(engines) || engine === undefined) {
    bad('engines["recon-daemon"]', `missing: state the plugin API versions the plugin works with, e.g. "engines": { "recon-daemon": "^${apiVersion}" }`);
  } else if (typeof engine !== 'string' || !isValidRange(engine)) {
    bad('engines["recon-daemon"]', expected('a semver range such as "^1.0.0"', engine));
  } else if (!satisfies(apiVersion, engine)) {
    bad('engines["recon-daemon"]', `the plugin needs plugin API ${JSON.stringify(engine)} but this recon-daemon provides ${apiVersion}`);
  }

  // contributes
  const commands: CommandContribution[] = [];
  const exporters: ExporterContribution[] = [];
  const contributes = pkg.contributes;
  if (contributes !== undefined && !isObject(contributes)) bad('contributes', expected('an object {commands, exporters}', contributes));
  else if (contributes) {
    for (const key of Object.keys(contributes)) {
      if (key !== 'commands' && key !== 'exporters') bad(`contributes.${key}`, 'unknown contribution point (expected commands or exporters)');
    }
    const list = (key: 'commands' | 'exporters'): unknown[] => {
      const v = contributes[key];
      if (v === undefined) return [];
      if (Array.isArray(v)) return v;
      bad(`contributes.${key}`, expected('an array', v));
      return [];
    };
    const seen = new Set<string>();
    list('commands').forEach((c, i) => {
      const f = `contributes.commands[${i}]`;
      if (!isObject(c)) return bad(f, expected('an object {command, title}', c));
      if (typeof c.command !== 'string' || !CONTRIBUTION_ID_RE.test(c.command)) return bad(`${f}.command`, expected('a command id such as "myPlugin.doThing"', c.command));
      if (!isText(c.title)) return bad(`${f}.title`, expected('a non-empty title', c.title));
      if (seen.has(c.command)) return bad(`${f}.command`, `${JSON.stringify(c.command)} is contributed twice`);
      seen.add(c.command);
      commands.push({ command: c.command, title: c.title });
    });
    const seenExp = new Set<string>();
    list('exporters').forEach((e, i) => {
      const f = `contributes.exporters[${i}]`;
      if (!isObject(e)) return bad(f, expected('an object {id, title, extension}', e));
      if (typeof e.id !== 'string' || !CONTRIBUTION_ID_RE.test(e.id)) return bad(`${f}.id`, expected('an exporter id such as "ply"', e.id));
      if (!isText(e.title)) return bad(`${f}.title`, expected('a non-empty title', e.title));
      if (typeof e.extension !== 'string' || !EXTENSION_RE.test(e.extension)) return bad(`${f}.extension`, expected('a file extension such as "ply"', e.extension));
      if (seenExp.has(e.id)) return bad(`${f}.id`, `${JSON.stringify(e.id)} is contributed twice`);
      seenExp.add(e.id);
      exporters.push({ id: e.id, title: e.title, extension: e.extension.replace(/^\./, '') });
    });
  }

  // activationEvents
  const activationEvents: string[] = [];
  const events = pkg.activationEvents;
  if (events !== undefined && !Array.isArray(events)) bad('activationEvents', expected('an array of activation events', events));
  else if (events) {
    events.forEach((ev, i) => {
      const ok =
        typeof ev === 'string' &&
        ((STATIC_EVENTS as readonly string[]).includes(ev) || EVENT_PREFIXES.some((p) => ev.startsWith(p) && CONTRIBUTION_ID_RE.test(ev.slice(p.length))));
      if (!ok) bad(`activationEvents[${i}]`, expected('onStartup, onReconstruction, onCommand:<command id> or onExporter:<exporter id>', ev));
      else activationEvents.push(ev);
    });
  }

  if (problems.length) return { ok: false, ...(typeof name === 'string' && name ? { name } : {}), problems };
  return {
    ok: true,
    manifest: {
      id: name as string,
      version: pkg.version as string,
      ...(typeof pkg.displayName === 'string' ? { displayName: pkg.displayName } : {}),
      ...(typeof pkg.description === 'string' ? { description: pkg.description } : {}),
      main: main as string,
      mainPath,
      format,
      engine: engine as string,
      activationEvents,
      contributes: { commands, exporters },
    },
  };
}

/** Read `dir/package.json` and check it. */
export function readManifest(dir: string, apiVersion: string): ManifestResult {
  const file = path.join(dir, 'package.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, problems: [{ field: 'package.json', reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [{ field: 'package.json', reason: `is not valid JSON (${(e as Error).message})` }] };
  }
  return checkManifest(json, dir, apiVersion);
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
