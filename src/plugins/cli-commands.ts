// `recon-daemon plugins` and `recon-daemon plugins exec <command> [args…]`: the running daemon's plugins,
// through the same RPC methods editors use (plugins.list, commands.execute).
import { connectToDaemon } from '../client/discover.js';
import { RpcError } from '../rpc/errors.js';
import { CommandsExecute, PluginsList, type PluginsListResult } from '../rpc/protocol.js';
import type { Env } from '../server/paths.js';

type Write = (s: string) => void;
const CLIENT = { name: 'recon-daemon plugins', version: '1' };

/** A plugin's one-line summary: id@version, state, source, and why it failed. */
export function formatPlugins(r: PluginsListResult): string {
  const lines = [`plugin API ${r.apiVersion}; plugin host ${r.host.state}${r.host.pid ? ` (pid ${r.host.pid})` : ''}, ${r.host.restarts} restart(s)`];
  for (const p of r.plugins) {
    const what = [
      ...p.contributes.commands.map((c) => `command ${c.command}`),
      ...p.contributes.exporters.map((e) => `exporter ${e.id}`),
    ].join(', ');
    lines.push(`${p.state.padEnd(8)} ${p.id}${p.version ? `@${p.version}` : ''} (${p.source}: ${p.dir})${what ? `\n         ${what}` : ''}`);
    if (p.reason) lines.push(`         reason: ${p.reason}`);
    else if (p.lastError) lines.push(`         last error: ${p.lastError.message}`);
  }
  return lines.join('\n') + '\n';
}

export async function runPluginsList(flags: { json?: boolean }, env: Env = process.env, out: Write = (s) => process.stdout.write(s)): Promise<number> {
  const client = await connectToDaemon(env, { clientInfo: CLIENT });
  try {
    const r = await client.request(PluginsList.method, {});
    out(flags.json ? JSON.stringify(r) + '\n' : formatPlugins(r));
    return 0;
  } finally {
    await client.close();
  }
}

/** Arguments are JSON when they parse as JSON (`42`, `true`, `{"a":1}`), else strings. */
export function parseCommandArg(a: string): unknown {
  try {
    return JSON.parse(a) as unknown;
  } catch {
    return a;
  }
}

export async function runPluginsExec(command: string, args: string[], env: Env = process.env, out: Write = (s) => process.stdout.write(s)): Promise<number> {
  const client = await connectToDaemon(env, { clientInfo: CLIENT });
  try {
    const value = await client.request(CommandsExecute.method, { command, args: args.map(parseCommandArg) });
    out(JSON.stringify(value) + '\n');
    return 0;
  } catch (e) {
    // The CLI's failure path prints `hint`; the daemon's is in data.hint.
    if (e instanceof RpcError) throw Object.assign(new Error(e.message), { hint: e.data.hint });
    throw e;
  } finally {
    await client.close();
  }
}
