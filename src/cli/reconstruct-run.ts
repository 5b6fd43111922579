// `recon-daemon reconstruct`: every photo through one engine (models loaded once). A photo that fails gets
// a result.json with the error and does not stop the others; the exit code is 1 if any photo failed (an
// error, or a quality verdict of fail).
import type { Subdivisions } from '../recon/mesh/build.js';
import type { View } from '../recon/views.js';
import path from 'node:path';
import { createEngine } from '../recon/reconstruct.js';
import fs from 'node:fs/promises';
import { discoverDaemon } from '../client/discover.js';
import { ReconClient } from '../client/client.js';
import { reconstructToFolderViaDaemon } from '../client/reconstruct-to-folder.js';
import { ErrorCodes, invalidOption, ReconError, toReconError } from '../recon/errors.js';
import type { ResultJson } from '../recon/result-json.js';
import { reconstructToFolder, validateFolderOptions, type FolderOptions } from '../recon/folder.js';
import { parseOutputs, parseQuality } from './option-parsers.js';
import type { ReconstructArgs } from './commands/reconstruct.js';

export function parseFace(v: string): 'largest' | 'all' | number {
  if (v === 'largest' || v === 'all') return v;
  if (/^\d+$/.test(v)) return Number(v);
  throw invalidOption('--face', '"largest", "all" or a face index ≥ 0', v);
}

/** Output folder per photo: its stem, made unique when two inputs share one. */
export function outputFolders(images: string[], root: string): string[] {
  const used = new Map<string, number>();
  return images.map((img) => {
    const stem = path.basename(img, path.extname(img)) || 'image';
    const n = (used.get(stem) ?? 0) + 1;
    used.set(stem, n);
    return path.join(root, n === 1 ? stem : `${stem}-${n}`);
  });
}

export async function runReconstruct(args: ReconstructArgs): Promise<number> {
  const face = parseFace(args.face);
  const options: FolderOptions = {
    faces: face,
    maxPixels: args.maxPixels,
    outputs: parseOutputs(args.outputs),
    size: args.size,
    detail: args.detail,
    ...(args.view !== undefined ? { view: args.view as View } : {}),
    ...(args.subdivisions !== undefined ? { subdivisions: args.subdivisions as Subdivisions } : {}),
    force: args.force,
    quality: parseQuality(args.quality),
  };
  // Bad options are reported before the models load.
  validateFolderOptions(options);
  // Exporters run here, on each finished folder, in a plugin host of the CLI's own (whichever engine made it).
  const plugins = args.export?.length ? (await import('../plugins/cli.js')).openCliPlugins(args.export, args.pluginDir) : undefined;
  const runner = await pickRunner(args, options).catch(async (e: unknown) => {
    await plugins?.dispose();
    throw e;
  });
  if (!args.json) process.stderr.write(runner.via === 'daemon' ? `using the running daemon at ${runner.url}\n` : '');
  const dirs = outputFolders(args.image, args.output);
  let failed = 0;
  try {
    for (let i = 0; i < args.image.length; i++) {
      const file = args.image[i];
      const dir = dirs[i];
      try {
        const t = performance.now();
        const r = await runner.run(file, dir);
        const ms = performance.now() - t;
        const exported = plugins && (await plugins.run({ dir, result: r, files: r.outputs ?? {} }, r.source));
        const pose = r.faces[r.reconstructed[0]].pose!;
        const verdict = r.quality?.verdict ?? 'pass';
        if (verdict === 'fail' || exported?.outcomes.some((o) => o.error)) failed++;
        if (args.json) process.stdout.write(JSON.stringify(exported ? { ...r, exports: exported.outcomes } : r) + '\n');
        else {
          const flagged = (r.quality?.checks ?? []).filter((c) => c.severity !== 'info');
          process.stdout.write(
            `${verdict.padEnd(4)} ${file}: ${r.faces.length} face${r.faces.length === 1 ? '' : 's'}, yaw ${pose.yaw.toFixed(1)}° pitch ${pose.pitch.toFixed(1)}° roll ${pose.roll.toFixed(1)}°, ${ms.toFixed(0)} ms → ${dir}${path.sep}\n`,
          );
          for (const c of flagged) process.stdout.write(`     ${c.severity} ${c.code}: ${c.message}\n     hint: ${c.hint}\n`);
          if (exported) process.stdout.write((await import('../plugins/cli.js')).describeExports(exported.outcomes, dir));
        }
      } catch (e) {
        const err = asUserError(e);
        failed++;
        if (args.json) process.stdout.write(JSON.stringify({ source: path.basename(file), error: err }) + '\n');
        else process.stderr.write(`FAIL ${file}: ${err.code}: ${err.message}\n     hint: ${err.hint}\n`);
      }
    }
  } finally {
    await runner.close();
    await plugins?.dispose();
  }
  if (!args.json) process.stdout.write(`${args.image.length - failed} of ${args.image.length} photo(s) reconstructed without a failing verdict; results in ${path.resolve(args.output)}\n`);
  return failed ? 1 : 0;
}

interface Runner {
  via: 'daemon' | 'embedded';
  url?: string;
  run(file: string, dir: string): Promise<ResultJson>;
  close(): Promise<void>;
}

/**
 * The running daemon when there is one (warm models, shared with editors), else an embedded engine; the
 * output folder is the same either way. `--embedded` forces the engine; `--daemon` requires the daemon.
 * Quality-threshold overrides are an embedded-only option, so they select the embedded engine.
 */
async function pickRunner(args: ReconstructArgs, options: FolderOptions): Promise<Runner> {
  const wantDaemon = args.daemon || (!args.embedded && !options.quality);
  const found = wantDaemon ? discoverDaemon() : undefined;
  if (found) {
    const client = await ReconClient.connect({ url: found.url, token: found.token, clientInfo: { name: 'recon-daemon-cli', version: '1' } }).catch((e: unknown) => {
      if (args.daemon) throw e;
      return undefined;
    });
    if (client) {
      const rpcOptions = {
        faces: options.faces,
        maxPixels: options.maxPixels,
        outputs: options.outputs ? [...options.outputs] : undefined,
        size: options.size,
        detail: options.detail,
        view: options.view,
        subdivisions: options.subdivisions,
        force: options.force,
      };
      return {
        via: 'daemon',
        url: found.url,
        run: async (file, dir) => {
          await reconstructToFolderViaDaemon(client, file, dir, rpcOptions);
          return JSON.parse(await fs.readFile(path.join(dir, 'result.json'), 'utf8')) as ResultJson;
        },
        close: async () => client.close(),
      };
    }
  }
  if (args.daemon) {
    throw new ReconError(ErrorCodes.INVALID_OPTION, 'recon-daemon is not running', 'Start it with `recon-daemon start`, or drop --daemon to use the embedded engine.');
  }
  const engine = await createEngine();
  return {
    via: 'embedded',
    run: async (file, dir) => (await reconstructToFolder(engine, file, dir, options)).result,
    close: () => engine.dispose(),
  };
}

/** Engine errors and daemon (JSON-RPC) errors, printed the same way. */
function asUserError(e: unknown): { code: string; message: string; hint: string } {
  const data = (e as { data?: { code?: unknown; hint?: unknown } }).data;
  if (e instanceof Error && data && typeof data.code === 'string') {
    return { code: data.code, message: e.message, hint: typeof data.hint === 'string' ? data.hint : '' };
  }
  const err = toReconError(e);
  return { code: err.code, message: err.message, hint: err.hint };
}
