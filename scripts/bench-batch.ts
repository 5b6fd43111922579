// npm run bench (third part): batch throughput. A folder of photos made from ../shared/faces at varied sizes
// (generated into a temp folder, never committed), reconstructed by the real CLI
// (`recon-daemon batch --embedded --workers N`) with 1 and 2 worker threads, alternating, in one run; img/s,
// the 2-worker/1-worker ratio, the process's peak RSS, and how busy the machine was with other work meanwhile
// (from /proc/stat, minus the batch's own CPU time). Writes its table into docs/benchmarks.md between the
// bench-batch markers.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBatchPhotos } from './bench-common.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin/recon-daemon.js');
const faces = path.resolve(root, '../shared/faces');
const PHOTOS = Number(process.env.BENCH_BATCH_PHOTOS ?? 240);
const ROUNDS = Number(process.env.BENCH_BATCH_ROUNDS ?? 2);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bench-batch-'));
const input = path.join(tmp, 'photos');

// ---- the photo folder: every test photo, at five scales, mostly JPEG, some PNG, in sub-folders ----------
const { pixels: sizes, sources: sourceCount } = await makeBatchPhotos(faces, input, PHOTOS);
const mp = sizes.map((s) => s / 1e6).sort((a, b) => a - b);

// ---- runs --------------------------------------------------------------------------------------------------
function cpuTicks(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
const TICK_MS = 10; // USER_HZ = 100 on Linux

interface Run {
  workers: number;
  /** Run with `taskset -c 0`: the whole process on one core. */
  pinned: boolean;
  layout: string;
  imgPerSec: number;
  wallImgPerSec: number;
  elapsedMs: number;
  startupMs: number;
  peakRssMB: number;
  /** Cores' worth of CPU used by other processes during the run. */
  othersCores: number;
  batchCores: number;
  /** CPU time of the batch process per photo, every thread (ms): independent of how busy the machine is. */
  cpuPerPhoto: number;
}


function run(workers: number, layout: 'folders' | 'pairs', round: number, pinned = false): Run {
  const out = path.join(tmp, `out-${layout}-${workers}w-${round}${pinned ? '-pinned' : ''}`);
  const before = cpuTicks();
  const t = performance.now();
  const args = [bin, 'batch', input, '-o', out, '--embedded', '--workers', String(workers), '--layout', layout, '--json', '--quiet'];
  const r = pinned ? spawnSync(TASKSET!, ['-c', '0', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wall = performance.now() - t;
  const after = cpuTicks();
  if (r.status !== 0) throw new Error(`batch failed (${r.status}): ${r.stderr}`);
  const s = JSON.parse(r.stdout.trim()) as { photos: number; run: { processed: number; elapsedMs: number; startupMs: number; peakRssMB: number; cpuMs: number } };
  if (s.run.processed !== PHOTOS) throw new Error(`expected ${PHOTOS} photos processed, got ${s.run.processed}`);
  const busyMs = (after.busy - before.busy) * TICK_MS;
  fs.rmSync(out, { recursive: true, force: true });
  return {
    workers,
    pinned,
    layout,
    imgPerSec: s.run.processed / (s.run.elapsedMs / 1000),
    wallImgPerSec: s.run.processed / (wall / 1000),
    elapsedMs: s.run.elapsedMs,
    startupMs: s.run.startupMs,
    peakRssMB: s.run.peakRssMB,
    othersCores: Math.max(0, busyMs - s.run.cpuMs) / wall,
    batchCores: s.run.cpuMs / wall,
    cpuPerPhoto: s.run.cpuMs / s.run.processed,
  };
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => fs.existsSync(p));

// ---- what the machine itself gives two threads -------------------------------------------------------
// The same single-threaded, memory-heavy loop (8 MB of doubles, strided reads) for 3 s on each core alone,
// then on both at once (pinned with taskset when there is one). Two independent cores do twice the work of
// the faster one; VMs whose vCPUs share a physical core, caches or memory bandwidth (with each other or with
// neighbours) do less, and the cores may differ from each other.
const KERNEL = `(()=>{const a=new Float64Array(1<<20);let x=0,n=0;const t=Date.now();while(Date.now()-t<3000){for(let i=0;i<a.length;i++){a[i]=a[i]*0.5+i;x+=a[(i*7)&(a.length-1)];}n++;}console.log(n)})()`;
async function kernelRuns(cores: number[]): Promise<number[]> {
  return Promise.all(
    cores.map(
      (core) =>
        new Promise<number>((resolve, reject) => {
          const args = ['-e', KERNEL];
          const c = TASKSET ? spawn(TASKSET, ['-c', String(core), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          c.stdout.on('data', (d: Buffer) => (out += d));
          c.on('error', reject);
          c.on('close', () => resolve(Number(out.trim())));
        }),
    ),
  );
}
const [alone0] = await kernelRuns([0]);
const [alone1] = await kernelRuns([1]);
const together = await kernelRuns([0, 1]);
const machineGain = (together[0] + together[1]) / Math.max(alone0, alone1);
const machineLine = `core 0 alone ${alone0}, core 1 alone ${alone1}; both at once ${together[0]} + ${together[1]} = ×${machineGain.toFixed(2)} the faster core alone`;
console.error(`machine check (loop passes in 3 s): ${machineLine}`);

const load0 = os.loadavg();
const runs: Run[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const layout of ['folders', 'pairs'] as const) {
    for (const [workers, pinned] of [[1, false], [2, false], ...(TASKSET ? [[1, true]] : [])] as Array<[number, boolean]>) {
      const r = run(workers, layout, round, pinned);
      runs.push(r);
      console.error(`round ${round + 1} ${layout} ${workers}w${pinned ? ' on 1 core' : ''}: ${r.imgPerSec.toFixed(2)} img/s, ${r.cpuPerPhoto.toFixed(0)} ms CPU/photo, RSS ${r.peakRssMB} MB, batch ${r.batchCores.toFixed(2)} cores, others ${r.othersCores.toFixed(2)} cores`);
    }
  }
}
const load1 = os.loadavg();

const of = (layout: string, w: number, pinned = false) => runs.filter((r) => r.layout === layout && r.workers === w && r.pinned === pinned);
const best = (layout: string, w: number) => of(layout, w).sort((a, b) => b.imgPerSec - a.imgPerSec)[0];
const f2 = (v: number) => v.toFixed(2);
const rows: string[] = [];
for (const layout of ['folders', 'pairs']) {
  for (let round = 0; round < ROUNDS; round++) {
    const [one, two] = [1, 2].map((w) => of(layout, w)[round]);
    const pin = of(layout, 1, true)[round];
    rows.push(
      `| ${layout === 'folders' ? 'folders, all outputs' : 'pairs (crop + structure)'} | ${round + 1} | ${f2(one.imgPerSec)} | ${f2(two.imgPerSec)} | **×${f2(two.imgPerSec / one.imgPerSec)}** | ${f2(one.wallImgPerSec)} / ${f2(two.wallImgPerSec)} | ${one.cpuPerPhoto.toFixed(0)} / ${two.cpuPerPhoto.toFixed(0)} | ${f2(one.batchCores)} / ${f2(two.batchCores)} | ${f2(one.othersCores)} / ${f2(two.othersCores)} | ${one.peakRssMB} / ${two.peakRssMB} | ${pin ? `${f2(pin.imgPerSec)} (2w ×${f2(two.imgPerSec / pin.imgPerSec)})` : '–'} |`,
    );
  }
}
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const md = [
  `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}. Command: \`npm run bench\` (scripts/bench-batch.ts, BENCH_BATCH_PHOTOS=${PHOTOS}, BENCH_BATCH_ROUNDS=${ROUNDS}), ${new Date().toISOString().slice(0, 10)}.`,
  `Photos: ${PHOTOS} made from the ${sourceCount} photos in ../shared/faces at 0.5–2× their size (${f2(mp[0])}–${f2(mp[mp.length - 1])} MP, median ${f2(mp[Math.floor(mp.length / 2)])} MP; 4 in 5 JPEG q85, 1 in 5 PNG; some with no face or several), in 4 sub-folders.`,
  `Each cell is one \`recon-daemon batch <dir> -o <new dir> --embedded --workers N --layout … --json\` (a new process; ORT 1 intra-op thread per worker); 1 and 2 workers alternate in the same run; the last column is 1 worker with the whole process pinned to one core (\`taskset -c 0\`), for scaling per core. img/s counts from the workers being ready to the last photo committed; "with start-up" includes process start and model loading.`,
  '',
  '| layout | round | 1 worker (img/s) | 2 workers (img/s) | 2w / 1w | with start-up, 1w / 2w (img/s) | CPU per photo, 1w / 2w (ms) | cores used by the batch, 1w / 2w | cores used by other processes meanwhile, 1w / 2w | peak RSS, 1w / 2w (MB) | 1 worker on 1 core (img/s) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
  `Machine check, same run: passes of a single-threaded, memory-heavy loop in 3 s (each core pinned${TASKSET ? '' : ' — no taskset here, so unpinned'}): ${machineLine} (×2 would be two independent cores). Memory-heavy work like ours (image warps, rasterising, PNG filtering) cannot scale better than that here.`,
  '',
  `Best of the rounds: folders ${f2(best('folders', 1).imgPerSec)} → ${f2(best('folders', 2).imgPerSec)} img/s (×${f2(best('folders', 2).imgPerSec / best('folders', 1).imgPerSec)}), pairs ${f2(best('pairs', 1).imgPerSec)} → ${f2(best('pairs', 2).imgPerSec)} img/s (×${f2(best('pairs', 2).imgPerSec / best('pairs', 1).imgPerSec)}). Load average before / after: ${load0.map(f2).join(' ')} / ${load1.map(f2).join(' ')}.`,
].join('\n');
console.log(md);

const doc = path.join(root, 'docs/benchmarks.md');
const begin = '<!-- bench-batch:begin -->';
const end = '<!-- bench-batch:end -->';
let text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '# Benchmarks\n';
if (!text.includes(begin)) text += `\n## Batch\n\n${begin}\n${end}\n`;
text = text.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${md}\n${end}`);
fs.writeFileSync(doc, text);
fs.rmSync(tmp, { recursive: true, force: true });
