// The maps thread (src/recon/outputs/face-images.ts, maps-thread.ts): the folder writer renders and encodes
// the maps there while it exports the mesh here. It must write exactly the bytes the single-thread path
// writes, for every option, and a thread that dies mid-job must cost nothing but time.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconstructToFolder } from '../src/recon/folder.js';
import { currentMapsThread, mapsThreadRunning, renderFaceImagesBeside } from '../src/recon/outputs/face-images.js';
import { VIEW_MAP_FILES } from '../src/recon/outputs/view-maps.js';
import { faceViews } from '../src/recon/views.js';
import { setOutputThreads } from '../src/recon/outputs/threading.js';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import { compiledScript } from '../src/util/compiled-script.js';
import { lazyRequestThread } from '../src/util/request-thread.js';
import { casePath, landmarksDir } from './helpers/paths.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine.dispose());

async function bothWays<T>(run: () => Promise<T>): Promise<{ threaded: T; here: T }> {
  const threaded = await run();
  process.env.RECON_MAPS_THREAD = '0';
  try {
    return { threaded, here: await run() };
  } finally {
    delete process.env.RECON_MAPS_THREAD;
  }
}

describe('the maps thread', () => {
  it('runs, and writes the same files as the single-thread path on real photos, for each size, detail and subset', async () => {
    expect(currentMapsThread()?.alive).toBe(true);
    const photos = [casePath('control_obama_official_portrait.jpg'), casePath('astronaut_eileen_collins.png'), ...fs.readdirSync(landmarksDir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().slice(0, 3).map((f) => path.join(landmarksDir, f))];
    const variants = [
      {},
      { size: 512, detail: 0 },
      { size: 128, detail: 1 },
      { outputs: ['structure', 'crop'] as const },
      { outputs: ['depth', 'mask'] as const },
      { outputs: ['front-structure', 'front-mask'] as const },
    ];
    let compared = 0;
    for (const photo of photos) {
      for (const v of variants) {
        const dirs = { threaded: fs.mkdtempSync(path.join(os.tmpdir(), 'maps-t-')), here: fs.mkdtempSync(path.join(os.tmpdir(), 'maps-h-')) };
        const { threaded, here } = await bothWays(async () => {
          const dir = process.env.RECON_MAPS_THREAD === '0' ? dirs.here : dirs.threaded;
          return reconstructToFolder(engine, photo, dir, { ...v, outputs: v.outputs ? [...v.outputs] : undefined });
        });
        expect(threaded.result.depthScale).toEqual(here.result.depthScale);
        expect(threaded.result.frontDepthScale).toEqual(here.result.frontDepthScale);
        expect(threaded.result.frontView).toEqual(here.result.frontView);
        for (const f of VIEW_MAP_FILES) {
          const a = path.join(dirs.threaded, f);
          if (!fs.existsSync(path.join(dirs.here, f))) {
            expect(fs.existsSync(a), f).toBe(false);
            continue;
          }
          expect(Buffer.compare(fs.readFileSync(a), fs.readFileSync(path.join(dirs.here, f))), `${path.basename(photo)} ${JSON.stringify(v)} ${f}`).toBe(0);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(120);
  });

  it('is not used by a thread whose outputs run inline (batch workers), which writes every file the same', async () => {
    await currentMapsThread()?.stop();
    expect(mapsThreadRunning()).toBe(false);
    const photos = [casePath('control_obama_official_portrait.jpg'), casePath('astronaut_eileen_collins.png')];
    const dirs = photos.map(() => ({ inline: fs.mkdtempSync(path.join(os.tmpdir(), 'maps-i-')), spread: fs.mkdtempSync(path.join(os.tmpdir(), 'maps-s-')) }));
    setOutputThreads('inline');
    try {
      for (const [i, photo] of photos.entries()) await reconstructToFolder(engine, photo, dirs[i].inline);
      expect(mapsThreadRunning(), 'inline outputs started the maps thread').toBe(false);
    } finally {
      setOutputThreads('spread');
    }
    for (const [i, photo] of photos.entries()) await reconstructToFolder(engine, photo, dirs[i].spread);
    expect(mapsThreadRunning()).toBe(true);
    let compared = 0;
    for (const [i, { inline, spread }] of dirs.entries()) {
      const files = fs.readdirSync(spread).filter((f) => f !== 'result.json').sort();
      expect(fs.readdirSync(inline).filter((f) => f !== 'result.json').sort()).toEqual(files);
      for (const f of files) {
        expect(Buffer.compare(fs.readFileSync(path.join(inline, f)), fs.readFileSync(path.join(spread, f))), `${path.basename(photos[i])} ${f}`).toBe(0);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(15);
  });

  it('answers every job when the thread dies mid-way, and a new thread takes the next ones', async () => {
    const r = await engine.reconstruct(casePath('control_obama_official_portrait.jpg'));
    const face = r.faces[r.reconstructed[0]];
    const views = faceViews(face.points!, face.pose!, 1024);
    const outputs = [...VIEW_MAP_FILES];
    const expected = await bothWays(() => renderFaceImagesBeside(r.decoded, views, { outputs })).then((x) => x.here);
    const first = currentMapsThread()!;
    const pending = Array.from({ length: 6 }, () => renderFaceImagesBeside(r.decoded, views, { outputs }));
    expect(first.inFlight).toBe(6);
    await first.stop();
    for (const got of await Promise.all(pending)) {
      for (const f of VIEW_MAP_FILES) expect(Buffer.compare(Buffer.from(got.files[f]!), Buffer.from(expected.files[f]!)), f).toBe(0);
    }
    const second = currentMapsThread();
    expect(second?.alive).toBe(true);
    expect(second).not.toBe(first);
    const again = await renderFaceImagesBeside(r.decoded, views, { outputs });
    expect(Buffer.compare(Buffer.from(again.files['structure.png']!), Buffer.from(expected.files['structure.png']!))).toBe(0);
  });
});

describe('request threads', () => {
  it('never keep a process alive when idle: one that started the maps thread, used or not, exits by itself', () => {
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'maps-exit-')), 'run.mjs');
    fs.writeFileSync(
      script,
      `const { currentMapsThread } = await import(${JSON.stringify(new URL('../dist/recon/outputs/face-images.js', import.meta.url).href)});
      const t = currentMapsThread();
      if (process.argv[2] === 'use') {
        const reply = await t.request({ size: 128, toCrop: [1, 0, 0, 0, 1, 0], imageSize: { width: 1, height: 1 }, camera: [], front: [], rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], detail: 0, outputs: ['structure.png'] }).catch((e) => String(e));
        console.log(typeof reply === 'string' ? 'answered with an error' : 'answered');
      } else {
        // Long enough for the thread to come online (the CLI failing before any outputs once hung here).
        await new Promise((r) => setTimeout(r, 1500));
        console.log('started, alive:', t.alive);
      }`,
    );
    for (const mode of ['start only', 'use']) {
      const r = spawnSync(process.execPath, [script, mode], { encoding: 'utf8', timeout: 20_000 });
      expect(r.error, mode).toBeUndefined();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, mode).toMatch(mode === 'use' ? /answered with an error/ : /started, alive: true/);
    }
    // Flags of the host process (here one a worker cannot start with) do not reach the helper.
    const flags = spawnSync(process.execPath, ['--input-type=module', '-e', `const { currentMapsThread } = await import(${JSON.stringify(new URL('../dist/recon/outputs/face-images.js', import.meta.url).href)}); const t = currentMapsThread(); await new Promise((r) => setTimeout(r, 1500)); console.log('alive:', t.alive);`], { encoding: 'utf8', timeout: 20_000 });
    expect(flags.stdout).toMatch(/alive: true/);
  });

  it('finds the compiled script from source, and has none for a script that was never built', () => {
    expect(compiledScript('recon/outputs/maps-thread.js')?.pathname).toMatch(/dist\/recon\/outputs\/maps-thread\.js$/);
    expect(compiledScript('recon/outputs/no-such-thread.js')).toBeUndefined();
    expect(lazyRequestThread('recon/outputs/no-such-thread.js', 'none')()).toBeUndefined();
  });

  it('stops restarting a helper that keeps dying', async () => {
    const get = lazyRequestThread('recon/outputs/maps-thread.js', 'test-maps', 2);
    for (let i = 0; i < 2; i++) {
      const t = get();
      expect(t?.alive).toBe(true);
      await t!.stop();
      expect(t!.alive).toBe(false);
      expect(await t!.request({})).toBeUndefined();
    }
    expect(get()).toBeUndefined();
  });
});
