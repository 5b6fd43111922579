#!/usr/bin/env node
// Writes the Unity .meta file of every file and folder in integrations/unity that lacks one. A package installed
// from a git URL is immutable: Unity ignores assets without a .meta there, so the package ships them. GUIDs are
// derived from the package name and the path (md5), so re-running is stable and never changes an existing one.
// Folders and files whose names end in "~" (Documentation~) or start with "." are not assets and get none.
//
//   node test/unity/make-meta.mjs          write the missing ones
//   node test/unity/make-meta.mjs --check  list the missing or orphaned ones, exit 1 if any
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../integrations/unity');
const PACKAGE = 'com.recondaemon.facerecon';

const tail = '  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n';
function metaFor(rel, isDir) {
  const guid = crypto.createHash('md5').update(`${PACKAGE}/${rel}`).digest('hex');
  const head = `fileFormatVersion: 2\nguid: ${guid}\n`;
  if (isDir) return `${head}folderAsset: yes\nDefaultImporter:\n${tail}`;
  if (rel.endsWith('.cs')) {
    return `${head}MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n  executionOrder: 0\n  icon: {instanceID: 0}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n`;
  }
  if (rel.endsWith('.asmdef')) return `${head}AssemblyDefinitionImporter:\n${tail}`;
  if (rel === 'package.json') return `${head}PackageManifestImporter:\n${tail}`;
  if (/\.(md|json|txt)$/.test(rel)) return `${head}TextScriptImporter:\n${tail}`;
  return `${head}DefaultImporter:\n${tail}`;
}

/** Every asset (relative path, isDir) under the package, and every .meta file. */
export function scan(dir = root, rel = '') {
  const assets = [];
  const metas = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.name.endsWith('.meta')) {
      metas.push(r);
      continue;
    }
    if (e.name.endsWith('~')) continue;
    assets.push([r, e.isDirectory()]);
    if (e.isDirectory()) {
      const sub = scan(path.join(dir, e.name), r);
      assets.push(...sub.assets);
      metas.push(...sub.metas);
    }
  }
  return { assets, metas };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const { assets, metas } = scan();
  const problems = [];
  for (const [rel, isDir] of assets) {
    const m = path.join(root, `${rel}.meta`);
    if (fs.existsSync(m)) continue;
    if (check) problems.push(`missing ${rel}.meta`);
    else {
      fs.writeFileSync(m, metaFor(rel, isDir));
      console.log(`wrote ${rel}.meta`);
    }
  }
  const names = new Set(assets.map(([r]) => r));
  for (const m of metas) if (!names.has(m.slice(0, -5))) problems.push(`orphaned ${m}`);
  for (const p of problems) console.log(p);
  process.exit(problems.length ? 1 : 0);
}
