// npm run bench (second part): the daemon. A real daemon per worker count, on loopback, with a real client:
// round-trip latency of `ping`, warm reconstruct end to end (request → job.completed, all outputs written)
// of a 1080p JPEG, throughput with 1 and 2 workers measured side by side, and the daemon's peak RSS.
// Writes its table into docs/benchmarks.md between the bench-daemon markers.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { f1, makeHdPhoto, pct } from './bench-common.js';
import { ReconClient } from '../src/client/client.js';
import { readDiscovery } from '../src/server/discovery.js';
import { daemonPaths } from '../src/server/paths.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin/recon-daemon.js');
const faces = path.resolve(root, '../shared/faces');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bench-daemon-'));
const hd = await makeHdPhoto(faces, tmp);
const THROUGHPUT_JOBS = Number(process.env.BENCH_JOBS ?? 40);


function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Measured {
  workers: number;
  ping: number[];
  warm: number[];
  imgPerSec: number;
  rss: number;
}

async function measure(workers: number): Promise<Measured> {
  const home = fs.mkdtempSync(path.join(tmp, `w${workers}-`));
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'c'), XDG_RUNTIME_DIR: path.join(home, 'r'), XDG_DATA_HOME: path.join(home, 'd'), XDG_STATE_HOME: path.join(home, 's') };
  const child = spawn(process.execPath, [bin, 'start', '--foreground', '--port', '0', '--workers', String(workers), '--max-queue', '1000'], { env, stdio: 'ignore' });
  const paths = daemonPaths(env);
  let info = readDiscovery(paths.discoveryFile);
  for (let i = 0; i < 600 && !info; i++) {
    await new Promise((r) => setTimeout(r, 50));
    info = readDiscovery(paths.discoveryFile);
  }
  if (!info) throw new Error('daemon did not start');
  const token = fs.readFileSync(paths.tokenFile, 'utf8').trim();
  const client = await ReconClient.connect({ url: info.url, token, clientInfo: { name: 'bench', version: '1' } });
  for (let i = 0; i < 1200; i++) {
    const s = await client.request('daemon.status', {});
    if (s.modelsLoaded && s.workers.ready === workers) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const ping: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await client.request('ping', {});
    ping.push(performance.now() - t);
  }
  for (let i = 0; i < 3; i++) await client.reconstruct({ path: hd });
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await client.reconstruct({ path: hd });
    warm.push(performance.now() - t);
  }
  // Throughput: every job submitted at once; the pool drains the queue.
  const t = performance.now();
  await Promise.all(Array.from({ length: THROUGHPUT_JOBS }, () => client.reconstruct({ path: hd })));
  const imgPerSec = THROUGHPUT_JOBS / ((performance.now() - t) / 1000);
  const rss = peakRssMb(child.pid!);
  await client.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { workers, ping, warm, imgPerSec, rss };
}

const one = await measure(1);
const two = await measure(2);

// Embedded CLI cold start for comparison (process start → all outputs on disk), model cache warm.
const cold: number[] = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, 'reconstruct', hd, '--embedded', '-o', path.join(tmp, 'cold')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`embedded run failed: ${r.stderr}`);
  cold.push(performance.now() - t);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const md = [
  `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}. Command: \`npm run bench\`, ${new Date().toISOString().slice(0, 10)}.`,
  'A real daemon on loopback per worker count, a real WebSocket client; photo: the 1920×1080 JPEG above; all outputs written.',
  '',
  '| measure | 1 worker | 2 workers |',
  '| --- | --- | --- |',
  `| \`ping\` round trip p50 / p99 (ms) | ${f1(pct(one.ping, 50))} / ${f1(pct(one.ping, 99))} | ${f1(pct(two.ping, 50))} / ${f1(pct(two.ping, 99))} |`,
  `| warm reconstruct, request → \`job.completed\`, all outputs written, p50 / p95 (ms) | ${f1(pct(one.warm, 50))} / ${f1(pct(one.warm, 95))} | ${f1(pct(two.warm, 50))} / ${f1(pct(two.warm, 95))} |`,
  `| throughput, ${THROUGHPUT_JOBS} jobs submitted at once (img/s) | ${one.imgPerSec.toFixed(2)} | ${two.imgPerSec.toFixed(2)} (×${(two.imgPerSec / one.imgPerSec).toFixed(2)}) |`,
  `| daemon peak RSS (MB, VmHWM, workers included) | ${one.rss.toFixed(0)} | ${two.rss.toFixed(0)} |`,
  '',
  `Embedded CLI for comparison: \`recon-daemon reconstruct --embedded\`, process start → all outputs on disk (model cache warm), median of 3: ${f1(pct(cold, 50))} ms.`,
].join('\n');
console.log(md);

const doc = path.join(root, 'docs/benchmarks.md');
const begin = '<!-- bench-daemon:begin -->';
const end = '<!-- bench-daemon:end -->';
let text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '# Benchmarks\n';
if (!text.includes(begin)) text += `\n## Daemon\n\n${begin}\n${end}\n`;
text = text.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${md}\n${end}`);
fs.writeFileSync(doc, text);
fs.rmSync(tmp, { recursive: true, force: true });
