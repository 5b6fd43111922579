// npm run bench (fourth part): batch throughput through a Redis queue (BullMQ) against the local batch, on the
// same photos, in one run. A private redis-server on a free loopback port; the photo folder of bench-batch.ts.
// Per round, each a new output folder:
//   local      `batch --embedded --workers 2`                       (the reference)
//   queue 1w   `worker --concurrency 2` (1 process) + `batch --queue`
//   queue 2w   2 × `worker --concurrency 1` (2 processes) + `batch --queue`
// The same two engine threads in each, so the differences are the queue's: producer hashing, Redis round trips,
// the worker's hash, state read and commit lock. img/s counts from the producer's start of work (workers already
// warm) to the last photo reported. The queue's overhead per photo, in ms of an engine thread's time:
// 2 × (1 / queue img/s − 1 / local img/s) × 1000. Writes its table into docs/benchmarks.md between the
// bench-cluster markers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeBatchPhotos } from './bench-common.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin/recon-daemon.js');
const faces = path.resolve(root, '../shared/faces');
const PHOTOS = Number(process.env.BENCH_CLUSTER_PHOTOS ?? 240);
const ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? 2);
const THREADS = 2;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bench-cluster-'));
const input = path.join(tmp, 'photos');

const { pixels, sources } = await makeBatchPhotos(faces, input, PHOTOS);
const mp = pixels.map((s) => s / 1e6).sort((a, b) => a - b);

