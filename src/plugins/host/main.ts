// The plugin host process, forked by the daemon (src/plugins/host-process.ts). It resolves `recon-daemon` for
// plugins (a Module._load / _resolveFilename hook for require, loader hooks for import), answers the daemon's
// JSON-RPC calls over the IPC channel, and keeps plugin failures from ending it: process.exit() throws
// instead, and uncaught errors are reported against the plugin they came from. It exits when the daemon
// goes away (the IPC channel closes).
import { JSONRPCClient, JSONRPCErrorException, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import Module, { register } from 'node:module';
import { API_GLOBAL_KEY } from '../api-version.js';
import { CALL_ID_FIELD, type DaemonMethods, type HostMethod, type HostMethods } from '../host-protocol.js';
import { API_SPECIFIER } from './loader-hooks.js';
import { HostError, HostRuntime, PluginExitError } from './runtime.js';

/** JSON-RPC error code of every plugin failure reported to the daemon (details in data.code). */
const HOST_ERROR_CODE = -32000;

if (!process.send) {
  process.stderr.write('The recon-daemon plugin host must be started by the daemon (with an IPC channel).\n');
  process.exit(1);
}
const send = process.send.bind(process);
const realExit = process.exit.bind(process);

// Plugin failures are answers to the daemon, not host errors: the library must not print them.
const quiet = { errorListener: () => undefined };
const peer: JSONRPCServerAndClient = new JSONRPCServerAndClient(
  new JSONRPCServer(quiet),
  new JSONRPCClient((payload) => {
    send(payload);
  }),
  quiet,
);

const runtime = new HostRuntime({
  notify: (method, params) => peer.notify(method, params, undefined),
  executeCommand: async (pluginId, command, args) => {
    const p: DaemonMethods['daemon.executeCommand']['params'] = { pluginId, command, args };
    const r = (await peer.request('daemon.executeCommand', p, undefined)) as DaemonMethods['daemon.executeCommand']['result'];
    return r.value;
  },
});

// ---------------------------------------------------------------------------------------------------------
// `recon-daemon` for plugins

(globalThis as Record<symbol, unknown>)[Symbol.for(API_GLOBAL_KEY)] = (parentUrl: string) => runtime.apiFor(parentUrl);

type ModuleInternals = {
  _load(request: string, parent: { filename?: string } | undefined, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, ...rest: unknown[]): string;
};
const M = Module as unknown as ModuleInternals;
const originalLoad = M._load;
const originalResolve = M._resolveFilename;
M._load = function (this: unknown, request, parent, isMain) {
  if (request === API_SPECIFIER) return runtime.apiFor(parent?.filename);
  return originalLoad.call(this, request, parent, isMain);
};
M._resolveFilename = function (this: unknown, request, parent, ...rest) {
  // require.resolve('recon-daemon') names the virtual module instead of failing or finding the daemon's package.
  if (request === API_SPECIFIER) return API_SPECIFIER;
  return originalResolve.call(this, request, parent, ...rest);
};
register(new URL('./loader-hooks.js', import.meta.url));

// ---------------------------------------------------------------------------------------------------------
// Failure containment

process.exit = ((code?: unknown) => {
  throw new PluginExitError(code);
}) as typeof process.exit;

function reportOutsideCall(e: unknown, fatal: boolean): void {
  const pluginId = runtime.blame(e);
  const reason = e instanceof PluginExitError ? e.message : `${fatal ? 'threw' : 'left a promise rejection unhandled'}: ${e instanceof Error ? e.message : String(e)}`;
  if (pluginId) {
    peer.notify('plugin.failed', { pluginId, reason, fatal, ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) }, undefined);
  } else {
    peer.notify('log', { pluginId: '', level: 'error', message: `plugin host: ${reason}${e instanceof Error && e.stack ? `\n${e.stack}` : ''}` }, undefined);
  }
}
process.on('uncaughtException', (e) => reportOutsideCall(e, true));
process.on('unhandledRejection', (e) => reportOutsideCall(e, false));
process.on('disconnect', () => realExit(0));
// The daemon owns this process's lifetime; a terminal's Ctrl-C reaches the daemon, which stops the host.
process.on('SIGINT', () => undefined);

// ---------------------------------------------------------------------------------------------------------
// The daemon's calls

function method<M extends HostMethod>(name: M, f: (p: HostMethods[M]['params']) => Promise<HostMethods[M]['result']> | HostMethods[M]['result']): void {
  peer.addMethod(name, async (raw: unknown) => {
    const { [CALL_ID_FIELD]: call, ...params } = raw as Record<string, unknown>;
    // Sent before any plugin code runs, so it leaves even if that code then blocks the event loop.
    if (typeof call === 'number') peer.notify('call.started', { call }, undefined);
    try {
      return await f(params as HostMethods[M]['params']);
    } catch (e) {
      if (e instanceof HostError) throw new JSONRPCErrorException(e.message, HOST_ERROR_CODE, e.data);
      throw new JSONRPCErrorException(`plugin host: ${(e as Error).message ?? String(e)}`, HOST_ERROR_CODE, { code: 'PLUGIN_ERROR', stack: (e as Error).stack });
    }
  });
}

method('host.initialize', (p) => {
  runtime.timeoutMs = p.timeoutMs;
  runtime.setPlugins(p.plugins);
  return { pid: process.pid };
});
method('host.setPlugin', async (p) => {
  await runtime.setPlugin(p.spec);
  return {};
});
method('host.removePlugin', async (p) => {
  await runtime.removePlugin(p.pluginId);
  return {};
});
method('host.shutdown', async () => {
  await runtime.shutdown();
  return {};
});
method('host.ping', () => ({ time: Date.now() }));
method('plugin.activate', (p) => runtime.activate(p.pluginId, p.event));
method('plugin.deactivate', async (p) => {
  await runtime.deactivate(p.pluginId);
  return {};
});
method('command.execute', (p) => runtime.executeCommand(p.command, p.args));
method('exporter.run', (p) => runtime.runExporter(p.exporter, p.result, p.outDir));
method('event.didReconstruct', async (p) => {
  await runtime.didReconstruct(p.pluginId, p.result);
  return {};
});

process.on('message', (m) => {
  void peer.receiveAndSend(m, undefined, undefined);
});
