// Plugins for the embedded command line (`recon-daemon reconstruct --export <id>`): the CLI has no daemon, so
// it runs a plugin service of its own — the same discovery, manifests, plugin host process and exporters —
// for the length of the command, without watching for changes.
import path from 'node:path';
import { invalidOption, ReconError } from '../recon/errors.js';
import type { FolderResult } from '../recon/folder.js';
import type { ExportOutcome, JobCompletedResult, Pose } from '../rpc/protocol.js';
import { DEFAULT_PLUGIN_TIMEOUT_MS } from '../server/config.js';
import { createLogger, type Logger } from '../server/log.js';
import { daemonPaths, type Env } from '../server/paths.js';
import { builtinPluginsDir, userPluginsDir } from './scan.js';
import { exportFileKey, PluginService, reconstructionResult } from './service.js';

export interface CliPlugins {
  /** Run the chosen exporters on a folder reconstructToFolder wrote. */
  run(folder: FolderResult, source: string): Promise<{ outcomes: ExportOutcome[]; files: Record<string, string> }>;
  dispose(): Promise<void>;
}

/** The job-style summary of a folder (what the daemon's workers send in job.completed). */
export function summariseFolder(folder: FolderResult): JobCompletedResult {
  const r = folder.result;
  const first = r.reconstructed.length ? r.faces[r.reconstructed[0]] : undefined;
  return {
    dir: folder.dir,
    files: Object.fromEntries(Object.entries(folder.files).map(([kind, name]) => [kind, path.join(folder.dir, name)])),
    ...(r.quality?.verdict ? { verdict: r.quality.verdict } : {}),
    pose: (first?.pose as Pose | undefined) ?? null,
    timings: r.timings as Record<string, number>,
    faces: r.faces.length,
    reconstructed: r.reconstructed,
  };
}

/**
 * Find the plugins (built-ins, the user's folder, `pluginDirs`) and check that every exporter in `ids` exists
 * and can run, before any model loads. Messages from plugins go to stderr.
 */
export function openCliPlugins(ids: string[], pluginDirs: string[] = [], env: Env = process.env, log: Logger = createLogger('warn')): CliPlugins {
  const service = new PluginService({
    roots: [
      { dir: builtinPluginsDir(), source: 'builtin' },
      { dir: userPluginsDir(daemonPaths(env).configDir), source: 'user' },
      ...pluginDirs.map((d) => ({ dir: path.resolve(d), source: 'dir' as const })),
    ],
    timeoutMs: DEFAULT_PLUGIN_TIMEOUT_MS,
    log,
    watch: false,
    onMessage: (m) => process.stderr.write(`[${m.plugin}] ${m.level === 'info' ? '' : `${m.level}: `}${m.message}\n`),
  });
  service.start();
  const known = service.exporterIds();
  for (const id of ids) {
    if (!known.includes(id)) throw invalidOption('--export', `an exporter id (${known.join(', ') || 'no plugin contributes one'})`, id);
    const p = service.list().plugins.find((x) => x.contributes.exporters.some((e) => e.id === id));
    if (p?.state === 'failed') {
      void service.dispose();
      throw new ReconError('INVALID_OPTION', `The exporter ${JSON.stringify(id)} comes from plugin "${p.id}", which has failed: ${p.reason}`, 'Fix the plugin (see docs/plugins.md) or leave out this --export.');
    }
  }
  return {
    async run(folder, source) {
      const summary = summariseFolder(folder);
      const outcomes = await service.runExporters(ids, reconstructionResult(undefined, source, summary), folder.dir);
      const files: Record<string, string> = {};
      for (const o of outcomes) for (const f of o.files) files[exportFileKey(o.exporter, folder.dir, f)] = f;
      return { outcomes, files };
    },
    dispose: () => service.dispose(),
  };
}

/** Lines for the CLI's summary: one per exporter, its files relative to the photo's folder, or why it failed. */
export function describeExports(outcomes: ExportOutcome[], dir: string): string {
  return outcomes
    .map((o) =>
      o.error
        ? `     FAIL export ${o.exporter}: ${o.error.data.code}: ${o.error.message}\n     hint: ${o.error.data.hint}\n`
        : `     export ${o.exporter}: ${o.files.map((f) => path.relative(dir, f)).join(', ') || '(no files)'}\n`,
    )
    .join('');
}
