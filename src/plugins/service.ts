// The daemon's side of plugins: discovery, manifests, state (inactive / active / failed + reason), lazy
// activation by event, the commands and exporters clients use, hot reload, and the plugin host process with
// its restarts. Plugin code never runs in the daemon: every call goes to the host (host-process.ts), is
// time-boxed, and is made for one plugin, so a throw, a hang or a crash is put down to the plugin that caused
// it while the daemon, its jobs and its clients carry on.
//
// Failure policy:
// - activate throws / rejects, an uncaught exception in the plugin's timers, process.exit(): the plugin fails.
// - a command, exporter or listener throws: the caller gets the error, the plugin stays active (errors/lastError).
// - a call does not answer within timeoutMs: the plugin fails; if the host's event loop is stuck too (a
//   synchronous loop), the host is killed and restarted, and the other active plugins are activated again.
// - the host dies (a plugin killed it): plugins with calls in flight fail; the host restarts with backoff
//   (250 ms doubling to 30 s; it gives up after 8 crashes in a row, until a plugin's files change).
// A failed plugin stays failed until its files change (hot reload) or the daemon restarts.
import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { RpcError } from '../rpc/errors.js';
import {
  JobCompleted,
  JobFailed,
  JobProgress,
  type CommandInfo,
  type ExportOutcome,
  type JobCompletedResult,
  type PluginHostInfo,
  type PluginInfo,
  type PluginsListResult,
  type WindowShowMessageParams,
} from '../rpc/protocol.js';
import type { JobNotification } from '../server/jobs.js';
import type { Logger } from '../server/log.js';
import { PLUGIN_API_VERSION } from './api-version.js';
import type { DaemonNotifications, HostMethod, HostMethods, HostPluginSpec, ReconstructionResult } from './host-protocol.js';
import { HostCallError, HostProcess, type HostExit } from './host-process.js';
import { activationEventsOf, formatProblems, type ManifestProblem, type PluginManifest } from './manifest.js';
import { hasManifest, pluginFolders, scanPlugin, scanRoots, type PluginRoot, type PluginSource, type ScannedPlugin } from './scan.js';

const PING_MS = 1000;
const HOST_START_MS = 15_000;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 30_000;
const MAX_CRASHES = 8;
/** A host that ran this long before dying starts the crash count afresh. */
const STABLE_MS = 60_000;
const DEBOUNCE_MS = 250;

const HINT_FIX = "Fix the plugin; it is reloaded when its files change (plugins.list shows each plugin's state and reason).";

export interface PluginServiceOptions {
  /** Where plugins come from, in any order (precedence: dir > user > builtin). */
  roots: PluginRoot[];
  /** Budget of every call into a plugin: activate, deactivate, a command, an exporter, a listener. */
  timeoutMs: number;
  log: Logger;
  /** Reload plugins when their files change (user and --plugin-dir folders; built-ins are not watched). */
  watch?: boolean;
  /** A plugin's window.showMessage (and plugin failures), for the clients. */
  onMessage?: (p: WindowShowMessageParams) => void;
  apiVersion?: string;
  debounceMs?: number;
}

interface PluginRecord {
  dir: string;
  source: PluginSource;
  id: string;
  manifest?: PluginManifest;
  problems?: ManifestProblem[];
  /** Shadowed by a plugin of the same name, or a command/exporter id taken by another plugin. */
  conflict?: string;
  /** Why it failed at run time. */
  failure?: string;
  active: boolean;
  activationEvent?: string;
  activatedAt?: Date;
  activationMs?: number;
  errors: number;
  lastError?: { message: string; at: Date };
  generation: number;
  registered: { commands: string[]; exporters: string[]; listeners: number };
  activating?: Promise<void>;
  /** The current host knows this record's spec. */
  inHost: boolean;
}

