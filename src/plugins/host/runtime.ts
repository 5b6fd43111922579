// The plugin host's state: loaded plugins, what they registered, and the per-plugin `recon-daemon` API
// objects. Every call into plugin code runs inside an AsyncLocalStorage scope holding the plugin id, so an
// error thrown later from a timer or a promise is still tagged with the plugin that caused it.
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Api from '../api/recon-daemon.js';
import { PLUGIN_API_VERSION, RELOAD_PARAM } from '../api-version.js';
import type { DaemonNotifications, HostErrorData, HostPluginSpec, MessageLevel, ReconstructionResult } from '../host-protocol.js';

/** What the runtime needs from the process around it (main.ts): the way to the daemon. */
export interface HostIo {
  notify<N extends keyof DaemonNotifications>(method: N, params: DaemonNotifications[N]): void;
  executeCommand(pluginId: string, command: string, args: unknown[]): Promise<unknown>;
}

/** An error that reaches the daemon as a JSON-RPC error: message for people, data for the daemon. */
export class HostError extends Error {
  constructor(
    message: string,
    readonly data: HostErrorData,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** Thrown by the host's replacement of process.exit: a plugin may not end the process every plugin shares. */
export class PluginExitError extends Error {
  constructor(readonly exitCode: unknown) {
    super(`called process.exit(${exitCode === undefined ? '' : JSON.stringify(exitCode)}), which plugins may not do (the plugin host is shared)`);
    this.name = 'PluginExitError';
  }
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const MAX_MESSAGE = 4000;

interface Registration {
  dispose(): void;
}

interface HostPlugin {
  spec: HostPluginSpec;
  state: 'loaded' | 'activating' | 'active';
  api: typeof Api;
  module?: Api.PluginModule;
  subscriptions: Array<{ dispose(): unknown }>;
  registrations: Set<Registration>;
  activating?: Promise<{ ms: number }>;
}

function disposable(fn: () => void): Api.Disposable {
  let done = false;
  return {
    dispose: () => {
      if (done) return;
      done = true;
      fn();
    },
  };
}

const DisposableStatic: typeof Api.Disposable = {
  create: (fn) => disposable(fn),
  from: (...items) =>
    disposable(() => {
      for (const d of [...items].reverse()) d.dispose();
    }),
};

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return typeof e === 'string' ? e : `a non-Error value (${safeJson(e)})`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v)?.slice(0, 200) ?? String(v);
  } catch {
    return String(v);
  }
}

