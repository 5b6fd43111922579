// The Blender add-on zip (`recon-daemon install-addon blender`): integrations/blender-addon/recon_bridge with the
// shared client vendored as recon_bridge/recon_client and install.json, in one top-level folder — installable in
// Blender 3.4+ (Preferences ▸ Add-ons ▸ Install…, bl_info) and as a Blender 4.2+ extension (Install from Disk…,
// blender_manifest.toml in the zip's single top-level folder). With --blender it is also installed and enabled in
// that Blender's user preferences.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeDirSync } from '../../util/fs.js';
import { CLIENT_PACKAGE, INSTALL_INFO, INTEGRATIONS_DIR, clientEntries, installInfo, missing, recordedCli, sortEntries, treeEntries } from './sources.js';
import { writeZip, type ZipEntry } from './zip.js';

/** The add-on package folder in this checkout / npm package. */
export const ADDON_DIR = path.join(INTEGRATIONS_DIR, 'blender-addon', 'recon_bridge');
export const ADDON_PACKAGE = 'recon_bridge';

/** The add-on's files as zip entries under `recon_bridge/`, the shared client vendored in, no install.json. */
export function addonEntries(dir = ADDON_DIR): ZipEntry[] {
  if (!fs.existsSync(path.join(dir, '__init__.py'))) {
    throw missing('The Blender add-on sources', path.join(dir, '__init__.py'), 'Run the command from a recon-daemon checkout or a package that includes integrations/blender-addon.');
  }
  const vendored = `${ADDON_PACKAGE}/${CLIENT_PACKAGE}/`;
  const own = treeEntries(dir, ADDON_PACKAGE).filter((e) => !e.name.startsWith(vendored) && e.name !== `${ADDON_PACKAGE}/${INSTALL_INFO}`);
  return sortEntries([...own, ...clientEntries(ADDON_PACKAGE)]);
}

/** The add-on's version, from blender_manifest.toml, checked against bl_info in __init__.py. */
export function addonVersion(dir = ADDON_DIR): string {
  const manifest = fs.readFileSync(path.join(dir, 'blender_manifest.toml'), 'utf8');
  const m = /^version\s*=\s*"([^"]+)"/m.exec(manifest);
  const init = fs.readFileSync(path.join(dir, '__init__.py'), 'utf8');
  const b = /"version":\s*\((\d+),\s*(\d+),\s*(\d+)\)/.exec(init);
  if (!m || !b) throw new Error('Cannot read the add-on version from blender_manifest.toml and bl_info');
  const fromInfo = `${b[1]}.${b[2]}.${b[3]}`;
  if (fromInfo !== m[1]) throw new Error(`Add-on versions disagree: blender_manifest.toml says ${m[1]}, bl_info says ${fromInfo}`);
  return m[1];
}

/** Build the zip; returns its path, version, file count, size and the command Start Daemon runs. */
export function buildBlenderAddonZip(out?: string): { file: string; version: string; files: number; bytes: number; cli: string | null } {
  const version = addonVersion();
  const info = installInfo(ADDON_PACKAGE, version);
  const entries = sortEntries([...addonEntries(), info]);
  const file = path.resolve(out ?? `${ADDON_PACKAGE}-${version}.zip`);
  makeDirSync(path.dirname(file));
  const zip = writeZip(entries);
  fs.writeFileSync(file, zip);
  return { file, version, files: entries.length, bytes: zip.length, cli: recordedCli(info) };
}

/** Python run inside `blender -b`: install the zip (legacy add-on install works in 3.4 through 4.x), enable, save. */
function installScript(zip: string): string {
  return [
    'import bpy, sys',
    `bpy.ops.preferences.addon_install(filepath=${JSON.stringify(zip)}, overwrite=True)`,
    `bpy.ops.preferences.addon_enable(module=${JSON.stringify(ADDON_PACKAGE)})`,
    'bpy.ops.wm.save_userpref()',
    `print("recon_bridge installed:", ${JSON.stringify(ADDON_PACKAGE)} in bpy.context.preferences.addons)`,
  ].join('\n');
}

export function installIntoBlender(blender: string, zip: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(blender, ['-b', '--python-exit-code', '1', '--python-expr', installScript(zip)], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err || !/recon_bridge installed: True/.test(stdout)) {
        reject(
          Object.assign(new Error(`Installing into ${blender} failed${err ? `: ${err.message.split('\n')[0]}` : ''}\n${(stderr || stdout).trim().split('\n').slice(-5).join('\n')}`), {
            hint: 'Install the zip by hand: Edit ▸ Preferences ▸ Add-ons ▸ Install… (see docs/blender.md).',
          }),
        );
      } else resolve(stdout);
    });
  });
}
