// Daemon settings: command-line flags > environment (RECON_DAEMON_*) > config.json in the config dir >
// defaults. Every limit is here with its default; each one is checked once, with the same wording as
// protocol params ("Expected integer 0–65535 for port (from RECON_DAEMON_PORT) but received 99999").
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { EXPECTED } from '../rpc/protocol.js';
import { formatIssue } from '../rpc/validate.js';
import { daemonPaths, type DaemonPaths, type Env } from './paths.js';

export const DEFAULT_PORT = 47613;
/** 32 MiB: a base64 photo of ~24 MB fits; far below ws's 100 MiB default. */
export const DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;
/** Same as the engine's DEFAULT_MAX_PIXELS (not imported: that module loads sharp, the main thread does not). */
export const DEFAULT_MAX_PIXELS = 50_000_000;
export const DEFAULT_MAX_QUEUE = 100;
export const DEFAULT_MAX_CONNECTIONS = 64;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
export const DEFAULT_PLUGIN_TIMEOUT_MS = 10_000;
/** Files and folders the daemon creates are private: 0700 folders, 0600 files (face photos, meshes, logs). */
export const DEFAULT_UMASK = '077';
/** The detached daemon's log is rotated past this size, keeping two older files (daemon.log.1, .2). */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** result.read refuses bigger files (the response is one frame). */
export const MAX_READ_BYTES = 64 * 1024 * 1024;

export interface Settings {
  host: string;
  port: number;
  allowLan: boolean;
  workers: number;
  outputRoot: string;
  maxQueue: number;
  maxPayload: number;
  maxPixels: number;
  maxConnections: number;
  allowedOrigins: string[];
  shutdownGraceMs: number;
  /** Extra plugin folders (`--plugin-dir`), after the built-ins and <config dir>/plugins (docs/plugins.md). */
  pluginDirs: string[];
  /** Budget of every call into a plugin (activate, command, exporter…) before it is stopped. */
  pluginTimeoutMs: number;
  /** The daemon process's umask (octal digits): it decides the modes of every output folder and file. */
  umask: string;
  /** Size at which the log file is rotated. */
  logMaxBytes: number;
}

export class ConfigError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = 'ConfigError';
    this.hint = hint;
  }
}

const exp = (what: string) => ({ error: `${EXPECTED}${what}` });
const int = (what: string, min: number, max: number) => z.number(exp(what)).int(exp(what)).min(min, exp(what)).max(max, exp(what));

const SettingsSchema = z.strictObject({
  host: z.string(exp('a host name or IP address')).min(1, exp('a host name or IP address')),
  port: int('integer 0–65535', 0, 65535),
  allowLan: z.boolean(exp('a boolean')),
  workers: int('integer 1–64', 1, 64),
  outputRoot: z.string(exp('an absolute folder path')).refine((p) => path.isAbsolute(p), exp('an absolute folder path')),
  maxQueue: int('integer 0–100000', 0, 100_000),
  maxPayload: int('integer 1024–1073741824 (bytes)', 1024, 1024 ** 3),
  maxPixels: int('integer ≥ 1', 1, Number.MAX_SAFE_INTEGER),
  maxConnections: int('integer 1–10000', 1, 10_000),
  allowedOrigins: z.array(z.string(exp('an origin like "https://example.com"')), exp('an array of origins')),
  shutdownGraceMs: int('integer 0–600000 (milliseconds)', 0, 600_000),
  pluginDirs: z.array(
    z.string(exp('an absolute folder path')).refine((p) => path.isAbsolute(p), exp('an absolute folder path')),
    exp('an array of absolute folder paths'),
  ),
  pluginTimeoutMs: int('integer 100–600000 (milliseconds)', 100, 600_000),
  umask: z.string(exp('three octal digits like "077"')).regex(/^0?[0-7]{3}$/, exp('three octal digits like "077"')),
  logMaxBytes: int('integer 65536–1073741824 (bytes)', 65_536, 1024 ** 3),
});
const PartialSettings = SettingsSchema.partial();
export type PartialSettings = z.infer<typeof PartialSettings>;

