// The Maya module (`recon-daemon install-addon maya`): integrations/maya as a module folder that goes into a Maya
// modules folder — recon_maya.mod beside recon_maya/ (scripts/userSetup.py, scripts/recon_maya with the shared
// client vendored as recon_maya/recon_client and install.json, shelves/shelf_FaceRecon.mel, icons/) — written as
// a zip (recon_maya-<version>.zip, to unpack into the modules folder) and/or straight into a modules folder.
import fs from 'node:fs';
import path from 'node:path';
import { makeDirSync } from '../../util/fs.js';
import { CLIENT_PACKAGE, INSTALL_INFO, INTEGRATIONS_DIR, clientEntries, installInfo, missing, recordedCli, sortEntries, treeEntries } from './sources.js';
import { writeZip, type ZipEntry } from './zip.js';

/** The module's sources in this checkout / npm package (itself a module folder: MAYA_MODULE_PATH may point here). */
export const MAYA_DIR = path.join(INTEGRATIONS_DIR, 'maya');
export const MAYA_MODULE = 'recon_maya';
const MOD_FILE = `${MAYA_MODULE}.mod`;
/** The module's own folders that are installed (the rest of integrations/maya — README etc. — is not). */
const MODULE_FOLDERS = ['scripts', 'shelves', 'icons'];

/** The module's version, from recon_maya.mod's `+ recon_maya <version> <path>` line, checked against __version__. */
export function mayaVersion(dir = MAYA_DIR): string {
  const modFile = path.join(dir, MOD_FILE);
  if (!fs.existsSync(modFile)) throw missing('The Maya module sources', modFile, 'Run the command from a recon-daemon checkout or a package that includes integrations/maya.');
  const m = new RegExp(`^\\+\\s+(?:\\S+:\\S+\\s+)*${MAYA_MODULE}\\s+(\\S+)\\s+\\S+\\s*$`, 'm').exec(fs.readFileSync(modFile, 'utf8'));
  const init = fs.readFileSync(path.join(dir, 'scripts', MAYA_MODULE, '__init__.py'), 'utf8');
  const v = /^__version__\s*=\s*"([^"]+)"/m.exec(init);
  if (!m || !v) throw new Error(`Cannot read the module version from ${MOD_FILE} and recon_maya/__init__.py`);
  if (m[1] !== v[1]) throw new Error(`Module versions disagree: ${MOD_FILE} says ${m[1]}, recon_maya.__version__ is ${v[1]}`);
  return m[1];
}

/**
 * recon_maya.mod as installed: the checkout's file with the module path of its `+` line set to ./recon_maya, the
 * folder beside it (a relative path is relative to the .mod file's own folder).
 */
export function installedModFile(dir = MAYA_DIR): ZipEntry {
  const text = fs.readFileSync(path.join(dir, MOD_FILE), 'utf8');
  const out = text.replace(new RegExp(`^(\\+\\s+(?:\\S+:\\S+\\s+)*${MAYA_MODULE}\\s+\\S+\\s+)\\S+\\s*$`, 'gm'), `$1./${MAYA_MODULE}`);
  return { name: MOD_FILE, data: Buffer.from(out) };
}

/** Every file of the installed module (recon_maya.mod and the recon_maya/ folder), sorted; install.json included. */
export function mayaModuleEntries(dir = MAYA_DIR, version = mayaVersion(dir)): { entries: ZipEntry[]; cli: string | null } {
  const pkg = `${MAYA_MODULE}/scripts/${MAYA_MODULE}`;
  const vendored = `${pkg}/${CLIENT_PACKAGE}/`;
  const own = MODULE_FOLDERS.filter((f) => fs.existsSync(path.join(dir, f))).flatMap((f) => treeEntries(path.join(dir, f), `${MAYA_MODULE}/${f}`));
  const info = installInfo(pkg, version);
  const entries = [
    installedModFile(dir),
    ...own.filter((e) => !e.name.startsWith(vendored) && e.name !== `${pkg}/${INSTALL_INFO}`),
    ...clientEntries(pkg),
    info,
  ];
  return { entries: sortEntries(entries), cli: recordedCli(info) };
}

export interface MayaBuild {
  version: string;
  files: number;
  cli: string | null;
  zip?: { file: string; bytes: number };
  modulesDir?: string;
}

/** Write the entries into `modulesDir`: recon_maya/ replaced as a whole (built beside it, then renamed), then the .mod. */
function installInto(modulesDir: string, entries: ZipEntry[]): void {
  const root = path.resolve(modulesDir);
  makeDirSync(root);
  const stamp = `${process.pid}-${Date.now()}`;
  const staging = path.join(root, `.${MAYA_MODULE}.new-${stamp}`);
  const old = path.join(root, `.${MAYA_MODULE}.old-${stamp}`);
  try {
    for (const e of entries) {
      if (e.name === MOD_FILE) continue;
      const file = path.join(staging, ...e.name.split('/').slice(1));
      makeDirSync(path.dirname(file));
      fs.writeFileSync(file, e.data);
    }
    const target = path.join(root, MAYA_MODULE);
    if (fs.existsSync(target)) fs.renameSync(target, old);
    try {
      fs.renameSync(staging, target);
    } catch (e) {
      if (fs.existsSync(old)) fs.renameSync(old, target); // the earlier install stays as it was
      throw e;
    }
    const mod = entries.find((e) => e.name === MOD_FILE)!;
    const tmp = path.join(root, `.${MOD_FILE}.${stamp}`);
    fs.writeFileSync(tmp, mod.data);
    fs.renameSync(tmp, path.join(root, MOD_FILE));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
  }
}

/** Build the module: a zip at `zipOut` (default ./recon_maya-<version>.zip when no modules folder is given) and/or
 * the module installed into `modulesDir`. */
export function buildMayaModule(opts: { zipOut?: string; modulesDir?: string } = {}): MayaBuild {
  const version = mayaVersion();
  const { entries, cli } = mayaModuleEntries(MAYA_DIR, version);
  const r: MayaBuild = { version, files: entries.length, cli };
  if (opts.zipOut || !opts.modulesDir) {
    const file = path.resolve(opts.zipOut ?? `${MAYA_MODULE}-${version}.zip`);
    makeDirSync(path.dirname(file));
    const zip = writeZip(entries);
    fs.writeFileSync(file, zip);
    r.zip = { file, bytes: zip.length };
  }
  if (opts.modulesDir) {
    installInto(opts.modulesDir, entries);
    r.modulesDir = path.resolve(opts.modulesDir);
  }
  return r;
}

/** Where Maya looks for modules of every version, per platform (Maya's default MAYA_MODULE_PATH, user part). */
export function defaultModulesDir(platform: NodeJS.Platform = process.platform, home = process.env.HOME || process.env.USERPROFILE || '~'): string {
  if (platform === 'darwin') return path.join(home, 'Library', 'Preferences', 'Autodesk', 'maya', 'modules');
  if (platform === 'win32') return path.join(home, 'Documents', 'maya', 'modules');
  return path.join(home, 'maya', 'modules');
}
