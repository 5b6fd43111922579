// A private redis-server for a test file (Debian's `redis-server`, never the system service): loopback, a free
// port, its own temp folder, no persistence unless asked. stop() / kill() / start() let a test take it away
// mid-run and bring it back on the same port. Optional password and TLS (a throwaway self-signed certificate
// made with openssl for localhost and 127.0.0.1).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './daemon.js';

export interface TestRedisOptions {
  password?: string;
  tls?: boolean;
  /** Listen here (default: a free port). */
  port?: number;
}

export interface TestRedis {
  port: number;
  /** redis://127.0.0.1:<port>/0 (rediss://localhost:<port>/0 with TLS), without the password. */
  url: string;
  dir: string;
  /** With TLS: the certificate to trust (NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  /** Send one command with redis-cli; its output. */
  cli(...args: string[]): string;
  /** SIGTERM (Redis exits cleanly), wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: gone at once, data in memory lost. */
  kill(): Promise<void>;
  /** Start again on the same port (empty: nothing is persisted). */
  start(): Promise<void>;
  /** Stop and remove its folder. */
  dispose(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(o: TestRedisOptions = {}): Promise<TestRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-redis-'));
  const port = o.port ?? (await freePort());
  let caFile: string | undefined;
  const tlsArgs: string[] = [];
  if (o.tls) {
    caFile = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    tlsArgs.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', caFile, '--tls-key-file', key, '--tls-ca-cert-file', caFile, '--tls-auth-clients', 'no');
  }
  const args = [
    ...(o.tls ? tlsArgs : ['--port', String(port)]),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--logfile', path.join(dir, 'redis.log'),
    ...(o.password ? ['--requirepass', o.password] : []),
  ];
  const cliBase = ['-p', String(port), ...(o.password ? ['-a', o.password, '--no-auth-warning'] : []), ...(o.tls ? ['--tls', '--cacert', caFile!, '-h', 'localhost'] : ['-h', '127.0.0.1'])];
  const cli = (...a: string[]) => execFileSync('redis-cli', [...cliBase, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn('redis-server', args, { stdio: 'ignore' });
    child = c;
    await waitFor('redis-server to answer', () => {
      if (c.exitCode !== null) throw new Error(`redis-server exited with ${c.exitCode}; see ${path.join(dir, 'redis.log')}`);
      try {
        return cli('ping').trim() === 'PONG';
      } catch {
        return false;
      }
    }, 15_000);
  };
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url: o.tls ? `rediss://localhost:${port}/0` : `redis://127.0.0.1:${port}/0`,
    dir,
    ...(caFile ? { caFile } : {}),
    cli,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    start,
    dispose: async () => {
      await end('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
