// Find the running daemon without configuration: its discovery file (runtime dir) gives the address, the
// token file (config dir) the token. Editor clients do the same in Python and C# (docs/daemon.md).
import { isDaemonProcess, readDiscovery, type DiscoveryInfo } from '../server/discovery.js';
import { daemonPaths, type Env } from '../server/paths.js';
import { readToken } from '../server/token.js';
import { ReconClient, type ConnectOptions } from './client.js';

export interface Discovered {
  info: DiscoveryInfo;
  url: string;
  token: string | undefined;
}

/** The running daemon's address and token, or undefined when none is running. */
export function discoverDaemon(env: Env = process.env): Discovered | undefined {
  const paths = daemonPaths(env);
  const info = readDiscovery(paths.discoveryFile);
  if (!info || !isDaemonProcess(info.pid)) return undefined;
  return { info, url: info.url, token: readToken(info.tokenFile ?? paths.tokenFile) };
}

/** Connect to the running daemon found by discoverDaemon (throws when none is running). */
export async function connectToDaemon(env: Env = process.env, options: Partial<ConnectOptions> = {}): Promise<ReconClient> {
  const d = discoverDaemon(env);
  if (!d) throw Object.assign(new Error('recon-daemon is not running'), { hint: 'Start it with `recon-daemon start`.' });
  return ReconClient.connect({ url: d.url, token: d.token, ...options });
}
