// Reads a TensorFlow.js graph model (model.json: a TF GraphDef as JSON + a weights manifest, and the
// binary weight shards) into plain data: nodes and float32/int32 weight arrays. Quantised weights
// (float16, or uint8/uint16 with scale/min) are dequantised here, exactly as tfjs-converter does on load.

export interface TfAttrValue {
  s?: string; // base64
  i?: string;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: string[]; f?: number[] };
  shape?: { dim?: Array<{ size: string }> };
  tensor?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, TfAttrValue>;
}

export interface TfWeight {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface TfGraph {
  nodes: TfNode[];
  weights: Map<string, TfWeight>;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

interface ModelJson {
  format?: string;
  modelTopology: { node: Array<{ name: string; op: string; input?: string[]; attr?: Record<string, TfAttrValue> }> };
  weightsManifest: Array<{ paths: string[]; weights: ManifestEntry[] }>;
}

/** Parse model.json and its shards; `readShard(path)` returns the bytes of one shard file. */
export function parseTfjsGraph(modelJson: string, readShard: (path: string) => Uint8Array): TfGraph {
  const json = JSON.parse(modelJson) as ModelJson;
  if (!json.modelTopology?.node) throw new Error('not a TFJS graph model: modelTopology.node is missing');
  const nodes: TfNode[] = json.modelTopology.node.map((n) => ({
    name: n.name,
    op: n.op,
    input: n.input ?? [],
    attr: n.attr ?? {},
  }));
  const weights = new Map<string, TfWeight>();
  for (const group of json.weightsManifest) {
    // A group's shards are one buffer cut into files; entries follow each other in manifest order.
    const shards = group.paths.map(readShard);
    const total = shards.reduce((n, s) => n + s.byteLength, 0);
    const buf = new Uint8Array(total);
    let at = 0;
    for (const s of shards) {
      buf.set(s, at);
      at += s.byteLength;
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      if (q) {
        const out = new Float32Array(count);
        if (q.dtype === 'float16') {
          for (let k = 0; k < count; k++) out[k] = halfToFloat(view.getUint16(offset + 2 * k, true));
          offset += 2 * count;
        } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
          const size = q.dtype === 'uint8' ? 1 : 2;
          const scale = q.scale ?? 1;
          const min = q.min ?? 0;
          for (let k = 0; k < count; k++) {
            const v = size === 1 ? view.getUint8(offset + k) : view.getUint16(offset + 2 * k, true);
            out[k] = v * scale + min;
          }
          offset += size * count;
        } else {
          throw new Error(`weight ${w.name}: unsupported quantisation ${q.dtype}`);
        }
        if (w.dtype === 'int32') {
          weights.set(w.name, { shape: w.shape, dtype: 'int32', data: Int32Array.from(out, Math.round) });
        } else {
          weights.set(w.name, { shape: w.shape, dtype: 'float32', data: out });
        }
      } else if (w.dtype === 'float32') {
        const out = new Float32Array(count);
        for (let k = 0; k < count; k++) out[k] = view.getFloat32(offset + 4 * k, true);
        offset += 4 * count;
        weights.set(w.name, { shape: w.shape, dtype: 'float32', data: out });
      } else if (w.dtype === 'int32') {
        const out = new Int32Array(count);
        for (let k = 0; k < count; k++) out[k] = view.getInt32(offset + 4 * k, true);
        offset += 4 * count;
        weights.set(w.name, { shape: w.shape, dtype: 'int32', data: out });
      } else {
        throw new Error(`weight ${w.name}: unsupported dtype ${w.dtype}`);
      }
    }
    if (offset !== total) throw new Error(`weights manifest describes ${offset} bytes but the shards hold ${total}`);
  }
  return { nodes, weights };
}

/** IEEE 754 half → float, including subnormals, infinities and NaN. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function attrString(node: TfNode, key: string): string | undefined {
  const s = node.attr[key]?.s;
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
}

export function attrInts(node: TfNode, key: string): number[] | undefined {
  return node.attr[key]?.list?.i?.map(Number);
}

export function attrStrings(node: TfNode, key: string): string[] {
  return (node.attr[key]?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}
