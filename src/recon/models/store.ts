// Where models come from and where their ONNX conversions live. Sources: the TFJS graph models shipped in
// the npm package @vladmandic/human (pinned in package.json). Conversions: an on-disk cache keyed by the
// hash of the source files and the converter version, built on first use (or `npm run models`), written
// atomically so a killed process never leaves a half-written model that a later run would trust.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ErrorCodes, ReconError } from '../errors.js';
import { convertTfjsGraph, CONVERTER_VERSION } from './convert.js';
import { parseTfjsGraph } from './tfjs-graph.js';
import { writeFileAtomicSync } from '../../util/fs.js';

export const MODEL_NAMES = ['blazeface', 'facemesh', 'iris'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const SOURCE_PACKAGE = '@vladmandic/human';

export interface ModelFile {
  name: ModelName;
  /** Path of the converted .onnx file. */
  path: string;
  /** First 16 hex digits of sha256(model.json + shards + converter version). */
  hash: string;
  /** True when this call converted it (cold cache). */
  built: boolean;
  sourceVersion: string;
}

/** Folder holding the source package's models/ (resolved the way Node resolves the dependency). */
export function sourcePackageDir(): string {
  const require = createRequire(import.meta.url);
  for (const base of require.resolve.paths(SOURCE_PACKAGE) ?? []) {
    const dir = path.join(base, SOURCE_PACKAGE);
    if (fs.existsSync(path.join(dir, 'models', 'blazeface.json'))) return dir;
  }
  throw new ReconError(
    ErrorCodes.MODEL_UNAVAILABLE,
    `The model package ${SOURCE_PACKAGE} is not installed`,
    'Run `npm ci` in the recon-daemon folder; the models come from that npm package, not from the network.',
  );
}

/** `$RECON_MODEL_CACHE`, else `$XDG_CACHE_HOME/recon-daemon/models`, else `~/.cache/recon-daemon/models`. */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RECON_MODEL_CACHE) return env.RECON_MODEL_CACHE;
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'recon-daemon', 'models');
}

function sourceFiles(name: ModelName): { json: string; shards: (p: string) => string; dir: string } {
  const dir = path.join(sourcePackageDir(), 'models');
  return { json: path.join(dir, `${name}.json`), shards: (p) => path.join(dir, p), dir };
}

export function sourceVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(sourcePackageDir(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Return the cached ONNX file for `name`, converting it first if the cache has no file for this source hash. */
export function ensureModel(name: ModelName, cacheDir = modelCacheDir()): ModelFile {
  const src = sourceFiles(name);
  const jsonText = fs.readFileSync(src.json, 'utf8');
  const shardPaths = (JSON.parse(jsonText) as { weightsManifest: Array<{ paths: string[] }> }).weightsManifest.flatMap((g) => g.paths);
  const hasher = createHash('sha256').update(jsonText).update(`converter:${CONVERTER_VERSION}`);
  const shardBytes = new Map<string, Uint8Array>();
  for (const p of shardPaths) {
    const b = fs.readFileSync(src.shards(p));
    shardBytes.set(p, b);
    hasher.update(b);
  }
  const hash = hasher.digest('hex').slice(0, 16);
  const version = sourceVersion();
  const file = path.join(cacheDir, `${name}-${hash}.onnx`);
  if (fs.existsSync(file)) return { name, path: file, hash, built: false, sourceVersion: version };

  const graph = parseTfjsGraph(jsonText, (p) => shardBytes.get(p)!);
  const converted = convertTfjsGraph(graph, {
    name,
    metadata: { source: `${SOURCE_PACKAGE}@${version}/models/${name}.json`, sourceHash: hash, converter: String(CONVERTER_VERSION) },
  });
  // Worker threads of one process may convert the same model at once: the temporary name is per thread.
  writeFileAtomicSync(file, converted.bytes);
  return { name, path: file, hash, built: true, sourceVersion: version };
}
