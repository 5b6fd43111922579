import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { StartFlags } from '../../server/lifecycle.js';

/** The daemon's settings as flags; shared by start and restart. No yargs defaults: unset flags let env and config.json decide. */
export function daemonOptions<T>(y: Argv<T>) {
  return y
    .option('foreground', { type: 'boolean', describe: 'Run in this process (for service managers) instead of detaching' })
    .option('port', { type: 'number', describe: 'TCP port (default 47613; 0 picks a free one, written to daemon.json) [env RECON_DAEMON_PORT]' })
    .option('host', { type: 'string', describe: 'Address to listen on (default 127.0.0.1) [env RECON_DAEMON_HOST]' })
    .option('allow-lan', { type: 'boolean', describe: 'Allow a non-loopback --host such as 0.0.0.0 (the token is still required) [env RECON_DAEMON_ALLOW_LAN]' })
    .option('workers', { type: 'number', describe: 'Worker threads, each with its own models (default: number of cores) [env RECON_DAEMON_WORKERS]' })
    .option('output-root', { type: 'string', describe: 'Folder for job outputs, one sub-folder per job (default $XDG_DATA_HOME/recon-daemon/jobs) [env RECON_DAEMON_OUTPUT_ROOT]' })
    .option('max-queue', { type: 'number', describe: 'Jobs that may wait for a worker before SERVER_BUSY (default 100) [env RECON_DAEMON_MAX_QUEUE]' })
    .option('max-payload', { type: 'number', describe: 'Largest WebSocket frame in bytes (default 33554432 = 32 MiB) [env RECON_DAEMON_MAX_PAYLOAD]' })
    .option('max-pixels', { type: 'number', describe: 'Largest decoded photo in pixels (default 50000000) [env RECON_DAEMON_MAX_PIXELS]' })
    .option('shutdown-grace-ms', { type: 'number', describe: 'How long running jobs may finish on stop before they are cancelled (default 10000) [env RECON_DAEMON_SHUTDOWN_GRACE_MS]' })
    .option('plugin-dir', {
      alias: 'plugin-dirs',
      type: 'string',
      array: true,
      describe: 'Also load plugins from this folder (each sub-folder with a package.json, or the folder itself); repeatable; reloaded on change (docs/plugins.md) [env RECON_DAEMON_PLUGIN_DIRS]',
    })
    .option('plugin-timeout-ms', { type: 'number', describe: 'Budget of every call into a plugin before it is stopped (default 10000) [env RECON_DAEMON_PLUGIN_TIMEOUT_MS]' })
    .option('queue', { type: 'string', describe: 'Also take photos from this Redis queue of `batch --queue` (redis://host:6379/0, rediss:// for TLS; password in RECON_QUEUE_PASSWORD) with the daemon\'s workers (docs/cluster.md)' })
    .option('queue-name', { type: 'string', describe: 'Queue name within that Redis (default recon-batch)' })
    .option('umask', { type: 'string', describe: 'The daemon\'s umask, octal (default 077: outputs are 0700 folders and 0600 files) [env RECON_DAEMON_UMASK]' })
    .option('log-max-bytes', { type: 'number', describe: 'Rotate the log file past this size, keeping two older ones (default 10485760) [env RECON_DAEMON_LOG_MAX_BYTES]' })
    .option('log-level', { choices: ['debug', 'info', 'warn', 'error'] as const, describe: 'Log detail (default info)' })
    .option('start-timeout', { type: 'number', describe: 'Seconds to wait for a detached daemon to listen (default 60)' });
}

/** A flag given twice arrives as an array; the last one wins, as in most CLIs. */
function last(v: unknown): unknown {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function startFlags(raw: Record<string, unknown>): StartFlags {
  const a = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, last(v)]));
  return {
    foreground: a.foreground as boolean | undefined,
    port: a.port as number | undefined,
    host: a.host as string | undefined,
    allowLan: a.allowLan as boolean | undefined,
    workers: a.workers as number | undefined,
    outputRoot: a.outputRoot as string | undefined,
    maxQueue: a.maxQueue as number | undefined,
    maxPayload: a.maxPayload as number | undefined,
    maxPixels: a.maxPixels as number | undefined,
    shutdownGraceMs: a.shutdownGraceMs as number | undefined,
    // Repeatable: every --plugin-dir counts (not only the last), relative to where the command runs.
    pluginDirs: raw.pluginDir === undefined ? undefined : ([] as unknown[]).concat(raw.pluginDir).map((d) => path.resolve(String(d))),
    pluginTimeoutMs: a.pluginTimeoutMs as number | undefined,
    umask: a.umask === undefined ? undefined : String(a.umask),
    logMaxBytes: a.logMaxBytes as number | undefined,
    logLevel: a.logLevel as StartFlags['logLevel'],
    startTimeout: a.startTimeout as number | undefined,
    queue: a.queue as string | undefined,
    queueName: a.queueName as string | undefined,
  };
}

export const startCommand: CommandModule<object, Record<string, unknown>> = {
  command: 'start',
  describe: 'Start the daemon (detached; --foreground to stay attached). Settings: flags > env > config.json',
  builder: (y) =>
    daemonOptions(y)
      .example('$0 start', 'listen on ws://127.0.0.1:47613/ with one worker per core')
      .example('$0 start --foreground --port 0 --workers 1', 'stay attached, pick a free port') as never,
  handler: async (args) => {
    const { runStart } = await import('../../server/lifecycle.js');
    process.exitCode = await runStart(startFlags(args));
  },
};
