// `recon-daemon install-addon blender [--out file.zip] [--blender <exe>]`: packs the Blender add-on
// (integrations/blender-addon/recon_bridge) into one zip that installs in Blender 3.4+ (Preferences ▸ Add-ons ▸
// Install…, bl_info) and as a Blender 4.2+ extension (Install from Disk…, blender_manifest.toml in the zip's
// single top-level folder). With --blender it also installs and enables it in that Blender's user preferences.
//
// The zip is written by a small store/deflate writer on node:zlib (no dependency), with fixed timestamps so the
// same sources always give the same bytes.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import type { CommandModule } from 'yargs';
import { makeDirSync } from '../../util/fs.js';

/** The add-on package folder in this checkout / npm package. */
export const ADDON_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../integrations/blender-addon/recon_bridge');
export const ADDON_PACKAGE = 'recon_bridge';
/** This package's CLI script (what `recon-daemon` on PATH would run, when it is on PATH at all). */
export const CLI_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/recon-daemon.js');
/** Written into the zip next to __init__.py; read by recon_bridge/core/discovery.py (install_info). */
export const INSTALL_INFO = 'install.json';

interface Args {
  app: string;
  out?: string;
  blender?: string;
}

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** Files of the add-on, sorted, as zip entries under `recon_bridge/` (no caches, no hidden files). */
export function addonEntries(dir = ADDON_DIR): ZipEntry[] {
  if (!fs.existsSync(path.join(dir, '__init__.py'))) {
    throw Object.assign(new Error(`The Blender add-on sources are missing: no ${path.join(dir, '__init__.py')}`), {
      hint: 'Run the command from a recon-daemon checkout or a package that includes integrations/blender-addon.',
    });
  }
  const out: ZipEntry[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      if (name.startsWith('.') || name === '__pycache__' || name.endsWith('.pyc')) continue;
      const full = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.statSync(full);
      if (st.isDirectory()) walk(full, r);
      else if (st.isFile()) out.push({ name: `${ADDON_PACKAGE}/${r}`, data: fs.readFileSync(full) });
    }
  };
  walk(dir, '');
  return out;
}

/** One command line from argv, quoted so that the add-on's `shlex.split` (POSIX) reads it back unchanged. */
export function joinCommand(argv: string[], platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return argv.map((a) => (/[\s"]/.test(a) ? `"${a}"` : a)).join(' ');
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(' ');
}

/**
 * install.json for the zip: the command that runs this very CLI — the node running install-addon and its
 * bin/recon-daemon.js, by absolute path — so the add-on's Start Daemon works right after installing from a
 * checkout, `npx` or a global install, where `recon-daemon` may not be on Blender's PATH (a desktop launch
 * does not see nvm's or a checkout's bin). The add-on shows it as an editable preference.
 */
export function installInfo(version: string, node = process.execPath, script = CLI_SCRIPT): ZipEntry {
  const info = { cli: fs.existsSync(script) ? joinCommand([node, script]) : null, version };
  return { name: `${ADDON_PACKAGE}/${INSTALL_INFO}`, data: Buffer.from(`${JSON.stringify(info, null, 2)}\n`) };
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

// DOS date/time of 1980-01-01 00:00: a fixed stamp makes the zip reproducible.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip archive (PKWARE APPNOTE 6.3: local headers, data, central directory, end record); deflated when smaller. */
export function writeZip(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = zlib.crc32(e.data) >>> 0;
    const deflated = zlib.deflateRawSync(e.data, { level: 9 });
    const useDeflate = deflated.length < e.data.length;
    const body = useDeflate ? deflated : e.data;
    const method = useDeflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(DOS_TIME, 12);
    cd.writeUInt16LE(DOS_DATE, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(e.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(0, 30); // extra
    cd.writeUInt16LE(0, 32); // comment
    cd.writeUInt16LE(0, 34); // disk
    cd.writeUInt16LE(0, 36); // internal attributes
    cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external: -rw-r--r--
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(cd, name);
    offset += local.length + name.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBuf, end]);
}

/** Build the zip; returns its path, version and file count. */
export function buildBlenderAddonZip(out?: string): { file: string; version: string; files: number; bytes: number; cli: string | null } {
  const version = addonVersion();
  const info = installInfo(version);
  const entries = [...addonEntries().filter((e) => e.name !== `${ADDON_PACKAGE}/${INSTALL_INFO}`), info];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const file = path.resolve(out ?? `${ADDON_PACKAGE}-${version}.zip`);
  makeDirSync(path.dirname(file));
  const zip = writeZip(entries);
  fs.writeFileSync(file, zip);
  const cli = (JSON.parse(info.data.toString('utf8')) as { cli: string | null }).cli;
  return { file, version, files: entries.length, bytes: zip.length, cli };
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

function installIntoBlender(blender: string, zip: string): Promise<string> {
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

export const installAddonCommand: CommandModule<object, Args> = {
  command: 'install-addon <app>',
  describe: 'Build the editor add-on: `install-addon blender` writes recon_bridge-<version>.zip for Blender 3.4+ (and 4.2+ extensions)',
  builder: (y) =>
    y
      .positional('app', { choices: ['blender'], describe: 'Which editor (blender)' })
      .option('out', { alias: 'o', type: 'string', describe: 'Zip file to write (default ./recon_bridge-<version>.zip)' })
      .option('blender', {
        type: 'string',
        describe: 'Also install and enable it in this Blender (path of the blender executable), in its user preferences',
      })
      .example('$0 install-addon blender', 'writes ./recon_bridge-0.1.0.zip; install it in Blender: Edit ▸ Preferences ▸ Add-ons ▸ Install…')
      .example('$0 install-addon blender --blender /usr/bin/blender', 'builds the zip and installs + enables it in that Blender') as never,
  handler: async (args) => {
    const r = buildBlenderAddonZip(args.out);
    process.stdout.write(`Wrote ${r.file} (recon_bridge ${r.version}, ${r.files} files, ${r.bytes} bytes)\n`);
    if (r.cli) process.stdout.write(`Its Start Daemon button runs: ${r.cli} start (editable in the add-on's preferences)\n`);
    if (args.blender) {
      await installIntoBlender(args.blender, r.file);
      process.stdout.write(`Installed and enabled recon_bridge in ${args.blender} (saved in its user preferences)\n`);
      return;
    }
    process.stdout.write(
      [
        'Install it in Blender:',
        '  Blender 3.4–4.1: Edit ▸ Preferences ▸ Add-ons ▸ Install… ▸ pick the zip ▸ tick "Face Recon (recon-daemon)"',
        '  Blender 4.2+:    Edit ▸ Preferences ▸ Get Extensions ▸ ⌄ ▸ Install from Disk… ▸ pick the zip',
        'Then: 3D View ▸ Sidebar (N) ▸ Face Recon. Start the daemon first: recon-daemon start',
        '',
      ].join('\n'),
    );
  },
};
