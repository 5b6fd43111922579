// The contract between the daemon and its plugin host process: JSON-RPC 2.0 (json-rpc-2.0) over the Node IPC
// channel of a forked child, plain-data arguments only. Every call from the daemon names one plugin, so a
// failure, a timeout or a crash can be blamed on it. Declared once here; both ends use these names.
import type { ReconstructionResult } from './api/recon-daemon.js';

export type { ReconstructionResult };

/** What the host needs to load one plugin. */
export interface HostPluginSpec {
  id: string;
  version: string;
  dir: string;
  /** Absolute path of the entry file. */
  main: string;
  format: 'cjs' | 'esm';
  /** Contributed exporter ids: the only ones the plugin may register. */
  exporters: string[];
  /** Bumped on every reload, so ES modules are imported afresh. */
  generation: number;
}

/** The error `data` of a failed host call. */
export interface HostErrorData {
  code: 'PLUGIN_ERROR' | 'PLUGIN_EXIT' | 'NOT_FOUND' | 'NOT_LOADED';
  pluginId?: string;
  /** The plugin's stack trace, for the daemon log (never sent to clients). */
  stack?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Daemon → host requests

/**
 * Every request's params also carry `_call` (a sequence number); the host answers `call.started {call}` the
 * moment it starts running the request. When the host stops responding, the call started last is the one
 * holding its event loop: a synchronous loop lets nothing start after it.
 */
export const CALL_ID_FIELD = '_call';

export interface HostMethods {
  /** First call: the plugin list. */
  'host.initialize': { params: { apiVersion: string; timeoutMs: number; plugins: HostPluginSpec[] }; result: { pid: number } };
  /** Add or replace a plugin (after a reload); an active previous version is deactivated first. */
  'host.setPlugin': { params: { spec: HostPluginSpec }; result: Record<string, never> };
  /** Deactivate and forget a plugin. */
  'host.removePlugin': { params: { pluginId: string }; result: Record<string, never> };
  /** Deactivate every plugin (each with the time budget), before the daemon stops the host. */
  'host.shutdown': { params: Record<string, never>; result: Record<string, never> };
  /** Liveness: answered only when the host's event loop is free. */
  'host.ping': { params: Record<string, never>; result: { time: number } };
  'plugin.activate': { params: { pluginId: string; event: string }; result: { ms: number } };
  'plugin.deactivate': { params: { pluginId: string }; result: Record<string, never> };
  'command.execute': { params: { pluginId: string; command: string; args: unknown[] }; result: { value: unknown } };
  'exporter.run': { params: { pluginId: string; exporter: string; result: ReconstructionResult; outDir: string }; result: { files: string[] } };
  'event.didReconstruct': { params: { pluginId: string; result: ReconstructionResult }; result: Record<string, never> };
}
export type HostMethod = keyof HostMethods;

// ---------------------------------------------------------------------------------------------------------
// Host → daemon

export type MessageLevel = 'info' | 'warning' | 'error';

export interface DaemonMethods {
  /** A plugin's commands.executeCommand for a command not registered in the host (activation may be needed). */
  'daemon.executeCommand': { params: { pluginId: string; command: string; args: unknown[] }; result: { value: unknown } };
}

export interface DaemonNotifications {
  /** window.showMessage. */
  'window.showMessage': { pluginId: string; level: MessageLevel; message: string };
  /** The host began running the request with this `_call` number. */
  'call.started': { call: number };
  /** A plugin's logger. */
  log: { pluginId: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string };
  /** What a plugin has registered, after every change. */
  'registry.changed': { pluginId: string; commands: string[]; exporters: string[]; listeners: number };
  /**
   * A plugin failed outside a call: an exception in a timer or process.exit() (fatal: the plugin is stopped),
   * or an unhandled promise rejection (reported only).
   */
  'plugin.failed': { pluginId: string; reason: string; fatal: boolean; stack?: string };
}

/** The host's script, relative to this file once compiled. */
export const HOST_SCRIPT = './host/main.js';