// ---- a private Redis -----------------------------------------------------------------------------------------
const port = await new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as net.AddressInfo).port;
    s.close(() => resolve(p));
  });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'no', '--logfile', path.join(tmp, 'redis.log')], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}/0`;
for (let i = 0; ; i++) {
  if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') break;
  if (i > 100) throw new Error('redis-server did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const redisVersion = /v=(\S+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';

// ---- runs ----------------------------------------------------------------------------------------------------
interface Summary {
  photos: number;
  run: { processed: number; elapsedMs: number; peakRssMB: number };
}

function batch(out: string, extra: string[]): Summary {
  const r = spawnSync(process.execPath, [bin, 'batch', input, '-o', out, '--json', '--quiet', ...extra], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`batch failed (${r.status}): ${r.stderr}`);
  const s = JSON.parse(r.stdout.trim()) as Summary;
  if (s.run.processed !== PHOTOS) throw new Error(`expected ${PHOTOS} photos processed, got ${s.run.processed}`);
  return s;
}

async function startWorkers(n: number, threads: number, queueName: string): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const w = spawn(process.execPath, [bin, 'worker', '--queue', url, '--queue-name', queueName, '--concurrency', String(threads), '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
      return new Promise<ChildProcess>((resolve, reject) => {
        let err = '';
        w.stderr!.on('data', (d) => (err += d));
        // With --quiet the worker says nothing once ready: poll its connection in `queue status`.
        const t = setInterval(() => {
          const s = spawnSync(process.execPath, [bin, 'queue', 'status', '--queue', url, '--queue-name', queueName, '--json'], { encoding: 'utf8' });
          if (s.status === 0 && (JSON.parse(s.stdout) as { workers: unknown[] }).workers.length >= 1) {
            clearInterval(t);
            resolve(w);
          }
        }, 500);
        w.once('exit', (code) => {
          clearInterval(t);
          reject(new Error(`worker exited (${code}): ${err}`));
        });
      });
    }),
  );
}

async function stopWorkers(ws: ChildProcess[]): Promise<void> {
  await Promise.all(ws.map((w) => new Promise<void>((r) => (w.exitCode !== null ? r() : (w.once('exit', () => r()), w.kill('SIGTERM'))))));
}

interface Run {
  kind: 'local' | 'queue 1w' | 'queue 2w';
  imgPerSec: number;
  peakRssMB: number;
}

let n = 0;
async function run(kind: Run['kind']): Promise<Run> {
  const out = path.join(tmp, `out-${n++}`);
  let s: Summary;
  if (kind === 'local') s = batch(out, ['--embedded', '--workers', String(THREADS)]);
  else {
    const name = `bench-${n}`;
    const ws = kind === 'queue 1w' ? await startWorkers(1, THREADS, name) : await startWorkers(2, 1, name);
    // Each worker process must be connected before the clock starts.
    for (let i = 0; i < 100; i++) {
      const st = spawnSync(process.execPath, [bin, 'queue', 'status', '--queue', url, '--queue-name', name, '--json'], { encoding: 'utf8' });
      if ((JSON.parse(st.stdout) as { workers: unknown[] }).workers.length === ws.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    try {
      s = batch(out, ['--queue', url, '--queue-name', name]);
    } finally {
      await stopWorkers(ws);
    }
  }
  fs.rmSync(out, { recursive: true, force: true });
  return { kind, imgPerSec: s.run.processed / (s.run.elapsedMs / 1000), peakRssMB: s.run.peakRssMB };
}

const load0 = os.loadavg();
const runs: Run[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['local', 'queue 1w', 'queue 2w'] as const) {
      const r = await run(kind);
      runs.push(r);
      console.error(`round ${round + 1} ${kind}: ${r.imgPerSec.toFixed(2)} img/s`);
    }
  }
} finally {
  redis.kill('SIGTERM');
}
const load1 = os.loadavg();

const f2 = (v: number) => v.toFixed(2);
const overheadMs = (q: number, l: number) => THREADS * (1 / q - 1 / l) * 1000;
const rows: string[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const [l, q1, q2] = runs.slice(round * 3, round * 3 + 3);
  rows.push(
    `| ${round + 1} | ${f2(l.imgPerSec)} | ${f2(q1.imgPerSec)} (×${f2(q1.imgPerSec / l.imgPerSec)}) | ${f2(q2.imgPerSec)} (×${f2(q2.imgPerSec / l.imgPerSec)}) | ${overheadMs(q1.imgPerSec, l.imgPerSec).toFixed(1)} | ${overheadMs(q2.imgPerSec, l.imgPerSec).toFixed(1)} |`,
  );
}
const mean = (k: Run['kind']) => runs.filter((r) => r.kind === k).reduce((a, r) => a + r.imgPerSec, 0) / ROUNDS;
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const md = [
  `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Redis ${redisVersion} on loopback. Command: \`npm run bench\` (scripts/bench-cluster.ts, BENCH_CLUSTER_PHOTOS=${PHOTOS}, BENCH_CLUSTER_ROUNDS=${ROUNDS}), ${new Date().toISOString().slice(0, 10)}.`,
  `Photos: the ${PHOTOS} of the batch benchmark (from the ${sources} photos in ../shared/faces, ${f2(mp[0])}–${f2(mp[mp.length - 1])} MP), folders layout, all outputs. Every run uses ${THREADS} engine threads: the local batch \`--embedded --workers ${THREADS}\`; through Redis one \`worker --concurrency ${THREADS}\` process, or two \`worker --concurrency 1\` processes, started and warm before \`batch --queue\` runs. img/s from the start of the work to the last photo reported. Overhead per photo = ${THREADS} × (1/queue − 1/local) s: the extra engine-thread time each photo costs through the queue (producer hash, Redis round trips, the worker's hash, state read and commit lock). One machine: this measures the queue's cost, not the gain of more machines (which is one more worker per machine).`,
  '',
  '| round | local batch (img/s) | queue, 1 worker process (img/s, × local) | queue, 2 worker processes (img/s, × local) | overhead per photo, 1 process (ms) | overhead per photo, 2 processes (ms) |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
  `Mean of the rounds: local ${f2(mean('local'))}, queue with 1 worker process ${f2(mean('queue 1w'))}, with 2 worker processes ${f2(mean('queue 2w'))} img/s; overhead ${overheadMs(mean('queue 1w'), mean('local')).toFixed(1)} / ${overheadMs(mean('queue 2w'), mean('local')).toFixed(1)} ms per photo. Load average before / after: ${load0.map(f2).join(' ')} / ${load1.map(f2).join(' ')}.`,
].join('\n');
console.log(md);

const doc = path.join(root, 'docs/benchmarks.md');
const begin = '<!-- bench-cluster:begin -->';
const end = '<!-- bench-cluster:end -->';
let text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '# Benchmarks\n';
if (!text.includes(begin)) text += `\n## Cluster (Redis queue)\n\n${begin}\n${end}\n`;
text = text.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${md}\n${end}`);
fs.writeFileSync(doc, text);
fs.rmSync(tmp, { recursive: true, force: true });
