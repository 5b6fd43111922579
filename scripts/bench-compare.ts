// npm run bench:compare -- --baseline <dir>: this checkout's engine side by side with another checkout's (an
// earlier commit, e.g. `git worktree add ../baseline <commit> && (cd ../baseline && npm ci)`), in one process,
// rounds alternating, so both see the same machine load. Prints and writes (docs/benchmarks.md, between the
// bench-compare markers) the p50 of every engine stage and of all outputs written to a folder, with the ratio.
// Photos: the 1080p JPEG of the public-domain control portrait (frontal) and a turned face from
// ../shared/faces/landmarks (read in place, never copied).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { f1, makeHdPhoto, pct } from './bench-common.js';

const args = process.argv.slice(2);
const at = args.indexOf('--baseline');
const baseline = path.resolve(at >= 0 ? args[at + 1] : (process.env.BENCH_BASELINE ?? ''));
if (!baseline || !fs.existsSync(path.join(baseline, 'src/recon/reconstruct.ts'))) {
  console.error('Give the baseline checkout: npm run bench:compare -- --baseline ../baseline (a worktree of an earlier commit, with npm ci run in it)');
  process.exit(2);
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const root = path.resolve(import.meta.dirname, '..');
const faces = path.resolve(root, '../shared/faces');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bench-compare-'));
const rev = (dir: string): string => execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();

interface Side {
  name: string;
  engine: { reconstruct(input: string): Promise<{ timings: Record<string, number> }>; dispose(): Promise<void> };
  toFolder: (engine: unknown, input: string, dir: string) => Promise<{ result: { timings: Record<string, number> } }>;
}

async function load(dir: string, name: string): Promise<Side> {
  const { createEngine } = await import(path.join(dir, 'src/recon/reconstruct.ts'));
  const { reconstructToFolder } = await import(path.join(dir, 'src/recon/folder.ts'));
  return { name, engine: await createEngine(), toFolder: reconstructToFolder };
}

const photos: Array<[string, string]> = [
  ['1080p frontal portrait', await makeHdPhoto(faces, tmp)],
  ['turned face (AFLW2000 image02616, 38°)', path.join(faces, 'landmarks/aflw2000_image02616.jpg')],
];
const sides = [await load(baseline, `baseline ${rev(baseline)}`), await load(root, `this checkout ${rev(root)}`)];

const rows: string[][] = [];
const summary: Record<string, Record<string, number>> = {};
for (const [label, photo] of photos) {
  const stages = sides.map(() => ({}) as Record<string, number[]>);
  const folder = sides.map(() => [] as number[]);
  for (const s of sides) for (let i = 0; i < 3; i++) await s.engine.reconstruct(photo);
  for (const [k, s] of sides.entries()) for (let i = 0; i < 3; i++) await s.toFolder(s.engine, photo, path.join(tmp, `warm-${k}-${i}`));
  for (let i = 0; i < ROUNDS; i++) {
    for (const [k, s] of sides.entries()) {
      const r = await s.engine.reconstruct(photo);
      for (const [stage, v] of Object.entries(r.timings)) (stages[k][stage] ??= []).push(v);
    }
  }
  for (let i = 0; i < ROUNDS; i++) {
    for (const [k, s] of sides.entries()) {
      const t = performance.now();
      const res = await s.toFolder(s.engine, photo, path.join(tmp, `out-${k}-${i}`));
      folder[k].push(performance.now() - t);
      (stages[k]['outputs (folder)'] ??= []).push(res.result.timings.outputs ?? NaN);
    }
  }
  const keys = ['decode', 'detect', 'landmarks', 'pose', 'total', 'outputs (folder)'];
  for (const key of keys) {
    const a = pct(stages[0][key] ?? [NaN], 50);
    const b = pct(stages[1][key] ?? [NaN], 50);
    rows.push([label, key, f1(a), f1(b), `${(b / a).toFixed(2)} ×`]);
  }
  const a = pct(folder[0], 50);
  const b = pct(folder[1], 50);
  rows.push([label, 'whole photo, all outputs to a new folder', f1(a), f1(b), `${(b / a).toFixed(2)} ×`]);
  summary[label] = { totalRatio: pct(stages[1].total, 50) / pct(stages[0].total, 50), folderRatio: b / a };
}
for (const s of sides) await s.engine.dispose();
fs.rmSync(tmp, { recursive: true, force: true });

const header = ['photo', 'stage (warm, p50 ms)', sides[0].name, sides[1].name, 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
console.log([header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n'));

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const md = [
  '<!-- bench-compare:begin -->',
  '',
  `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}. Command: \`npm run bench:compare -- --baseline <checkout of ${rev(baseline)}>\`, ` +
    `${new Date().toISOString().slice(0, 10)}; ${ROUNDS} rounds per photo, the two engines alternating in one process.`,
  '',
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  '<!-- bench-compare:end -->',
].join('\n');
const doc = path.join(root, 'docs/benchmarks.md');
const text = fs.readFileSync(doc, 'utf8');
const a = text.indexOf('<!-- bench-compare:begin -->');
const b = text.indexOf('<!-- bench-compare:end -->');
if (a >= 0 && b > a) fs.writeFileSync(doc, text.slice(0, a) + md + text.slice(b + '<!-- bench-compare:end -->'.length));
else fs.writeFileSync(doc, `${text.trimEnd()}\n\n## Side by side with an earlier commit\n\n${md}\n`);
console.log(`\nwrote docs/benchmarks.md (${JSON.stringify(summary)})`);
