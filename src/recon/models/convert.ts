// TFJS graph model → ONNX. TensorFlow is NHWC, ONNX's Conv/MaxPool are NCHW. We switch layout once:
// a Transpose right after each 4-D input, everything inside runs NCHW (weights are re-laid offline),
// and a Transpose back only where TF semantics depend on the memory order (Reshape, graph outputs).
// That keeps the converted graph as lean as the source: measured, it adds 1 Transpose per input/output
// instead of 2 per op.
import { attrInts, attrString, attrStrings, type TfGraph, type TfNode, type TfWeight } from './tfjs-graph.js';
import { encodeModel, OnnxAttributeType, OnnxDataType, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-schema.js';

export const CONVERTER_VERSION = 1;
export const OPSET = 13;

/** Every TF op the converter handles; anything else is a clear error naming the op. */
export const SUPPORTED_OPS = [
  'Const', 'Placeholder', 'Identity', '_FusedConv2D', 'Conv2D', 'DepthwiseConv2dNative', 'AddV2', 'Add', 'BiasAdd',
  'Relu', 'Relu6', 'Prelu', 'Sigmoid', 'MaxPool', 'Pad', 'Reshape', 'ConcatV2',
] as const;

type Layout = 'nchw' | 'plain';

interface TensorInfo {
  name: string;
  layout: Layout;
}

export interface ConvertOptions {
  /** Model name written into the ONNX graph and metadata. */
  name: string;
  /** Free-form provenance (source package, version, hash) stored as metadata_props. */
  metadata?: Record<string, string>;
}

export interface ConvertedModel {
  bytes: Uint8Array;
  inputs: Array<{ name: string; shape: Array<number | string> }>;
  /** ONNX output names, in the order of TF output node names sorted as strings (Identity, Identity_1…). */
  outputs: string[];
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

export function convertTfjsGraph(graph: TfGraph, options: ConvertOptions): ConvertedModel {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const tensors = new Map<string, TensorInfo>();
  const consts = new Map<string, TfWeight>();
  const inputs: ConvertedModel['inputs'] = [];
  let uid = 0;
  const fresh = (base: string): string => `${base}__${uid++}`;

  const addInit = (name: string, dims: number[], data: Float32Array | Int32Array | BigInt64Array): string => {
    const type = data instanceof Float32Array ? OnnxDataType.FLOAT : data instanceof Int32Array ? OnnxDataType.INT32 : OnnxDataType.INT64;
    initializers.push({ name, dims, data_type: type, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  };
  const node = (op: string, input: string[], output: string, attribute: OnnxAttribute[] = []): string => {
    nodes.push({ name: output, op_type: op, input, output: [output], attribute });
    return output;
  };
  const transpose = (x: string, perm: number[]): string => node('Transpose', [x], fresh(`${x}/transpose`), [ints('perm', perm)]);

  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.input) consumers.set(tensorName(i), (consumers.get(tensorName(i)) ?? 0) + 1);

  const constOf = (ref: string, forNode: TfNode): TfWeight => {
    const c = consts.get(tensorName(ref));
    if (!c) throw new Error(`${forNode.op} ${forNode.name}: input ${ref} must be a constant`);
    return c;
  };
  const tensor = (ref: string, forNode: TfNode): TensorInfo => {
    const t = tensors.get(tensorName(ref));
    if (!t) throw new Error(`${forNode.op} ${forNode.name}: input ${ref} is not produced by a converted node`);
    return t;
  };
  // A constant used as a runtime operand (e.g. the second term of an Add) becomes an initializer.
  const operand = (ref: string, forNode: TfNode, layout: Layout): string => {
    const name = tensorName(ref);
    const t = tensors.get(name);
    if (t) return t.layout === layout ? t.name : transpose(t.name, layout === 'nchw' ? NHWC_TO_NCHW : NCHW_TO_NHWC);
    const c = constOf(ref, forNode);
    if (layout === 'nchw' && c.shape.length === 4) {
      const p = permute(c, NHWC_TO_NCHW);
      return addInit(fresh(name), p.shape, p.data);
    }
    if (layout === 'nchw' && c.shape.length >= 1 && c.shape.length <= 3) {
      // Per-channel vectors ([C], [1,C], [1,1,C]) broadcast over NCHW as [C,1,1].
      const ch = c.shape[c.shape.length - 1];
      if (c.shape.slice(0, -1).every((d) => d === 1)) return addInit(fresh(name), [ch, 1, 1], c.data);
    }
    return addInit(fresh(name), c.shape, c.data);
  };

  for (const n of graph.nodes) {
    const out = n.name;
    switch (n.op) {
      case 'Const': {
        const w = graph.weights.get(n.name);
        if (!w) throw new Error(`Const ${n.name} has no weights in the manifest`);
        consts.set(n.name, w);
        break;
      }
      case 'Placeholder': {
        const dims = (n.attr.shape?.shape?.dim ?? []).map((d) => Number(d.size));
        const shape = dims.map((d, k) => (d < 0 ? (k === 0 ? 'batch' : `d${k}`) : d));
        inputs.push({ name: out, shape });
        if (dims.length === 4) tensors.set(out, { name: transpose(out, NHWC_TO_NCHW), layout: 'nchw' });
        else tensors.set(out, { name: out, layout: 'plain' });
        break;
      }
      case 'Identity': {
        const t = tensor(n.input[0], n);
        tensors.set(out, t);
        break;
      }
      case '_FusedConv2D':
      case 'Conv2D':
      case 'DepthwiseConv2dNative': {
        assertNhwc(n);
        const x = tensor(n.input[0], n);
        if (x.layout !== 'nchw') throw new Error(`${n.op} ${n.name}: expected a 4-D NHWC input`);
        const filter = constOf(n.input[1], n);
        const depthwise = n.op === 'DepthwiseConv2dNative';
        const [kh, kw, cin] = filter.shape;
        const weight = depthwise ? depthwiseToOihw(filter) : permute(filter, [3, 2, 0, 1]);
        const convInputs = [x.name, addInit(fresh(`${n.name}/W`), weight.shape, weight.data)];
        const fused = n.op === '_FusedConv2D' ? attrStrings(n, 'fused_ops') : [];
        if (fused[0] === 'BiasAdd') {
          const bias = constOf(n.input[2], n);
          convInputs.push(addInit(fresh(`${n.name}/B`), [bias.shape[0]], bias.data));
        } else if (fused.length > 0) {
          throw new Error(`_FusedConv2D ${n.name}: unsupported fused ops ${fused.join(',')}`);
        }
        const strides = attrInts(n, 'strides') ?? [1, 1, 1, 1];
        const dil = attrInts(n, 'dilations') ?? [1, 1, 1, 1];
        const attrs = [
          ints('kernel_shape', [kh, kw]),
          ints('strides', [strides[1], strides[2]]),
          ints('dilations', [dil[1], dil[2]]),
          { name: 'group', type: OnnxAttributeType.INT, i: depthwise ? cin : 1 },
          ...padAttrs(n),
        ];
        const activations = fused.slice(1);
        let y = node('Conv', convInputs, activations.length ? fresh(`${n.name}/conv`) : out, attrs);
        for (let k = 0; k < activations.length; k++) {
          const last = k === activations.length - 1;
          const target = last ? out : fresh(`${n.name}/act`);
          y = activation(activations[k], y, target, n, () => operand(n.input[3], n, 'nchw'));
        }
        tensors.set(out, { name: y, layout: 'nchw' });
        break;
      }
      case 'BiasAdd':
      case 'AddV2':
      case 'Add': {
        const a = tensors.get(tensorName(n.input[0]));
        const layout: Layout = a?.layout ?? 'plain';
        const y = node('Add', [operand(n.input[0], n, layout), operand(n.input[1], n, layout)], out);
        tensors.set(out, { name: y, layout });
        break;
      }
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid': {
        const x = tensor(n.input[0], n);
        tensors.set(out, { name: activation(n.op, x.name, out, n, () => ''), layout: x.layout });
        break;
      }
      case 'Prelu': {
        const x = tensor(n.input[0], n);
        const y = node('PRelu', [x.name, operand(n.input[1], n, x.layout)], out);
        tensors.set(out, { name: y, layout: x.layout });
        break;
      }
      case 'MaxPool': {
        assertNhwc(n);
        const x = tensor(n.input[0], n);
        const k = attrInts(n, 'ksize') ?? [1, 1, 1, 1];
        const s = attrInts(n, 'strides') ?? [1, 1, 1, 1];
        if (k[0] !== 1 || k[3] !== 1) throw new Error(`MaxPool ${n.name}: pooling over batch or channels is not supported`);
        const y = node('MaxPool', [x.name], out, [ints('kernel_shape', [k[1], k[2]]), ints('strides', [s[1], s[2]]), ...padAttrs(n)]);
        tensors.set(out, { name: y, layout: 'nchw' });
        break;
      }
      case 'Pad': {
        const x = tensor(n.input[0], n);
        const p = constOf(n.input[1], n);
        const rank = p.shape[0];
        let before = Array.from({ length: rank }, (_, d) => Number(p.data[2 * d]));
        let after = Array.from({ length: rank }, (_, d) => Number(p.data[2 * d + 1]));
        if (x.layout === 'nchw') {
          before = NHWC_TO_NCHW.map((d) => before[d]);
          after = NHWC_TO_NCHW.map((d) => after[d]);
        }
        const pads = addInit(fresh(`${n.name}/pads`), [2 * rank], BigInt64Array.from([...before, ...after].map(BigInt)));
        const y = node('Pad', [x.name, pads], out, [{ name: 'mode', type: OnnxAttributeType.STRING, s: utf8('constant') }]);
        tensors.set(out, { name: y, layout: x.layout });
        break;
      }
      case 'Reshape': {
        // TF reshapes the NHWC memory order: go back to NHWC first.
        const x = tensor(n.input[0], n);
        const src = x.layout === 'nchw' ? transpose(x.name, NCHW_TO_NHWC) : x.name;
        const shape = constOf(n.input[1], n);
        const s = addInit(fresh(`${n.name}/shape`), [shape.shape[0] ?? 1], BigInt64Array.from(Array.from(shape.data, (v) => BigInt(v))));
        tensors.set(out, { name: node('Reshape', [src, s], out), layout: 'plain' });
        break;
      }
      case 'ConcatV2': {
        const parts = n.input.slice(0, -1).map((r) => tensor(r, n));
        const axisConst = constOf(n.input[n.input.length - 1], n);
        let axis = Number(axisConst.data[0]);
        const layout = parts[0].layout;
        if (parts.some((p) => p.layout !== layout)) throw new Error(`ConcatV2 ${n.name}: mixed layouts`);
        if (layout === 'nchw') axis = NHWC_TO_NCHW.indexOf(axis < 0 ? axis + 4 : axis);
        const y = node('Concat', parts.map((p) => p.name), out, [{ name: 'axis', type: OnnxAttributeType.INT, i: axis }]);
        tensors.set(out, { name: y, layout });
        break;
      }
      default:
        throw new Error(`unsupported TF op ${n.op} (node ${n.name}); supported: ${SUPPORTED_OPS.join(', ')}`);
    }
  }

  // Graph outputs: nodes nobody consumes (TF's Identity outputs), back in TF layout, under their TF names.
  const outputNames = graph.nodes
    .filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && !consumers.has(n.name))
    .map((n) => n.name)
    .sort();
  const outputs = outputNames.map((name) => {
    const t = tensors.get(name)!;
    const src = t.layout === 'nchw' ? transpose(t.name, NCHW_TO_NHWC) : t.name;
    if (src !== name) node('Identity', [src], name);
    return name;
  });
  // Identity nodes that were pass-throughs may now produce a graph output that is also an inner name;
  // keep the node list free of duplicate producers.
  dedupeProducers(nodes);

  const model: OnnxModel = {
    ir_version: 8,
    producer_name: 'recon-daemon tfjs-to-onnx',
    producer_version: String(CONVERTER_VERSION),
    opset_import: [{ domain: '', version: OPSET }],
    graph: {
      name: options.name,
      node: nodes,
      initializer: initializers,
      input: inputs.map((i) => valueInfo(i.name, i.shape)),
      output: outputs.map((o) => ({ name: o, type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [] } } } })),
    },
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  // The dims list of outputs is left empty: ORT infers it; an empty shape would claim rank 0, so drop it.
  for (const o of model.graph.output) delete (o.type.tensor_type as { shape?: unknown }).shape;
  return { bytes: encodeModel(model), inputs, outputs };

  function activation(op: string, x: string, target: string, n: TfNode, alpha: () => string): string {
    switch (op) {
      case 'Relu':
        return node('Relu', [x], target);
      case 'Relu6':
        return node('Clip', [x, addInit(fresh(`${n.name}/min`), [], Float32Array.of(0)), addInit(fresh(`${n.name}/max`), [], Float32Array.of(6))], target);
      case 'Sigmoid':
        return node('Sigmoid', [x], target);
      case 'Prelu':
        return node('PRelu', [x, alpha()], target);
      default:
        throw new Error(`${n.op} ${n.name}: unsupported fused activation ${op}`);
    }
  }
}

