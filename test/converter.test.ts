// The converter's proof: on every photo in ../shared/faces, the inputs our pipeline really feeds to each model
// (letterboxed frame, rotated face crops of both passes, eye crops) give the same outputs from our ONNX
// conversion as from TensorFlow.js running the original graph.
// Tolerance: |onnx − tfjs| ≤ 1e-3 + 1e-5·|tfjs| per value (outputs are pixels and logits of magnitude up to ~10²;
// float32 reordering of sums in the two runtimes measured ≤ 2.5e-4 here).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import { convertTfjsGraph, SUPPORTED_OPS } from '../src/recon/models/convert.js';
import { decodeModel } from '../src/recon/models/onnx-schema.js';
import { ensureModel, MODEL_NAMES, sourcePackageDir, type ModelName } from '../src/recon/models/store.js';
import { halfToFloat, parseTfjsGraph } from '../src/recon/models/tfjs-graph.js';
import { allPhotos, repoRoot } from './helpers/paths.js';
import { runReference } from './helpers/tfjs-reference.js';

interface Call {
  name: ModelName;
  data: Float32Array;
  shape: number[];
  out: Record<string, Float32Array>;
}

let engine: Engine;
const calls: Call[] = [];

beforeAll(async () => {
  engine = await createEngine();
  // Record every real model call (inputs and ONNX outputs) while the real pipeline runs.
  const run = engine.runtime.run.bind(engine.runtime);
  engine.runtime.run = async (name, data, shape) => {
    const out = await run(name, data, shape);
    calls.push({ name, data: data.slice(), shape: [...shape], out: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data.slice()])) });
    return out;
  };
});

describe('TFJS → ONNX converter', () => {
  it('decodes float16 weights exactly', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
  });

  it('covers every op of the three models and names an unsupported one', () => {
    const dir = path.join(sourcePackageDir(), 'models');
    for (const name of MODEL_NAMES) {
      const g = parseTfjsGraph(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'), (p) => fs.readFileSync(path.join(dir, p)));
      for (const n of g.nodes) expect(SUPPORTED_OPS as readonly string[]).toContain(n.op);
      const bad = { ...g, nodes: g.nodes.map((n) => (n.op === 'Relu' || n.op === 'Prelu' ? { ...n, op: 'Softplus' } : n)) };
      expect(() => convertTfjsGraph(bad, { name })).toThrow(/unsupported TF op Softplus/);
    }
  });

  it('writes a readable ONNX file with provenance, cached by source hash', () => {
    const first = ensureModel('facemesh');
    const again = ensureModel('facemesh');
    expect(again.path).toBe(first.path);
    expect(again.built).toBe(false);
    const model = decodeModel(fs.readFileSync(first.path));
    expect(model.opset_import[0].version).toBe(13);
    expect(model.graph.input[0].name).toBe('input_1');
    expect(model.graph.output.map((o) => o.name).sort()).toEqual(['Identity', 'Identity_1', 'Identity_2']);
    const meta = Object.fromEntries((model.metadata_props ?? []).map((p) => [p.key, p.value]));
    expect(meta.source).toMatch(/^@vladmandic\/human@3\.3\.6\/models\/facemesh\.json$/);
    expect(meta.sourceHash).toBe(first.hash);
  });

  it('lets several threads of one process convert the same model into an empty cache at once', async () => {
    // A daemon or batch starting on a fresh machine: every worker thread converts the models it lacks, and
    // the threads share a pid. Their temporary files must never share a name: once they did (pid + ms), and a
    // thread's rename failed with ENOENT after another had renamed the shared file away. Each thread here
    // pins the clock to the same millisecond and records the temporary names it renames from. No thread
    // renames before all four have written their temporary file (a barrier, 30 s at most): on a loaded machine
    // one thread could otherwise finish before another looked at the cache, find nothing to race with, and
    // the count of temporary names failed with no fault in the store (seen once under load, 2026-12-05).
    const script = `
      const { workerData, parentPort } = require('node:worker_threads');
      const fs = require('node:fs');
      Date.now = () => 1700000000000;
      const temps = [];
      const rename = fs.renameSync;
      const shared = new Int32Array(workerData.gate);
      fs.renameSync = (from, to) => {
        temps.push(String(from));
        Atomics.add(shared, 1, 1);
        Atomics.notify(shared, 1);
        const deadline = performance.now() + 30000;
        for (let n; (n = Atomics.load(shared, 1)) < 4 && performance.now() < deadline; ) Atomics.wait(shared, 1, n, 100);
        return rename(from, to);
      };
      Atomics.wait(shared, 0, 0);
      import(workerData.store).then((m) => m.ensureModel('iris', workerData.dir)).then(
        (r) => parentPort.postMessage({ ok: r.path, temps }),
        (e) => parentPort.postMessage({ error: String(e), temps }),
      );`;
    const store = pathToFileURL(path.join(repoRoot, 'dist/recon/models/store.js')).href;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-race-'));
    const gate = new SharedArrayBuffer(8); // [0]: the start gate, [1]: threads waiting to rename
    const threads = Array.from({ length: 4 }, () => new Worker(script, { eval: true, workerData: { gate, store, dir } }));
    const replies = threads.map((w) => new Promise<{ ok?: string; error?: string; temps: string[] }>((resolve) => w.once('message', resolve)));
    await new Promise((r) => setTimeout(r, 300)); // every thread waiting at the gate
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    const got = await Promise.all(replies);
    await Promise.all(threads.map((w) => w.terminate()));
    expect(got.filter((g) => g.error)).toEqual([]);
    const temps = got.flatMap((g) => g.temps);
    expect(temps).toHaveLength(4);
    expect(new Set(temps).size).toBe(4);
    expect(fs.readdirSync(dir)).toEqual([path.basename(got[0].ok!)]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const photos = allPhotos();
  it.each(photos.map((p) => [path.basename(p), p]))('matches TFJS on the real inputs of %s', async (_n, photo) => {
    calls.length = 0;
    await engine.reconstruct(photo, { faces: 'all' }).catch(() => undefined);
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      const ref = await runReference(c.name, c.data, c.shape);
      for (const [k, onnx] of Object.entries(c.out)) {
        const tf = ref[k];
        expect(tf, `${c.name} output ${k}`).toBeDefined();
        expect(onnx.length).toBe(tf.length);
        let worst = 0;
        for (let i = 0; i < tf.length; i++) worst = Math.max(worst, Math.abs(onnx[i] - tf[i]) - 1e-5 * Math.abs(tf[i]));
        expect(worst, `${c.name}/${k} on ${path.basename(photo)}`).toBeLessThanOrEqual(1e-3);
      }
    }
  });
});
