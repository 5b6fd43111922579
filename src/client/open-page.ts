// `recon-daemon open`: the daemon's page in the browser, logged in. Starts the daemon when it is not running,
// mints a one-time login link (web-auth.ts) with the token from the token file, prints it and hands it to the
// desktop's opener (xdg-open, open, start) unless --no-browser or there is no desktop.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { runStart, type StartFlags } from '../server/lifecycle.js';
import type { Env } from '../server/paths.js';
import { LOGIN_TTL_MS, mintLoginTicket } from '../server/web-auth.js';
import { discoverDaemon } from './discover.js';

export interface OpenFlags extends StartFlags {
  /** Print the link only. */
  browser?: boolean;
}

type Write = (s: string) => void;

/** The page's http:// address for a daemon's ws:// address. */
export function pageUrl(wsUrl: string): string {
  return wsUrl.replace(/^ws:/, 'http:');
}

function onPath(cmd: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const f = path.join(dir, cmd);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return f;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The command that opens a URL on this desktop, or why there is none. */
function opener(env: Env): { cmd: string; args: string[] } | { none: string } {
  if (process.platform === 'darwin') return { cmd: 'open', args: [] };
  if (process.platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '""'] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return { none: 'no desktop session (DISPLAY is not set)' };
  const x = onPath('xdg-open', env);
  return x ? { cmd: x, args: [] } : { none: 'xdg-open was not found' };
}

export async function runOpen(flags: OpenFlags, env: Env = process.env, out: Write = (s) => process.stdout.write(s)): Promise<number> {
  let d = discoverDaemon(env);
  if (!d) {
    const { browser: _browser, foreground: _foreground, ...startFlags } = flags; // open never runs the daemon in this process
    const code = await runStart(startFlags, env, out);
    if (code !== 0) return code;
    d = discoverDaemon(env);
    if (!d) throw Object.assign(new Error('recon-daemon started but its discovery file is missing'), { hint: 'Run `recon-daemon status`.' });
  }
  if (!d.token) {
    throw Object.assign(new Error(`Cannot read the daemon's token from ${d.info.tokenFile}`), {
      hint: 'Run `recon-daemon open` as the user who started the daemon.',
    });
  }
  const url = `${pageUrl(d.url)}?token=${mintLoginTicket(d.token)}`;
  out(`recon-daemon page (this login link works once, within ${LOGIN_TTL_MS / 60_000} minutes):\n  ${url}\n`);
  if (flags.browser === false) return 0;
  const o = opener(env);
  if ('none' in o) {
    out(`Not opening a browser: ${o.none}. Open the link above in a browser on this machine.\n`);
    return 0;
  }
  await new Promise<void>((resolve) => {
    const child = spawn(o.cmd, [...o.args, url], { detached: true, stdio: 'ignore', env: env as NodeJS.ProcessEnv });
    child.once('error', (e) => {
      out(`Could not start ${o.cmd} (${e.message}); open the link above in a browser.\n`);
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
  return 0;
}
