// Which files a batch (or watch) takes: folders are walked recursively, globs are expanded, named files are
// taken whatever their name. Folders and globs select files with a photo extension (PHOTO_EXTENSIONS);
// hidden files and folders (a name starting with ".") and the batch's own output folder are never entered.
// Each file gets a `source`: its path relative to the input root (the common ancestor of every argument's
// root), with "/" separators, so manifests read the same on every platform.
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidOption } from '../recon/errors.js';

/**
 * Extensions of the formats the engine decodes, plus HEIC/HEIF: iPhone photos the prebuilt decoder cannot
 * read get a manifest line saying UNSUPPORTED_FORMAT instead of being silently left out.
 */
export const PHOTO_EXTENSIONS = ['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic', '.heif'] as const;

export function hasPhotoExtension(file: string): boolean {
  return (PHOTO_EXTENSIONS as ReadonlyArray<string>).includes(path.extname(file).toLowerCase());
}

export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}

export interface InputFile {
  /** Absolute path. */
  abs: string;
  /** Path relative to the input root, "/" separators. */
  source: string;
}

export interface InputSet {
  /** Absolute input root: sources are relative to it. */
  root: string;
  files: InputFile[];
  /** Arguments (globs) that matched nothing. */
  empty: string[];
}

const GLOB_CHARS = /[*?[\]{}]/;

export function isGlob(arg: string): boolean {
  return GLOB_CHARS.test(arg);
}

/** A glob → RegExp over "/"-separated absolute paths: `**` any depth, `*` and `?` within a segment, `[…]`, `{a,b}`. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches zero or more whole segments; a trailing "**" matches the rest.
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:[^/]*/)*' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The folder a glob starts from: its leading segments without glob characters. */
export function globBase(glob: string): string {
  const parts = glob.split('/');
  const fixed: string[] = [];
  for (const p of parts) {
    if (isGlob(p)) break;
    fixed.push(p);
  }
  const base = fixed.join('/');
  return base === '' ? (glob.startsWith('/') ? '/' : '.') : base;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

export function commonAncestor(dirs: string[]): string {
  if (!dirs.length) return process.cwd();
  let parts = path.resolve(dirs[0]).split(path.sep);
  for (const d of dirs.slice(1)) {
    const other = path.resolve(d).split(path.sep);
    let n = 0;
    while (n < parts.length && n < other.length && parts[n] === other[n]) n++;
    parts = parts.slice(0, n);
  }
  const joined = parts.join(path.sep);
  return joined === '' ? path.parse(path.resolve(dirs[0])).root : joined;
}

/** Is `p` the folder `dir` or inside it? */
export function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface WalkOptions {
  /** Folders never entered (the batch's output folder). */
  exclude?: string[];
}

/**
 * Every photo file under `dir`, recursively, sorted. Symbolic links to files are followed; links to folders
 * are not (a link loop would never end).
 */
export async function walkPhotos(dir: string, o: WalkOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const exclude = (o.exclude ?? []).map((e) => path.resolve(e));
  const visit = async (d: string): Promise<void> => {
    if (exclude.some((e) => isInside(d, e))) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch (e) {
      if (d === dir) throw e;
      return; // an unreadable sub-folder: nothing to take from it
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (isHiddenName(e.name)) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile() && hasPhotoExtension(e.name)) out.push(p);
      else if (e.isSymbolicLink() && hasPhotoExtension(e.name)) {
        const st = await fs.stat(p).catch(() => undefined);
        if (st?.isFile()) out.push(p);
      }
    }
  };
  await visit(dir);
  return out;
}

/** Resolve the command line's `<dir|glob|file...>` into files and their sources. */
export async function collectInputs(args: string[], o: WalkOptions = {}): Promise<InputSet> {
  if (!args.length) throw invalidOption('inputs', 'at least one folder, glob or photo file', args);
  const roots: string[] = [];
  const found: string[] = [];
  const empty: string[] = [];
  const exclude = (o.exclude ?? []).map((e) => path.resolve(e));
  for (const arg of args) {
    const abs = path.resolve(arg);
    const st = await fs.stat(abs).catch(() => undefined);
    if (st?.isDirectory()) {
      roots.push(abs);
      found.push(...(await walkPhotos(abs, { exclude })));
    } else if (st) {
      roots.push(path.dirname(abs));
      found.push(abs);
    } else if (isGlob(arg)) {
      const pattern = toPosix(path.resolve(arg));
      const base = path.resolve(globBase(toPosix(arg)));
      const re = globToRegExp(pattern);
      const baseSt = await fs.stat(base).catch(() => undefined);
      const matches = baseSt?.isDirectory() ? (await walkPhotos(base, { exclude })).filter((f) => re.test(toPosix(f))) : [];
      if (!matches.length) empty.push(arg);
      roots.push(base);
      found.push(...matches);
    } else {
      throw invalidOption('inputs', 'an existing folder, photo file or glob', arg);
    }
  }
  const root = commonAncestor(roots);
  const seen = new Set<string>();
  const files: InputFile[] = [];
  for (const abs of found) {
    if (seen.has(abs)) continue;
    seen.add(abs);
    files.push({ abs, source: toPosix(path.relative(root, abs)) });
  }
  files.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { root, files, empty };
}

/** The source of a file under a known root (watch mode). */
export function sourceOf(root: string, abs: string): string {
  return toPosix(path.relative(root, abs));
}
