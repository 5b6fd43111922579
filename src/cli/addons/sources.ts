// The editor add-ons' sources in this checkout (or npm package), and what every add-on build shares: walking a
// folder into zip entries, vendoring the shared Python client (integrations/python/recon_client: one source, no
// copies in git), and install.json — the command that runs this very CLI, for the add-ons' Start Daemon.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZipEntry } from './zip.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** integrations/ of this checkout or package. */
export const INTEGRATIONS_DIR = path.join(ROOT, 'integrations');
/** The shared Python client, vendored into every Python add-on at build time. */
export const CLIENT_DIR = path.join(INTEGRATIONS_DIR, 'python', 'recon_client');
export const CLIENT_PACKAGE = 'recon_client';
/** This package's CLI script (what `recon-daemon` on PATH would run, when it is on PATH at all). */
export const CLI_SCRIPT = path.join(ROOT, 'bin', 'recon-daemon.js');
/** Written next to the add-on package's __init__.py; read by recon_client/discovery.py (install_info). */
export const INSTALL_INFO = 'install.json';

/** An error the CLI prints with its hint. */
export function missing(what: string, file: string, hint: string): Error {
  return Object.assign(new Error(`${what} is missing: no ${file}`), { hint });
}

/** Files under `dir`, sorted, as zip entries named `<prefix>/<relative path>` (no caches, no hidden files). */
export function treeEntries(dir: string, prefix: string): ZipEntry[] {
  const out: ZipEntry[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      if (name.startsWith('.') || name === '__pycache__' || name.endsWith('.pyc') || name.endsWith('.egg-info')) continue;
      const full = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.statSync(full);
      if (st.isDirectory()) walk(full, r);
      else if (st.isFile()) out.push({ name: `${prefix}/${r}`, data: fs.readFileSync(full) });
    }
  };
  walk(dir, '');
  return out;
}

/** The shared client as entries under `<packagePrefix>/recon_client/` (the add-on's own package). */
export function clientEntries(packagePrefix: string, dir = CLIENT_DIR): ZipEntry[] {
  if (!fs.existsSync(path.join(dir, '__init__.py'))) {
    throw missing('The shared Python client', path.join(dir, '__init__.py'), 'Run the command from a recon-daemon checkout or a package that includes integrations/python.');
  }
  return treeEntries(dir, `${packagePrefix}/${CLIENT_PACKAGE}`);
}

/** One command line from argv, quoted so that the add-ons' `shlex.split` (POSIX) reads it back unchanged. */
export function joinCommand(argv: string[], platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return argv.map((a) => (/[\s"]/.test(a) ? `"${a}"` : a)).join(' ');
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(' ');
}

/**
 * install.json for an add-on package (`<packagePrefix>/install.json`): the command that runs this very CLI — the
 * node running install-addon and its bin/recon-daemon.js, by absolute path — so the add-on's Start Daemon works
 * right after installing from a checkout, `npx` or a global install, where `recon-daemon` may not be on the
 * editor's PATH (a desktop launch does not see nvm's or a checkout's bin). The add-ons show it as an editable
 * preference.
 */
export function installInfo(packagePrefix: string, version: string, node = process.execPath, script = CLI_SCRIPT): ZipEntry {
  const info = { cli: fs.existsSync(script) ? joinCommand([node, script]) : null, version };
  return { name: `${packagePrefix}/${INSTALL_INFO}`, data: Buffer.from(`${JSON.stringify(info, null, 2)}\n`) };
}

/** The command recorded in an install.json entry (null when the CLI script was not found). */
export function recordedCli(entry: ZipEntry): string | null {
  return (JSON.parse(entry.data.toString('utf8')) as { cli: string | null }).cli;
}

export function sortEntries(entries: ZipEntry[]): ZipEntry[] {
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