function dedupeProducers(nodes: OnnxNode[]): void {
  const seen = new Set<string>();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const o = nodes[k].output[0];
    if (seen.has(o)) throw new Error(`internal: tensor ${o} produced twice`);
    seen.add(o);
  }
}

function tensorName(ref: string): string {
  const r = ref.startsWith('^') ? ref.slice(1) : ref;
  return r.endsWith(':0') ? r.slice(0, -2) : r;
}

function assertNhwc(n: TfNode): void {
  const f = attrString(n, 'data_format');
  if (f && f !== 'NHWC') throw new Error(`${n.op} ${n.name}: data_format ${f} is not supported (NHWC only)`);
}

function padAttrs(n: TfNode): OnnxAttribute[] {
  const padding = attrString(n, 'padding') ?? 'VALID';
  // TF SAME puts the odd pixel of padding after the data: that is ONNX's SAME_UPPER.
  if (padding === 'SAME') return [{ name: 'auto_pad', type: OnnxAttributeType.STRING, s: utf8('SAME_UPPER') }];
  if (padding === 'VALID') return [{ name: 'auto_pad', type: OnnxAttributeType.STRING, s: utf8('VALID') }];
  if (padding === 'EXPLICIT') {
    const e = attrInts(n, 'explicit_paddings') ?? [];
    return [ints('pads', [e[2], e[4], e[3], e[5]])];
  }
  throw new Error(`${n.op} ${n.name}: padding ${padding} is not supported`);
}

function ints(name: string, values: number[]): OnnxAttribute {
  return { name, type: OnnxAttributeType.INTS, ints: values };
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function valueInfo(name: string, shape: Array<number | string>) {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: OnnxDataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

/** Permute a constant's axes offline (e.g. HWIO → OIHW). */
export function permute(w: TfWeight, perm: number[]): { shape: number[]; data: Float32Array | Int32Array } {
  const shape = perm.map((p) => w.shape[p]);
  const rank = w.shape.length;
  const srcStrides = new Array<number>(rank);
  srcStrides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) srcStrides[d] = srcStrides[d + 1] * w.shape[d + 1];
  const out = w.data instanceof Float32Array ? new Float32Array(w.data.length) : new Int32Array(w.data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * srcStrides[perm[d]];
    out[k] = w.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { shape, data: out };
}

/** TF depthwise filter [H, W, C, M] → ONNX grouped Conv weight [C·M, 1, H, W] (output channel c·M + m). */
function depthwiseToOihw(w: TfWeight): { shape: number[]; data: Float32Array | Int32Array } {
  const [h, wd, c, m] = w.shape;
  const p = permute(w, [2, 3, 0, 1]);
  return { shape: [c * m, 1, h, wd], data: p.data };
}