function isInside(dir: string, file: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

export class HostRuntime {
  readonly als = new AsyncLocalStorage<string>();
  private readonly plugins = new Map<string, HostPlugin>();
  private readonly commands = new Map<string, { pluginId: string; handler: (...args: unknown[]) => unknown }>();
  private readonly exporters = new Map<string, { pluginId: string; fn: Api.Exporter }>();
  private readonly listeners = new Map<string, Set<(r: ReconstructionResult) => unknown>>();
  timeoutMs = 10_000;

  constructor(private readonly io: HostIo) {}

  // -------------------------------------------------------------------------------------------------------
  // Plugins

  setPlugins(specs: HostPluginSpec[]): void {
    for (const s of specs) this.plugins.set(s.id, this.newPlugin(s));
  }

  async setPlugin(spec: HostPluginSpec): Promise<void> {
    if (this.plugins.has(spec.id)) await this.deactivate(spec.id);
    this.plugins.set(spec.id, this.newPlugin(spec));
  }

  async removePlugin(id: string): Promise<void> {
    if (!this.plugins.has(id)) return;
    await this.deactivate(id);
    this.plugins.delete(id);
  }

  private newPlugin(spec: HostPluginSpec): HostPlugin {
    const p: HostPlugin = { spec, state: 'loaded', api: undefined as never, subscriptions: [], registrations: new Set() };
    p.api = this.createApi(p);
    return p;
  }

  private get(id: string): HostPlugin {
    const p = this.plugins.get(id);
    if (!p) throw new HostError(`No plugin "${id}" is loaded in the plugin host`, { code: 'NOT_LOADED', pluginId: id });
    return p;
  }

  /** The plugin whose folder holds `file` (a path or file: URL); the deepest folder wins. */
  pluginForFile(file: string | undefined): HostPlugin | undefined {
    if (!file) return undefined;
    let p = file;
    if (p.startsWith('file:')) {
      try {
        p = fileURLToPath(p.replace(/[?#].*$/, ''));
      } catch {
        return undefined;
      }
    }
    let best: HostPlugin | undefined;
    for (const pl of this.plugins.values()) {
      if (isInside(pl.spec.dir, p) && (!best || pl.spec.dir.length > best.spec.dir.length)) best = pl;
    }
    return best;
  }

  /** The API object for a `require('recon-daemon')` / `import 'recon-daemon'` from `file`. */
  apiFor(file: string | undefined): typeof Api {
    const p = this.pluginForFile(file);
    if (!p) throw new Error(`The recon-daemon plugin API is only available to plugins (requested from ${file ?? 'an unknown module'})`);
    return p.api;
  }

  /** The plugin an error belongs to: the async context it was thrown in, else the first plugin file in its stack. */
  blame(e: unknown): string | undefined {
    const fromContext = this.als.getStore();
    if (fromContext) return fromContext;
    const stack = e instanceof Error ? (e.stack ?? '') : '';
    for (const line of stack.split('\n')) {
      const m = /(?:\(|at )((?:file:\/\/)?\/[^:()]+)/.exec(line);
      const p = m && this.pluginForFile(m[1]);
      if (p) return p.spec.id;
    }
    return undefined;
  }

  async activate(id: string, event: string): Promise<{ ms: number }> {
    const p = this.get(id);
    if (p.state === 'active') return { ms: 0 };
    p.activating ??= this.doActivate(p, event).finally(() => (p.activating = undefined));
    return p.activating;
  }

  private async doActivate(p: HostPlugin, event: string): Promise<{ ms: number }> {
    const t0 = performance.now();
    p.state = 'activating';
    try {
      const mod = await this.inPlugin(p, () => this.loadModule(p));
      p.module = mod;
      const context: Api.PluginContext = {
        pluginId: p.spec.id,
        pluginVersion: p.spec.version,
        pluginPath: p.spec.dir,
        activationEvent: event,
        subscriptions: p.subscriptions,
        logger: p.api.logger,
        asAbsolutePath: (rel) => path.join(p.spec.dir, rel),
      };
      const activate = mod.activate ?? (mod as { default?: Api.PluginModule }).default?.activate;
      if (typeof activate === 'function') await this.inPlugin(p, () => activate.call(mod, context));
      p.state = 'active';
      return { ms: Math.round((performance.now() - t0) * 100) / 100 };
    } catch (e) {
      this.cleanUp(p);
      throw this.wrap(p, e, 'activate');
    }
  }

  private async loadModule(p: HostPlugin): Promise<Api.PluginModule> {
    const { main, format, generation, dir } = p.spec;
    if (format === 'cjs') {
      this.evictCjs(dir);
      return createRequire(main)(main) as Api.PluginModule;
    }
    const url = pathToFileURL(main);
    if (generation > 0) url.searchParams.set(RELOAD_PARAM, String(generation));
    return (await import(url.href)) as Api.PluginModule;
  }

  /** Forget a plugin's CommonJS modules (not its node_modules), so the next require reads the files again. */
  private evictCjs(dir: string): void {
    const req = createRequire(import.meta.url);
    for (const key of Object.keys(req.cache)) {
      if (isInside(dir, key) && !key.slice(dir.length).includes(`${path.sep}node_modules${path.sep}`)) delete req.cache[key];
    }
  }

  /** Call the plugin's deactivate (within the time budget for async work), then undo everything it registered. */
  async deactivate(id: string): Promise<void> {
    const p = this.plugins.get(id);
    if (!p) return;
    if (p.activating) await p.activating.catch(() => undefined);
    if (p.state !== 'active') return this.cleanUp(p);
    const mod = p.module;
    const deactivate = mod?.deactivate ?? (mod as { default?: Api.PluginModule } | undefined)?.default?.deactivate;
    try {
      if (typeof deactivate === 'function') await this.withBudget(this.inPlugin(p, () => deactivate.call(mod)), `deactivate of plugin "${id}"`);
    } catch (e) {
      this.io.notify('log', { pluginId: id, level: 'error', message: `deactivate failed: ${messageOf(e)}` });
    } finally {
      this.cleanUp(p);
    }
  }

  private cleanUp(p: HostPlugin): void {
    for (const d of p.subscriptions.splice(0).reverse()) {
      try {
        void d.dispose();
      } catch (e) {
        this.io.notify('log', { pluginId: p.spec.id, level: 'error', message: `a subscription failed to dispose: ${messageOf(e)}` });
      }
    }
    for (const r of [...p.registrations].reverse()) r.dispose();
    p.module = undefined;
    p.state = 'loaded';
    if (p.spec.format === 'cjs') this.evictCjs(p.spec.dir);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.plugins.keys()].map((id) => this.deactivate(id)));
  }

  // -------------------------------------------------------------------------------------------------------
  // Calls into plugins

  async executeCommand(command: string, args: unknown[]): Promise<{ value: unknown }> {
    const c = this.commands.get(command);
    if (!c) throw new HostError(`No command "${command}" is registered`, { code: 'NOT_FOUND' });
    const p = this.get(c.pluginId);
    let value: unknown;
    try {
      value = await this.inPlugin(p, () => c.handler(...args));
    } catch (e) {
      throw this.wrap(p, e, `command "${command}"`);
    }
    return { value: this.toJson(p, value, `command "${command}"`) };
  }

  async runExporter(exporter: string, result: ReconstructionResult, outDir: string): Promise<{ files: string[] }> {
    const x = this.exporters.get(exporter);
    if (!x) throw new HostError(`No exporter "${exporter}" is registered`, { code: 'NOT_FOUND' });
    const p = this.get(x.pluginId);
    let out: unknown;
    try {
      out = await this.inPlugin(p, () => x.fn(result, outDir));
    } catch (e) {
      throw this.wrap(p, e, `exporter "${exporter}"`);
    }
    return { files: this.checkFiles(p, exporter, out, outDir) };
  }

  async didReconstruct(pluginId: string, result: ReconstructionResult): Promise<void> {
    const p = this.get(pluginId);
    for (const l of [...(this.listeners.get(pluginId) ?? [])]) {
      try {
        await this.inPlugin(p, () => l(result));
      } catch (e) {
        throw this.wrap(p, e, 'an onDidReconstruct listener');
      }
    }
  }

  /** Exporter output: paths of existing files inside outDir, returned absolute. */
  private checkFiles(p: HostPlugin, exporter: string, out: unknown, outDir: string): string[] {
    if (out === undefined || out === null) return [];
    const fail = (why: string) => new HostError(`Exporter "${exporter}" returned ${why}`, { code: 'PLUGIN_ERROR', pluginId: p.spec.id });
    if (!Array.isArray(out) || !out.every((f) => typeof f === 'string')) throw fail(`${safeJson(out)}; expected an array of file paths`);
    const realDir = fs.realpathSync(outDir);
    return [...new Set(out as string[])].map((f) => {
      const abs = path.resolve(outDir, f);
      let real: string;
      try {
        real = fs.realpathSync(abs);
      } catch {
        throw fail(`${JSON.stringify(f)}, which does not exist`);
      }
      if (!isInside(realDir, real) || real === realDir) throw fail(`${JSON.stringify(f)}, which is not inside the output folder ${outDir}`);
      if (!fs.statSync(real).isFile()) throw fail(`${JSON.stringify(f)}, which is not a file`);
      return abs;
    });
  }

  private toJson(p: HostPlugin, value: unknown, what: string): unknown {
    if (value === undefined) return null;
    try {
      return JSON.parse(JSON.stringify(value)) as unknown;
    } catch (e) {
      throw new HostError(`${what} returned a value that is not JSON data (${messageOf(e)})`, { code: 'PLUGIN_ERROR', pluginId: p.spec.id });
    }
  }

  private inPlugin<T>(p: HostPlugin, f: () => T | Promise<T>): Promise<T> {
    return this.als.run(p.spec.id, async () => f());
  }

  private withBudget<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([work, limit]).finally(() => clearTimeout(timer));
  }

  private wrap(p: HostPlugin, e: unknown, where: string): HostError {
    if (e instanceof HostError) return e;
    const exit = e instanceof PluginExitError;
    return new HostError(exit ? (e as Error).message : `${where} threw: ${messageOf(e)}`, {
      code: exit ? 'PLUGIN_EXIT' : 'PLUGIN_ERROR',
      pluginId: p.spec.id,
      ...(e instanceof Error && e.stack ? { stack: e.stack } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // The API a plugin sees

  private changed(p: HostPlugin): void {
    const id = p.spec.id;
    const own = <T extends { pluginId: string }>(m: Map<string, T>) => [...m].filter(([, v]) => v.pluginId === id).map(([k]) => k);
    this.io.notify('registry.changed', {
      pluginId: id,
      commands: own(this.commands),
      exporters: own(this.exporters),
      listeners: this.listeners.get(id)?.size ?? 0,
    });
  }

  private register(p: HostPlugin, undo: () => void): Api.Disposable {
    const r: Registration = disposable(() => {
      p.registrations.delete(r);
      undo();
      this.changed(p);
    });
    p.registrations.add(r);
    this.changed(p);
    return r;
  }

  private createApi(p: HostPlugin): typeof Api {
    const id = p.spec.id;
    const log =
      (level: 'debug' | 'info' | 'warn' | 'error') =>
      (message: string, ...details: unknown[]) => {
        const extra = details.length ? ` ${details.map((d) => (d instanceof Error ? (d.stack ?? d.message) : safeJson(d))).join(' ')}` : '';
        this.io.notify('log', { pluginId: id, level, message: `${String(message)}${extra}`.slice(0, MAX_MESSAGE) });
      };
    const logger: Api.Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const showMessage = (message: string, level: MessageLevel = 'info') => {
      if (!['info', 'warning', 'error'].includes(level)) throw new TypeError(`Expected "info", "warning" or "error" for level but received ${safeJson(level)}`);
      this.io.notify('window.showMessage', { pluginId: id, level, message: String(message).slice(0, MAX_MESSAGE) });
    };
    const checkId = (what: string, v: unknown) => {
      if (typeof v !== 'string' || !ID_RE.test(v)) throw new TypeError(`Expected a ${what} id such as "myPlugin.doThing" but received ${safeJson(v)}`);
    };
    const api = {
      version: PLUGIN_API_VERSION,
      Disposable: DisposableStatic,
      logger,
      commands: {
        registerCommand: (command: string, handler: (...args: unknown[]) => unknown): Api.Disposable => {
          checkId('command', command);
          if (typeof handler !== 'function') throw new TypeError(`Expected a function for the handler of command "${command}" but received ${safeJson(handler)}`);
          const taken = this.commands.get(command);
          if (taken) throw new Error(`Command "${command}" is already registered by plugin "${taken.pluginId}"`);
          this.commands.set(command, { pluginId: id, handler });
          return this.register(p, () => this.commands.delete(command));
        },
        executeCommand: async <T>(command: string, ...args: unknown[]): Promise<T> => {
          checkId('command', command);
          if (this.commands.has(command)) return (await this.executeCommand(command, args)).value as T;
          return (await this.io.executeCommand(id, command, args)) as T;
        },
        getCommands: async () => [...this.commands.keys()],
      },
      exporters: {
        register: (exporter: string, fn: Api.Exporter): Api.Disposable => {
          checkId('exporter', exporter);
          if (typeof fn !== 'function') throw new TypeError(`Expected a function for exporter "${exporter}" but received ${safeJson(fn)}`);
          if (!p.spec.exporters.includes(exporter)) {
            throw new Error(`Exporter "${exporter}" is not contributed by plugin "${id}": add {"id": "${exporter}", "title": …, "extension": …} to contributes.exporters in its package.json`);
          }
          const taken = this.exporters.get(exporter);
          if (taken) throw new Error(`Exporter "${exporter}" is already registered by plugin "${taken.pluginId}"`);
          this.exporters.set(exporter, { pluginId: id, fn });
          return this.register(p, () => this.exporters.delete(exporter));
        },
      },
      events: {
        onDidReconstruct: (listener: (r: ReconstructionResult) => unknown): Api.Disposable => {
          if (typeof listener !== 'function') throw new TypeError(`Expected a function for the listener but received ${safeJson(listener)}`);
          let set = this.listeners.get(id);
          if (!set) this.listeners.set(id, (set = new Set()));
          // The same function twice is two subscriptions, as in VS Code.
          const l = (r: ReconstructionResult) => listener(r);
          set.add(l);
          return this.register(p, () => set.delete(l));
        },
      },
      window: {
        showMessage,
        showInformationMessage: (m: string) => showMessage(m, 'info'),
        showWarningMessage: (m: string) => showMessage(m, 'warning'),
        showErrorMessage: (m: string) => showMessage(m, 'error'),
      },
    };
    return Object.freeze(api) as unknown as typeof Api;
  }
}