const SOURCE_ORDER: Record<PluginSource, number> = { builtin: 0, user: 1, dir: 2 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job's completed result as exporters and listeners see it. */
export function reconstructionResult(jobId: string | undefined, source: string, r: JobCompletedResult): ReconstructionResult {
  return {
    ...(jobId ? { jobId } : {}),
    dir: r.dir,
    source,
    files: { ...r.files },
    ...(r.verdict ? { verdict: r.verdict } : {}),
    pose: r.pose,
    faces: r.faces,
    reconstructed: r.reconstructed,
    timings: r.timings,
  };
}

/** Exporter files keyed for `files`: "<exporter>:<path relative to the job folder>". */
export function exportFileKey(exporter: string, dir: string, file: string): string {
  return `${exporter}:${path.relative(dir, file).split(path.sep).join('/')}`;
}

export class PluginService {
  private records: PluginRecord[] = [];
  private byId = new Map<string, PluginRecord>();
  private commandOwners = new Map<string, PluginRecord>();
  private exporterOwners = new Map<string, PluginRecord>();
  private readonly apiVersion: string;

  private host: HostProcess | undefined;
  private hostReady: Promise<HostProcess> | undefined;
  private hostState: PluginHostInfo['state'] = 'stopped';
  private restarts = 0;
  private crashes = 0;
  private notBefore = 0;
  private lastExit: PluginHostInfo['lastExit'];
  private killReason: string | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  private watchers: FSWatcher[] = [];
  private changed = new Set<string>();
  private debounce: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();

  private readonly jobExporters = new Map<string, string[]>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly o: PluginServiceOptions) {
    this.apiVersion = o.apiVersion ?? PLUGIN_API_VERSION;
  }

  // -------------------------------------------------------------------------------------------------------
  // Start, stop, discovery

  /** Scan the plugin folders, start watching, activate onStartup plugins (in the background). */
  start(): void {
    for (const root of this.o.roots) if (root.source === 'dir' && !fs.existsSync(root.dir)) this.o.log.warn('plugin folder not found', { dir: root.dir });
    this.records = scanRoots(this.o.roots, this.apiVersion).map((s) => this.newRecord(s));
    this.resolveConflicts();
    for (const r of this.records) {
      const why = this.failedReason(r);
      if (why) this.o.log.warn('plugin skipped', { plugin: r.id, dir: r.dir, reason: why });
    }
    this.o.log.info('plugins found', { plugins: this.records.map((r) => `${r.id}@${r.manifest?.version ?? '?'} (${r.source})`) });
    if (this.o.watch) this.startWatching();
    this.activateOnStartup(this.records);
  }

  /** Wait for exporters still running, deactivate every plugin (time-boxed) and stop the host. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    await Promise.allSettled([...this.pending]);
    this.disposed = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.debounce);
    await Promise.allSettled(this.watchers.map((w) => w.close()));
    const host = this.host;
    if (host) await host.stop(this.o.timeoutMs);
    this.hostState = 'stopped';
  }

  private newRecord(s: ScannedPlugin, old?: PluginRecord): PluginRecord {
    const ok = s.result.ok ? s.result.manifest : undefined;
    return {
      dir: s.dir,
      source: s.source,
      id: ok?.id ?? (!s.result.ok && s.result.name ? s.result.name : path.basename(s.dir)),
      ...(ok ? { manifest: ok } : { problems: (s.result as { problems: ManifestProblem[] }).problems }),
      active: false,
      errors: 0,
      generation: old ? old.generation + 1 : 0,
      registered: { commands: [], exporters: [], listeners: 0 },
      inHost: false,
    };
  }

  /** Same name twice: --plugin-dir beats the user folder beats the built-ins. Then contributions must be unique. */
  private resolveConflicts(): void {
    const order = [...this.records].sort((a, b) => SOURCE_ORDER[b.source] - SOURCE_ORDER[a.source] || a.dir.localeCompare(b.dir));
    const ids = new Map<string, PluginRecord>();
    const commands = new Map<string, PluginRecord>();
    const exporters = new Map<string, PluginRecord>();
    for (const r of order) {
      r.conflict = undefined;
      const m = r.manifest;
      if (!m) continue;
      const winner = ids.get(r.id);
      if (winner) {
        r.conflict = `a plugin with the same name in ${winner.dir} takes precedence`;
        continue;
      }
      const clash =
        m.contributes.commands.map((c, i) => [c.command, i, commands.get(c.command), 'commands', 'command'] as const).find((x) => x[2]) ??
        m.contributes.exporters.map((e, i) => [e.id, i, exporters.get(e.id), 'exporters', 'id'] as const).find((x) => x[2]);
      if (clash) {
        r.conflict = `contributes.${clash[3]}[${clash[1]}].${clash[4]}: ${JSON.stringify(clash[0])} is already contributed by plugin "${clash[2]!.id}"`;
        continue;
      }
      ids.set(r.id, r);
      for (const c of m.contributes.commands) commands.set(c.command, r);
      for (const e of m.contributes.exporters) exporters.set(e.id, r);
    }
    this.byId = ids;
    this.commandOwners = commands;
    this.exporterOwners = exporters;
    this.records.sort((a, b) => SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] || a.id.localeCompare(b.id) || a.dir.localeCompare(b.dir));
  }

  private usable(r: PluginRecord): r is PluginRecord & { manifest: PluginManifest } {
    return r.manifest !== undefined && r.conflict === undefined;
  }

  private failedReason(r: PluginRecord): string | undefined {
    if (r.problems) return `Invalid manifest: ${formatProblems(r.problems)}`;
    return r.conflict ?? r.failure;
  }

  private spec(r: PluginRecord & { manifest: PluginManifest }): HostPluginSpec {
    const m = r.manifest;
    return { id: r.id, version: m.version, dir: r.dir, main: m.mainPath, format: m.format, exporters: m.contributes.exporters.map((e) => e.id), generation: r.generation };
  }

  private activateOnStartup(records: PluginRecord[]): void {
    for (const r of records) {
      if (this.usable(r) && !this.failedReason(r) && activationEventsOf(r.manifest).has('onStartup')) void this.activate(r, 'onStartup').catch(() => undefined);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Hot reload

  private startWatching(): void {
    for (const root of this.o.roots) {
      if (root.source === 'builtin') continue;
      const single = root.source === 'dir' && hasManifest(root.dir);
      if (!fs.existsSync(root.dir)) continue;
      const w = watch(root.dir, {
        ignoreInitial: true,
        depth: 12,
        ignored: (p: string) => {
          const rel = path.relative(root.dir, p);
          return rel.split(path.sep).some((seg) => seg === 'node_modules' || (seg.startsWith('.') && seg !== '.' && seg !== '..'));
        },
      });
      w.on('all', (_event: string, p: string) => {
        const rel = path.relative(root.dir, p);
        if (!single && (rel === '' || rel.startsWith('..'))) return;
        this.changed.add(single ? path.resolve(root.dir) : path.join(root.dir, rel.split(path.sep)[0]));
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.flushChanges(), this.o.debounceMs ?? DEBOUNCE_MS);
      });
      w.on('error', (e: unknown) => this.o.log.warn('plugin folder watch error', { dir: root.dir, error: (e as Error).message }));
      this.watchers.push(w);
    }
  }

  private flushChanges(): void {
    const changed = this.changed;
    this.changed = new Set();
    this.refreshing = this.refreshing.then(() => this.refresh(changed)).catch((e: unknown) => this.o.log.error('plugin reload failed', { error: (e as Error).message }));
  }

  /** Re-read the plugin folders; reload the changed ones in the host without touching the others. */
  async refresh(changed: Set<string>): Promise<void> {
    if (this.disposed) return;
    const scanned = this.o.roots.flatMap((root) => pluginFolders(root).map((d) => scanPlugin(d, root.source, this.apiVersion)));
    const left = new Map(this.records.map((r) => [r.dir, r]));
    const next: PluginRecord[] = [];
    const swaps: Array<{ old?: PluginRecord; rec?: PluginRecord }> = [];
    for (const s of scanned) {
      const old = left.get(s.dir);
      left.delete(s.dir);
      if (old && !changed.has(s.dir)) {
        next.push(old);
        continue;
      }
      const rec = this.newRecord(s, old);
      next.push(rec);
      swaps.push({ old, rec });
    }
    for (const old of left.values()) swaps.push({ old });
    if (!swaps.length) return;
    // New records start clean: a failure is forgotten once the plugin's files change.
    this.records = next;
    this.resolveConflicts();
    if (this.hostState === 'failed') {
      this.hostState = 'stopped';
      this.crashes = 0;
    }
    const host = this.host?.alive && this.hostState === 'running' ? this.host : undefined;
    // Replacing a plugin in the host runs the old one's deactivate, which has the whole budget of its own.
    const swapMs = 2 * this.o.timeoutMs + 1000;
    // A plugin that an added one now shadows (or clashes with) leaves the host.
    for (const r of next) {
      if (!r.inHost || this.usable(r) || swaps.some((x) => x.old === r || x.rec === r)) continue;
      r.active = false;
      r.inHost = false;
      if (host && !this.byId.has(r.id)) await host.call('host.removePlugin', { pluginId: r.id }, r.id, 'deactivate', swapMs).catch(() => undefined);
    }
    for (const { old, rec } of swaps) {
      if (host && old?.inHost && (!rec || !this.usable(rec) || rec.id !== old.id)) {
        await host.call('host.removePlugin', { pluginId: old.id }, old.id, 'deactivate', swapMs).catch(() => undefined);
      }
      if (host && rec && this.usable(rec)) {
        await host.call('host.setPlugin', { spec: this.spec(rec) }, rec.id, 'reload', swapMs).then(
          () => (rec.inHost = true),
          () => undefined,
        );
      }
      const what = !rec ? 'removed' : !old ? 'added' : 'reloaded';
      const why = rec && this.failedReason(rec);
      this.o.log.info(`plugin ${what}`, { plugin: rec?.id ?? old?.id, dir: rec?.dir ?? old?.dir, ...(why ? { reason: why } : {}) });
      if (rec && this.usable(rec) && !why) {
        const event = old?.active ? (old.activationEvent ?? 'onStartup') : activationEventsOf(rec.manifest).has('onStartup') ? 'onStartup' : undefined;
        if (event) void this.activate(rec, event).catch(() => undefined);
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // The host process

  private ensureHost(): Promise<HostProcess> {
    if (this.disposed) return Promise.reject(RpcError.of('SHUTTING_DOWN', 'The daemon is shutting down; plugins are stopped'));
    if (this.hostState === 'failed') {
      return Promise.reject(
        RpcError.of('REQUEST_FAILED', `The plugin host crashed ${MAX_CRASHES} times in a row and was not restarted (last: ${this.lastExit?.reason ?? 'unknown'})`, {
          code: 'PLUGIN_HOST_FAILED',
          hint: 'See plugins.list and the daemon log; the host starts again when a plugin changes, or restart the daemon.',
        }),
      );
    }
    this.hostReady ??= this.startHost().catch((e: unknown) => {
      this.hostReady = undefined;
      throw e instanceof RpcError ? e : RpcError.of('REQUEST_FAILED', `The plugin host did not start: ${(e as Error).message}`, { code: 'PLUGIN_HOST_CRASHED', hint: 'See the daemon log.' });
    });
    return this.hostReady;
  }

  private async startHost(): Promise<HostProcess> {
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      this.hostState = 'restarting';
      await sleep(wait);
    }
    if (this.disposed) throw RpcError.of('SHUTTING_DOWN', 'The daemon is shutting down; plugins are stopped');
    this.hostState = 'starting';
    const host: HostProcess = new HostProcess({
      log: this.o.log,
      onNotification: (method, params) => this.onHostNotification(method, params),
      onExecuteCommand: async (p) => ({ value: await this.executeCommand(p.command, p.args) }),
      onExit: (exit) => this.onHostExit(host, exit),
    });
    this.host = host;
    const usable = this.records.filter((r) => this.usable(r));
    try {
      await host.call(
        'host.initialize',
        { apiVersion: this.apiVersion, timeoutMs: this.o.timeoutMs, plugins: usable.map((r) => this.spec(r as PluginRecord & { manifest: PluginManifest })) },
        '',
        'initialize',
        HOST_START_MS,
      );
    } catch (e) {
      if (host.alive) await host.kill();
      throw e instanceof HostCallError ? new Error(e.message) : e;
    }
    for (const r of usable) r.inHost = true;
    this.hostState = 'running';
    this.o.log.info('plugin host started', { pid: host.pid });
    return host;
  }

  private onHostExit(host: HostProcess, exit: HostExit): void {
    if (host !== this.host) return;
    this.host = undefined;
    this.hostReady = undefined;
    const wasActive = this.records.filter((r) => r.active);
    for (const r of this.records) {
      r.active = false;
      r.inHost = false;
      r.registered = { commands: [], exporters: [], listeners: 0 };
    }
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    const reason = exit.expected ? (this.killReason ?? 'stopped by the daemon') : `exited unexpectedly (${how})`;
    this.killReason = undefined;
    this.lastExit = { code: exit.code, signal: exit.signal, at: new Date().toISOString(), reason };
    if (this.disposed) {
      this.hostState = 'stopped';
      return;
    }
    if (!exit.expected) {
      // The call the host started last was running when it died (the usual way: a synchronous kill or crash).
      const last = exit.inFlight.filter((f) => f.pluginId && f.started).sort((a, b) => b.started - a.started)[0];
      const r = last && this.byId.get(last.pluginId);
      if (r) this.fail(r, `the plugin host ${reason} while the plugin was running ${last.what}`);
      this.o.log.error('plugin host exited', { code: exit.code, signal: exit.signal, blamed: last?.pluginId ?? null, running: exit.inFlight.map((f) => `${f.pluginId}: ${f.what}`) });
    }
    this.crashes = exit.uptimeMs > STABLE_MS ? 1 : this.crashes + 1;
    if (this.crashes > MAX_CRASHES) {
      this.hostState = 'failed';
      this.o.log.error('plugin host keeps crashing; not restarting it', { crashes: this.crashes - 1 });
      return;
    }
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.crashes - 1));
    this.notBefore = Date.now() + delay;
    this.restarts++;
    const again = wasActive.filter((r) => this.usable(r) && !this.failedReason(r));
    const startup = this.records.filter((r) => this.usable(r) && !this.failedReason(r) && !again.includes(r) && activationEventsOf(r.manifest!).has('onStartup'));
    if (!again.length && !startup.length) {
      this.hostState = 'stopped'; // started again on demand, after the backoff
      return;
    }
    this.hostState = 'restarting';
    this.o.log.warn('restarting the plugin host', { inMs: delay, reactivate: again.map((r) => r.id) });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      for (const r of again) void this.activate(r, r.activationEvent ?? 'onStartup').catch(() => undefined);
      this.activateOnStartup(startup);
    }, delay);
  }

  private onHostNotification<N extends keyof DaemonNotifications>(method: N, params: DaemonNotifications[N]): void {
    const { log } = this.o;
    switch (method) {
      case 'window.showMessage': {
        const p = params as DaemonNotifications['window.showMessage'];
        log.info('plugin message', { plugin: p.pluginId, level: p.level, message: p.message });
        this.o.onMessage?.({ plugin: p.pluginId, level: p.level, message: p.message });
        return;
      }
      case 'log': {
        const p = params as DaemonNotifications['log'];
        log[p.level](p.pluginId ? `plugin ${p.pluginId}: ${p.message}` : p.message, p.pluginId ? { plugin: p.pluginId } : undefined);
        return;
      }
      case 'registry.changed': {
        const p = params as DaemonNotifications['registry.changed'];
        const r = this.byId.get(p.pluginId);
        if (r) r.registered = { commands: p.commands, exporters: p.exporters, listeners: p.listeners };
        return;
      }
      case 'plugin.failed': {
        const p = params as DaemonNotifications['plugin.failed'];
        const r = this.byId.get(p.pluginId);
        if (!r) return;
        log.error('plugin error outside a call', { plugin: p.pluginId, reason: p.reason, stack: p.stack });
        if (!p.fatal) return this.noteError(r, p.reason);
        this.fail(r, p.reason);
        const host = this.host;
        if (host?.alive) void host.call('plugin.deactivate', { pluginId: r.id }, r.id, 'deactivate', this.o.timeoutMs).catch(() => undefined);
        return;
      }
    }
  }

  /** A call into plugin `r`, with the time budget and the failure policy above; rejects with an RpcError. */
  private async call<M extends HostMethod>(r: PluginRecord, method: M, params: HostMethods[M]['params'], what: string, fatal: boolean): Promise<HostMethods[M]['result']> {
    const host = await this.ensureHost();
    try {
      return await host.call(method, params, r.id, what, this.o.timeoutMs);
    } catch (e) {
      if (!(e instanceof HostCallError)) throw e;
      const f = e.failure;
      if (f.kind === 'timeout') {
        const reason = `${what} did not finish within ${this.o.timeoutMs} ms`;
        if (await host.responsive(PING_MS)) {
          // Only this call is stuck (a promise that never settles): stop the plugin, keep the host.
          this.fail(r, reason);
          void host.call('plugin.deactivate', { pluginId: r.id }, r.id, 'deactivate', this.o.timeoutMs).catch(() => undefined);
          throw RpcError.of('REQUEST_FAILED', `Plugin "${r.id}": ${reason}, so it was stopped`, { code: 'PLUGIN_TIMEOUT', plugin: r.id, hint: HINT_FIX });
        }
        // The host's event loop is stuck: in the call it started last (nothing can start after a blocking one).
        const blocker = host.lastStarted(f.call);
        const culprit = blocker && this.byId.get(blocker.pluginId);
        if (culprit) this.fail(culprit, culprit === r ? reason : `${blocker.what} blocked the plugin host for more than ${this.o.timeoutMs} ms`);
        if (host.alive) {
          this.o.log.warn('plugin host is not responding; restarting it', { blockedBy: blocker ? `${blocker.pluginId}: ${blocker.what}` : 'unknown', timedOut: `${r.id}: ${what}` });
          this.killReason = blocker ? `killed because plugin "${blocker.pluginId}" blocked it (${blocker.what})` : 'killed because it stopped responding';
          await host.kill();
        }
        if (culprit === r) throw RpcError.of('REQUEST_FAILED', `Plugin "${r.id}": ${reason}, so it was stopped`, { code: 'PLUGIN_TIMEOUT', plugin: r.id, hint: HINT_FIX });
        throw RpcError.of('REQUEST_FAILED', `Plugin "${r.id}": ${what} could not run: ${blocker ? `plugin "${blocker.pluginId}" blocked the plugin host` : 'the plugin host stopped responding'}, which was restarted`, {
          code: 'PLUGIN_HOST_CRASHED',
          plugin: r.id,
          hint: 'The plugin host restarts by itself; try again.',
        });
      }
      if (f.kind === 'exit') {
        throw RpcError.of('REQUEST_FAILED', `Plugin "${r.id}": ${r.failure ?? `the plugin host stopped while running ${what}`}`, {
          code: 'PLUGIN_HOST_CRASHED',
          plugin: r.id,
          hint: 'The plugin host restarts by itself; try again. plugins.list shows which plugin failed.',
        });
      }
      const exit = f.data.code === 'PLUGIN_EXIT';
      if (f.data.stack) this.o.log.warn('plugin error', { plugin: r.id, what, stack: f.data.stack });
      if (exit || fatal) {
        this.fail(r, f.message);
        if (host.alive) void host.call('plugin.deactivate', { pluginId: r.id }, r.id, 'deactivate', this.o.timeoutMs).catch(() => undefined);
      } else this.noteError(r, f.message);
      throw RpcError.of('REQUEST_FAILED', `Plugin "${r.id}": ${f.message}`, { code: exit || fatal ? 'PLUGIN_FAILED' : 'PLUGIN_ERROR', plugin: r.id, hint: HINT_FIX });
    }
  }

  private fail(r: PluginRecord, reason: string): void {
    r.active = false;
    if (r.failure) return;
    r.failure = reason;
    this.o.log.error('plugin failed', { plugin: r.id, reason });
    this.o.onMessage?.({ plugin: r.id, level: 'error', message: `Plugin "${r.id}" failed: ${reason}` });
  }

  private noteError(r: PluginRecord, message: string): void {
    r.errors++;
    r.lastError = { message, at: new Date() };
  }

  private notRegistered(r: PluginRecord, kind: string, id: string, how: string): RpcError {
    const message = `contributes the ${kind} "${id}" but did not register it (call ${how} in activate)`;
    this.noteError(r, message);
    return RpcError.of('REQUEST_FAILED', `Plugin "${r.id}" ${message}`, { code: 'PLUGIN_ERROR', plugin: r.id, hint: HINT_FIX });
  }

  private failedError(r: PluginRecord): RpcError {
    return RpcError.of('REQUEST_FAILED', `Plugin "${r.id}" has failed: ${this.failedReason(r)}`, { code: 'PLUGIN_FAILED', plugin: r.id, hint: HINT_FIX });
  }

  /** Activate `r` for `event` (once; concurrent callers share the activation). */
  activate(r: PluginRecord, event: string): Promise<void> {
    if (r.active) return Promise.resolve();
    if (this.failedReason(r) || !this.usable(r)) return Promise.reject(this.failedError(r));
    r.activating ??= (async () => {
      const res = await this.call(r, 'plugin.activate', { pluginId: r.id, event }, `activate (${event})`, true);
      if (r.failure) throw this.failedError(r);
      r.active = true;
      r.activationEvent = event;
      r.activatedAt = new Date();
      r.activationMs = res.ms;
      this.o.log.info('plugin activated', { plugin: r.id, event, ms: res.ms });
    })().finally(() => (r.activating = undefined));
    return r.activating;
  }

  // -------------------------------------------------------------------------------------------------------
  // What clients see

  list(): PluginsListResult {
    return {
      apiVersion: this.apiVersion,
      host: {
        state: this.hostState,
        pid: this.host?.alive ? this.host.pid : null,
        restarts: this.restarts,
        ...(this.lastExit ? { lastExit: this.lastExit } : {}),
      },
      plugins: this.records.map((r) => this.info(r)),
    };
  }

  private info(r: PluginRecord): PluginInfo {
    const m = r.manifest;
    const reason = this.failedReason(r);
    return {
      id: r.id,
      ...(m ? { version: m.version } : {}),
      ...(m?.displayName ? { displayName: m.displayName } : {}),
      ...(m?.description ? { description: m.description } : {}),
      dir: r.dir,
      source: r.source,
      state: reason ? 'failed' : r.active ? 'active' : 'inactive',
      ...(reason ? { reason } : {}),
      ...(r.problems ? { problems: r.problems } : {}),
      activationEvents: m ? [...activationEventsOf(m)] : [],
      ...(r.active ? { activationEvent: r.activationEvent, activatedAt: r.activatedAt?.toISOString(), activationMs: r.activationMs } : {}),
      contributes: m ? m.contributes : { commands: [], exporters: [] },
      errors: r.errors,
      ...(r.lastError ? { lastError: { message: r.lastError.message, at: r.lastError.at.toISOString() } } : {}),
    };
  }

  listCommands(): CommandInfo[] {
    const out: CommandInfo[] = [];
    for (const r of this.records) {
      if (!this.usable(r)) continue;
      const state = this.failedReason(r) ? 'failed' : r.active ? 'active' : 'inactive';
      const contributed = new Set(r.manifest.contributes.commands.map((c) => c.command));
      for (const c of r.manifest.contributes.commands) out.push({ command: c.command, title: c.title, plugin: r.id, pluginState: state, registered: r.registered.commands.includes(c.command) });
      for (const c of r.registered.commands) if (!contributed.has(c)) out.push({ command: c, plugin: r.id, pluginState: state, registered: true });
    }
    return out;
  }

  private commandOwner(command: string): PluginRecord | undefined {
    const contributed = this.commandOwners.get(command);
    if (contributed) return contributed;
    return this.records.find((r) => this.usable(r) && r.registered.commands.includes(command));
  }

  /** Run a command (activating its plugin on onCommand:<id>); resolves with its JSON value. */
  async executeCommand(command: string, args: unknown[] = []): Promise<unknown> {
    const r = this.commandOwner(command);
    if (!r) {
      const known = this.listCommands().map((c) => c.command);
      throw RpcError.of('INVALID_PARAMS', `Unknown command ${JSON.stringify(command)}`, {
        code: 'COMMAND_NOT_FOUND',
        hint: known.length ? `Commands: ${known.join(', ')} (commands.list).` : 'No plugin contributes a command; see plugins.list.',
      });
    }
    await this.activate(r, `onCommand:${command}`);
    if (!r.registered.commands.includes(command)) throw this.notRegistered(r, 'command', command, 'recon.commands.registerCommand');
    const res = await this.call(r, 'command.execute', { pluginId: r.id, command, args }, `command "${command}"`, false);
    return res.value;
  }

  exporterIds(): string[] {
    return [...this.exporterOwners.keys()].sort();
  }

  /** Refuse unknown exporters, and exporters of failed plugins, before a job starts. */
  checkExporters(ids: string[], field = 'options.exporters', method = 'recon.reconstruct'): void {
    ids.forEach((id, i) => {
      const r = this.exporterOwners.get(id);
      if (!r) {
        const known = this.exporterIds();
        throw RpcError.of(
          'INVALID_PARAMS',
          `Invalid params for ${method}: Expected an exporter id (${known.join(', ') || 'no plugin contributes one'}) for ${field}[${i}] but received ${JSON.stringify(id)}`,
          { code: 'EXPORTER_NOT_FOUND', fields: [`${field}[${i}]`], hint: 'plugins.list shows the exporters each plugin contributes.' },
        );
      }
      if (this.failedReason(r)) throw this.failedError(r);
    });
  }

  /** Run exporters one after another; each one's failure is reported in its outcome, never thrown. */
  async runExporters(ids: string[], result: ReconstructionResult, outDir: string): Promise<ExportOutcome[]> {
    const out: ExportOutcome[] = [];
    for (const id of ids) {
      try {
        const r = this.exporterOwners.get(id);
        if (!r) throw RpcError.of('INVALID_PARAMS', `No plugin contributes the exporter ${JSON.stringify(id)}`, { code: 'EXPORTER_NOT_FOUND' });
        await this.activate(r, `onExporter:${id}`);
        if (!r.registered.exporters.includes(id)) throw this.notRegistered(r, 'exporter', id, 'recon.exporters.register');
        const { files } = await this.call(r, 'exporter.run', { pluginId: r.id, exporter: id, result, outDir }, `exporter "${id}"`, false);
        out.push({ exporter: id, files });
      } catch (e) {
        const err = e instanceof RpcError ? e : RpcError.of('REQUEST_FAILED', (e as Error).message, { code: 'PLUGIN_ERROR' });
        this.o.log.warn('exporter failed', { exporter: id, error: err.message });
        out.push({ exporter: id, files: [], error: err.toObject() });
      }
    }
    return out;
  }

  /** Tell plugins about a completed reconstruction: activate onReconstruction ones, call every listener. */
  async didReconstruct(result: ReconstructionResult): Promise<void> {
    if (this.disposed) return;
    const waiting = this.records.filter((r) => this.usable(r) && !r.active && !this.failedReason(r) && activationEventsOf(r.manifest).has('onReconstruction'));
    if (!waiting.length && !this.records.some((r) => r.active && r.registered.listeners > 0)) return;
    await Promise.allSettled(waiting.map((r) => this.activate(r, 'onReconstruction')));
    const listening = this.records.filter((r) => r.active && r.registered.listeners > 0);
    await Promise.allSettled(listening.map((r) => this.call(r, 'event.didReconstruct', { pluginId: r.id, result }, 'an onDidReconstruct listener', false)));
  }

  // -------------------------------------------------------------------------------------------------------
  // Jobs (the daemon's glue)

  /** Remember the exporters a job asked for (recon.reconstruct's options.exporters). */
  trackJob(jobId: string, exporters: string[] | undefined): void {
    if (exporters?.length) this.jobExporters.set(jobId, [...exporters]);
  }

  /**
   * Between the job manager and the clients: a completed job with exporters runs them first, then its
   * job.completed goes out with their files; every completed job is then told to the plugins.
   */
  onJobNotification(job: { id: string; source: string }, n: JobNotification, forward: (n: JobNotification) => void): void {
    if (n.method === JobFailed.method) this.jobExporters.delete(job.id);
    if (n.method !== JobCompleted.method) return forward(n);
    const ids = this.jobExporters.get(job.id);
    this.jobExporters.delete(job.id);
    const completed = n.params.result;
    const work = (async () => {
      let result = completed;
      if (ids) {
        const outcomes: ExportOutcome[] = [];
        for (const id of ids) {
          forward({ method: JobProgress.method, params: { jobId: job.id, stage: `export:${id}`, fraction: 1 } });
          outcomes.push(...(await this.runExporters([id], reconstructionResult(job.id, job.source, completed), completed.dir)));
        }
        const files = { ...completed.files };
        for (const o of outcomes) for (const f of o.files) files[exportFileKey(o.exporter, completed.dir, f)] = f;
        result = { ...completed, files, exports: outcomes };
      }
      forward({ method: JobCompleted.method, params: { jobId: job.id, result } });
      await this.didReconstruct(reconstructionResult(job.id, job.source, result));
    })().catch((e: unknown) => this.o.log.error('plugin work for a job failed', { jobId: job.id, error: (e as Error).message }));
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }
}

