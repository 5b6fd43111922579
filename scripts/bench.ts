// npm run bench: per-stage latency (p50/p95), warm per-image time, cold start and peak RSS, on this machine.
// Writes the table into docs/benchmarks.md between the bench markers. Photos: a 1080p JPEG made from the
// public-domain control portrait, plus every photo in ../shared/faces.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { f1, makeHdPhoto, pct } from './bench-common.js';
import { createEngine } from '../src/recon/reconstruct.js';
import { reconstructToFolder } from '../src/recon/folder.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const root = path.resolve(import.meta.dirname, '..');
const faces = path.resolve(root, '../shared/faces');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bench-'));

const hd = await makeHdPhoto(faces, tmp);


const engine = await createEngine();
// Warm up: first calls allocate ORT arenas.
for (let i = 0; i < 3; i++) await engine.reconstruct(hd);

const stages: Record<string, number[]> = {};
const add = (k: string, v: number) => (stages[k] ??= []).push(v);
for (let i = 0; i < ROUNDS; i++) {
  const r = await engine.reconstruct(hd);
  for (const [k, v] of Object.entries(r.timings)) add(k, v);
}
// All outputs to disk (the folder writer), same photo. Warm the output code first too: its first calls
// compile the renderers and build the triangulation and subdivision stencils (~150 ms).
for (let i = 0; i < 3; i++) await reconstructToFolder(engine, hd, path.join(tmp, `out-warm-${i}`));
// A new folder per photo, as the daemon (one folder per job) and batch runs write them.
const folderTimes: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t = performance.now();
  const res = await reconstructToFolder(engine, hd, path.join(tmp, `out-${i}`));
  folderTimes.push(performance.now() - t);
  for (const [k, v] of Object.entries(res.result.timings)) if (!['decode', 'detect', 'landmarks', 'pose', 'total'].includes(k)) add(k, v);
}
// The same folder written again and again (re-running `reconstruct -o` into it): on ext4 each rename over an
// existing file first allocates the new file's blocks (auto_da_alloc), so this case is measured apart.
const rewriteTimes: number[] = [];
const rewriteOutputs: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t = performance.now();
  const res = await reconstructToFolder(engine, hd, path.join(tmp, 'out-again'));
  rewriteTimes.push(performance.now() - t);
  rewriteOutputs.push(res.result.timings.outputs);
}
// Every test photo once (mixed sizes), warm.
const photos = ['cases', 'landmarks'].flatMap((d) =>
  fs.readdirSync(path.join(faces, d)).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => path.join(faces, d, f)),
);
const mixed: number[] = [];
for (const p of photos) {
  const t = performance.now();
  await engine.reconstruct(p).catch(() => undefined);
  mixed.push(performance.now() - t);
}
await engine.dispose();
const peakRss = process.resourceUsage().maxRSS / 1024;

// Cold start: a new process, models already converted (cache warm), to the first result on disk.
const cli = path.join(root, 'bin/recon-daemon.js');
const cold: number[] = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, 'reconstruct', hd, '-o', path.join(tmp, 'cold')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cold-start run failed: ${r.stderr}`);
  cold.push(performance.now() - t);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const rows = Object.entries(stages).map(([k, v]) => `| ${k} | ${f1(pct(v, 50))} | ${f1(pct(v, 95))} | ${v.length} |`);
const md = [
  `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.`,
  `Command: \`npm run bench\` (BENCH_ROUNDS=${ROUNDS}), ${new Date().toISOString().slice(0, 10)}. Photo: 1920×1080 JPEG (q90) of the control portrait; one face; default options (largest face, refinement pass, iris).`,
  '',
  '| stage (warm, ms) | p50 | p95 | runs |',
  '| --- | --- | --- | --- |',
  ...rows,
  '',
  '| measure | value |',
  '| --- | --- |',
  `| warm, engine only (decode → pose), p50 / p95 | ${f1(pct(stages.total, 50))} / ${f1(pct(stages.total, 95))} ms |`,
  `| warm, all outputs written to a new folder, p50 / p95 | ${f1(pct(folderTimes, 50))} / ${f1(pct(folderTimes, 95))} ms |`,
  `| warm, all outputs rewritten into the same folder: whole photo, p50 / p95; \`outputs\` p50 | ${f1(pct(rewriteTimes, 50))} / ${f1(pct(rewriteTimes, 95))} ms; ${f1(pct(rewriteOutputs, 50))} ms |`,
  `| warm, the ${photos.length} test photos (mixed sizes, 0–7 faces), p50 / p95 | ${f1(pct(mixed, 50))} / ${f1(pct(mixed, 95))} ms |`,
  `| cold start: \`recon-daemon reconstruct\` process start → result on disk (model cache warm), median of 3 | ${f1(pct(cold, 50))} ms |`,
  `| peak RSS of the benchmark process | ${peakRss.toFixed(0)} MB |`,
].join('\n');
console.log(md);

const doc = path.join(root, 'docs/benchmarks.md');
const begin = '<!-- bench:begin -->';
const end = '<!-- bench:end -->';
let text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : `# Benchmarks\n\n${begin}\n${end}\n`;
if (!text.includes(begin)) text += `\n${begin}\n${end}\n`;
text = text.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${md}\n${end}`);
fs.writeFileSync(doc, text);
fs.rmSync(tmp, { recursive: true, force: true });

