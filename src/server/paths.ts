// Where the daemon keeps its files. Every location honours the XDG variables, then HOME, so tests, service
// managers and users can move all of them with the environment alone.
//
//   config dir   $XDG_CONFIG_HOME/recon-daemon   (~/.config/recon-daemon)       token, config.json
//   runtime dir  $XDG_RUNTIME_DIR/recon-daemon   (else the config dir)          daemon.pid, daemon.json
//   state dir    $XDG_STATE_HOME/recon-daemon    (~/.local/state/recon-daemon)  daemon.log
//   output root  $XDG_DATA_HOME/recon-daemon/jobs (~/.local/share/…)            one folder per job
import os from 'node:os';
import path from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export interface DaemonPaths {
  configDir: string;
  runtimeDir: string;
  stateDir: string;
  tokenFile: string;
  configFile: string;
  pidFile: string;
  discoveryFile: string;
  logFile: string;
  defaultOutputRoot: string;
}

function home(env: Env): string {
  return env.HOME || os.homedir();
}

/** XDG variables must be absolute to count (the spec says relative ones are ignored). */
function xdg(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v && path.isAbsolute(v) ? v : fallback;
}

export function daemonPaths(env: Env = process.env): DaemonPaths {
  const h = home(env);
  const configDir = path.join(xdg(env, 'XDG_CONFIG_HOME', path.join(h, '.config')), 'recon-daemon');
  const runtimeBase = xdg(env, 'XDG_RUNTIME_DIR', '');
  const runtimeDir = runtimeBase ? path.join(runtimeBase, 'recon-daemon') : configDir;
  const stateDir = path.join(xdg(env, 'XDG_STATE_HOME', path.join(h, '.local', 'state')), 'recon-daemon');
  const dataDir = path.join(xdg(env, 'XDG_DATA_HOME', path.join(h, '.local', 'share')), 'recon-daemon');
  return {
    configDir,
    runtimeDir,
    stateDir,
    tokenFile: path.join(configDir, 'token'),
    configFile: path.join(configDir, 'config.json'),
    pidFile: path.join(runtimeDir, 'daemon.pid'),
    discoveryFile: path.join(runtimeDir, 'daemon.json'),
    logFile: path.join(stateDir, 'daemon.log'),
    defaultOutputRoot: path.join(dataDir, 'jobs'),
  };
}
