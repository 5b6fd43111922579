// Plugin discovery: the folders plugins come from, in increasing precedence — the built-ins shipped with the
// daemon (`plugins/` in the package), the user's plugin folder (`<config dir>/plugins`), and each
// `--plugin-dir`. Every sub-folder with a package.json is a plugin; a --plugin-dir that itself holds a
// package.json is one plugin (handy while writing one).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifest, type ManifestResult } from './manifest.js';

export type PluginSource = 'builtin' | 'user' | 'dir';

export interface PluginRoot {
  dir: string;
  source: PluginSource;
}

export interface ScannedPlugin {
  dir: string;
  source: PluginSource;
  result: ManifestResult;
}

/** `plugins/` at the package root (next to dist/ and src/). */
export function builtinPluginsDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../plugins');
}

/** The user's plugin folder in the config dir. */
export function userPluginsDir(configDir: string): string {
  return path.join(configDir, 'plugins');
}

export function hasManifest(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, 'package.json')).isFile();
  } catch {
    return false;
  }
}

/** Plugin folders under one root, by name. A root that does not exist has none. */
export function pluginFolders(root: PluginRoot): string[] {
  if (root.source === 'dir' && hasManifest(root.dir)) return [path.resolve(root.dir)];
  let names: string[];
  try {
    names = fs.readdirSync(root.dir).sort();
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && n !== 'node_modules')
    .map((n) => path.join(root.dir, n))
    .filter((d) => {
      try {
        return fs.statSync(d).isDirectory() && hasManifest(d);
      } catch {
        return false;
      }
    });
}

export function scanPlugin(dir: string, source: PluginSource, apiVersion: string): ScannedPlugin {
  return { dir, source, result: readManifest(dir, apiVersion) };
}

export function scanRoots(roots: PluginRoot[], apiVersion: string): ScannedPlugin[] {
  return roots.flatMap((r) => pluginFolders(r).map((d) => scanPlugin(d, r.source, apiVersion)));
}