/** Environment variable per setting. */
export const ENV_VARS: Record<keyof Settings, string> = {
  host: 'RECON_DAEMON_HOST',
  port: 'RECON_DAEMON_PORT',
  allowLan: 'RECON_DAEMON_ALLOW_LAN',
  workers: 'RECON_DAEMON_WORKERS',
  outputRoot: 'RECON_DAEMON_OUTPUT_ROOT',
  maxQueue: 'RECON_DAEMON_MAX_QUEUE',
  maxPayload: 'RECON_DAEMON_MAX_PAYLOAD',
  maxPixels: 'RECON_DAEMON_MAX_PIXELS',
  maxConnections: 'RECON_DAEMON_MAX_CONNECTIONS',
  allowedOrigins: 'RECON_DAEMON_ALLOWED_ORIGINS',
  shutdownGraceMs: 'RECON_DAEMON_SHUTDOWN_GRACE_MS',
  pluginDirs: 'RECON_DAEMON_PLUGIN_DIRS',
  pluginTimeoutMs: 'RECON_DAEMON_PLUGIN_TIMEOUT_MS',
  umask: 'RECON_DAEMON_UMASK',
  logMaxBytes: 'RECON_DAEMON_LOG_MAX_BYTES',
};

export function defaultSettings(paths: DaemonPaths): Settings {
  return {
    host: '127.0.0.1',
    port: DEFAULT_PORT,
    allowLan: false,
    workers: Math.max(1, Math.min(64, os.availableParallelism())),
    outputRoot: paths.defaultOutputRoot,
    maxQueue: DEFAULT_MAX_QUEUE,
    maxPayload: DEFAULT_MAX_PAYLOAD,
    maxPixels: DEFAULT_MAX_PIXELS,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    allowedOrigins: [],
    shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS,
    pluginDirs: [],
    pluginTimeoutMs: DEFAULT_PLUGIN_TIMEOUT_MS,
    umask: DEFAULT_UMASK,
    logMaxBytes: DEFAULT_LOG_MAX_BYTES,
  };
}

function check(input: Record<string, unknown>, source: (key: string) => string): PartialSettings {
  // An unset flag arrives as undefined; it must not override a lower-precedence value.
  const values = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const r = PartialSettings.safeParse(values);
  if (r.success) return r.data;
  const msgs = r.error.issues.map((i) => `${formatIssue(i, values)} (${source(String(i.path[0] ?? ''))})`);
  throw new ConfigError(`Invalid daemon setting: ${msgs.join('; ')}`, 'Fix the flag, environment variable or config.json entry named above.');
}

function readEnv(env: Env): PartialSettings {
  const values: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV_VARS) as Array<[keyof Settings, string]>) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (key === 'host' || key === 'outputRoot' || key === 'umask') values[key] = raw;
    else if (key === 'allowLan') values[key] = raw === '1' || raw === 'true' ? true : raw === '0' || raw === 'false' ? false : raw;
    else if (key === 'allowedOrigins') values[key] = raw.split(',').map((s) => s.trim()).filter(Boolean);
    else if (key === 'pluginDirs') values[key] = raw.split(path.delimiter).map((s) => s.trim()).filter(Boolean);
    else values[key] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  return check(values, (k) => `from ${ENV_VARS[k as keyof Settings] ?? 'the environment'}`);
}

function readFile(file: string): PartialSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`, 'Fix or delete the file; every key is optional.');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(`${file} must hold a JSON object`, 'Fix or delete the file; every key is optional.');
  }
  return check(json as Record<string, unknown>, () => `in ${file}`);
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface ResolvedConfig {
  settings: Settings;
  paths: DaemonPaths;
}

/** flags > env > config file > defaults. `flags` holds only what the user actually passed. */
export function resolveConfig(flags: PartialSettings & object, env: Env = process.env): ResolvedConfig {
  const paths = daemonPaths(env);
  // Callers pass their whole flag set (foreground, logLevel…); only the settings count here.
  const settingFlags = Object.fromEntries(Object.entries(flags).filter(([k]) => k in ENV_VARS));
  const fromFlags = check(settingFlags, (k) => `from --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  const settings: Settings = { ...defaultSettings(paths), ...readFile(paths.configFile), ...readEnv(env), ...fromFlags };
  settings.outputRoot = path.resolve(settings.outputRoot);
  if (!isLoopbackHost(settings.host) && !settings.allowLan) {
    throw new ConfigError(
      `Refusing to listen on ${settings.host}: only loopback addresses are allowed without --allow-lan`,
      'Pass --allow-lan (or allowLan: true in config.json) to accept connections from other machines; the token is still required.',
    );
  }
  return { settings, paths };
}
