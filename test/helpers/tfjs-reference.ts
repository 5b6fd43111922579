// The TFJS reference for the converter's parity test: the same model.json + weights run by TensorFlow.js's
// own graph executor on its CPU backend (dev dependencies only; the product never loads TFJS).
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-converter';
import { sourcePackageDir, type ModelName } from '../../src/recon/models/store.js';

const models = new Map<ModelName, tfc.GraphModel>();

export async function loadReference(name: ModelName): Promise<tfc.GraphModel> {
  const cached = models.get(name);
  if (cached) return cached;
  await tf.setBackend('cpu');
  const dir = path.join(sourcePackageDir(), 'models');
  const json = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const weightSpecs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const bins = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths).map((p: string) => fs.readFileSync(path.join(dir, p)));
  const all = Buffer.concat(bins);
  const model = await tfc.loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) }),
  );
  models.set(name, model);
  return model;
}

/** Run the reference; outputs keyed like the ONNX graph's (TF node names without ":0"). */
export async function runReference(name: ModelName, data: Float32Array, shape: number[]): Promise<Record<string, Float32Array>> {
  const model = await loadReference(name);
  const names = model.outputs.map((o) => o.name);
  const input = tf.tensor(data, shape);
  const res = model.execute(input, names);
  const list = Array.isArray(res) ? res : [res];
  const out: Record<string, Float32Array> = {};
  list.forEach((t, k) => {
    out[names[k].replace(/:0$/, '')] = t.dataSync() as Float32Array;
    t.dispose();
  });
  input.dispose();
  return out;
}
