/**
 * The float executor: runs a Graph op by op on NCHW tensors. It is the reference the quantizer
 * calibrates against and the accuracy baseline every quantized executor is compared with.
 */
import { describeNode, type Graph, GraphError, type Node } from "../ir/graph.js";
import { broadcastShapes, formatShape, shapeEquals, sizeOf, stridesOf, type Tensor } from "../ir/tensor.js";
import { binary, erf, gelu, geluTanh, sigmoid, unary } from "./elementwise.js";
import { conv2d } from "./kernels/conv.js";
import { type Conv2dGeometry, conv2dGeometry } from "./kernels/conv-params.js";
import {
  type ConvTransposeGeometry,
  convTranspose2d,
  convTransposeGeometry,
} from "./kernels/conv-transpose.js";
import { matmul } from "./kernels/matmul.js";
import { KernelPool } from "./kernels/pool.js";
import { concat, pad, slice, split, transpose } from "./layout.js";
import { pool2d } from "./pooling.js";
import { layerNorm, reduce, softmax } from "./reduce.js";
import { resize } from "./resize.js";
import { attention, channelLayerNorm } from "./tokens.js";

/** The GEMM-family kernels, swappable so the executor can use a parallel backend. */
export interface GemmBackend {
  conv2d(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | undefined,
    g: Conv2dGeometry,
  ): Promise<Float32Array>;
  convTranspose2d(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | undefined,
    g: ConvTransposeGeometry,
  ): Promise<Float32Array>;
  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Promise<Float32Array>;
}

/** Single-threaded kernels on the calling thread. */
export const syncBackend: GemmBackend = {
  conv2d: async (x, w, b, g) => conv2d(x, w, b, g),
  convTranspose2d: async (x, w, b, g) => convTranspose2d(x, w, b, g),
  matmul: async (a, b, m, k, n) => matmul(a, b, m, k, n),
};

/** The worker pool over every core (it splits large layers and runs small ones inline). */
export function pooledBackend(): GemmBackend {
  const pool = KernelPool.shared();
  return {
    conv2d: (x, w, b, g) => pool.conv2d(x, w, b, g),
    convTranspose2d: (x, w, b, g) => pool.convTranspose2d(x, w, b, g),
    matmul: (a, b, m, k, n) => pool.matmul(a, b, m, k, n),
  };
}

let defaultBackend: GemmBackend | undefined;

export function defaultGemmBackend(): GemmBackend {
  defaultBackend ??= pooledBackend();
  return defaultBackend;
}

export interface RunOptions {
  backend?: GemmBackend;
  /** Called after every node with its outputs (calibration observers hook in here). */
  onNode?: (
    node: Node,
    outputs: readonly Tensor[],
    inputs: readonly (Tensor | undefined)[],
  ) => void | Promise<void>;
  /** Keep every intermediate value in the result, not only graph outputs. */
  keepAll?: boolean;
}

export type TensorMap = Record<string, Tensor>;

export async function runGraph(g: Graph, feeds: TensorMap, opts: RunOptions = {}): Promise<TensorMap> {
  const backend = opts.backend ?? defaultGemmBackend();
  const values = new Map<string, Tensor>();
  for (const name of g.inputs) {
    const t = feeds[name];
    const info = g.values.get(name)!;
    if (!t) throw new GraphError(`missing input "${name}" (${info.dtype}${formatShape(info.shape)})`);
    if (!shapeEquals(t.shape, info.shape)) {
      throw new GraphError(
        `input "${name}" has shape ${formatShape(t.shape)}, the model expects ${formatShape(info.shape)}`,
      );
    }
    values.set(name, t);
  }
  const lastUse = new Map<string, number>();
  g.nodes.forEach((node, i) => {
    for (const input of node.inputs) if (input) lastUse.set(input, i);
  });
  const keep = new Set(g.outputs);
  for (let i = 0; i < g.nodes.length; i++) {
    const node = g.nodes[i]!;
    const ins = node.inputs.map((n) => (n ? (values.get(n) ?? g.initializers.get(n)) : undefined));
    let outs: Tensor[];
    try {
      outs = await runNode(node, ins, backend);
    } catch (e) {
      if (e instanceof GraphError) throw e;
      throw new GraphError((e as Error).message, describeNode(node));
    }
    for (const [k, o] of node.outputs.entries()) values.set(o, outs[k]!);
    if (opts.onNode) await opts.onNode(node, outs, ins);
    if (!opts.keepAll) {
      for (const input of node.inputs) {
        if (input && lastUse.get(input) === i && !keep.has(input) && !g.initializers.has(input))
          values.delete(input);
      }
    }
  }
  const result: TensorMap = {};
  if (opts.keepAll) for (const [k, v] of values) result[k] = v;
  for (const o of g.outputs) result[o] = values.get(o) ?? g.initializers.get(o)!;
  return result;
}

function f32(t: Tensor | undefined): Float32Array | undefined {
  return t ? (t.data as Float32Array) : undefined;
}

export async function runNode(
  node: Node,
  ins: readonly (Tensor | undefined)[],
  backend: GemmBackend,
): Promise<Tensor[]> {
  const x = ins[0]!;
  switch (node.op) {
    case "Conv2d": {
      const geo = conv2dGeometry(x.shape, ins[1]!.shape, node.attrs);
      const data = await backend.conv2d(f32(x)!, f32(ins[1])!, f32(ins[2]), geo);
      return [{ dtype: "float32", shape: [geo.n, geo.o, geo.oh, geo.ow], data }];
    }
    case "ConvTranspose2d": {
      const w = ins[1]!;
      const [n, c, h, wd] = x.shape as [number, number, number, number];
      const [, og, kh, kw] = w.shape as [number, number, number, number];
      const { strides, pads, outputPadding, group } = node.attrs;
      const geo = convTransposeGeometry({
        n,
        c,
        h,
        w: wd,
        o: og * group,
        kh,
        kw,
        strides: [...strides],
        pads: [...pads],
        outputPadding: [...outputPadding],
        group,
      });
      const { oh, ow } = geo;
      const data = await backend.convTranspose2d(f32(x)!, f32(w)!, f32(ins[2]), geo);
      return [{ dtype: "float32", shape: [n, og * group, oh, ow], data }];
    }
    case "MatMul":
      return [await batchedMatmul(x, ins[1]!, backend)];
    case "Add":
      return [binary(x, ins[1]!, (a, b) => a + b)];
    case "Sub":
      return [binary(x, ins[1]!, (a, b) => a - b)];
    case "Mul":
      return [binary(x, ins[1]!, (a, b) => a * b)];
    case "Div":
      return [binary(x, ins[1]!, x.dtype === "float32" ? (a, b) => a / b : (a, b) => Math.trunc(a / b))];
    case "Pow":
      return [binary(x, ins[1]!, (a, b) => (b === 2 ? a * a : a ** b))];
    case "Maximum":
      return [binary(x, ins[1]!, Math.max)];
    case "Minimum":
      return [binary(x, ins[1]!, Math.min)];
    case "Relu":
      return [unary(x, (v) => Math.max(v, 0))];
    case "LeakyRelu": {
      const alpha = node.attrs.alpha;
      return [unary(x, (v) => (v > 0 ? v : v * alpha))];
    }
    case "Clip": {
      const { min, max } = node.attrs;
      return [unary(x, (v) => Math.min(Math.max(v, min), max))];
    }
    case "Sigmoid":
      return [unary(x, sigmoid)];
    case "Tanh":
      return [unary(x, Math.tanh)];
    case "Gelu":
      return [unary(x, node.attrs.approximate === "tanh" ? geluTanh : gelu)];
    case "Erf":
      return [unary(x, erf)];
    case "Sqrt":
      return [unary(x, Math.sqrt)];
    case "Exp":
      return [unary(x, Math.exp)];
    case "Log":
      return [unary(x, Math.log)];
    case "Neg":
      return [unary(x, (v) => -v)];
    case "Abs":
      return [unary(x, Math.abs)];
    case "Softmax":
      return [softmax(x, node.attrs.axis)];
    case "LayerNorm":
      return [layerNorm(x, ins[1]!, ins[2], node.attrs.axis, node.attrs.epsilon)];
    case "ChannelLayerNorm":
      return [channelLayerNorm(x, ins[1], ins[2], node.attrs.epsilon)];
    case "Attention":
      return [attention(x, node.attrs.heads, node.attrs.scale)];
    case "ReduceMean":
      return [reduce(x, node.attrs.axes, node.attrs.keepDims, "mean")];
    case "ReduceSum":
      return [reduce(x, node.attrs.axes, node.attrs.keepDims, "sum")];
    case "ReduceMax":
      return [reduce(x, node.attrs.axes, node.attrs.keepDims, "max")];
    case "Transpose":
      return [transpose(x, node.attrs.perm)];
    case "Reshape":
      return [{ dtype: x.dtype, shape: [...node.attrs.shape], data: x.data }];
    case "Concat":
      return [concat(ins as Tensor[], node.attrs.axis)];
    case "Split":
      return split(x, node.attrs.axis, node.attrs.sizes);
    case "Slice":
      return [slice(x, node.attrs.starts, node.attrs.ends, node.attrs.steps)];
    case "Pad":
      return [pad(x, node.attrs.pads, node.attrs.mode, node.attrs.value)];
    case "Resize":
      return [resize(x, node.attrs.mode, node.attrs.coordinateTransform, node.attrs.size)];
    case "MaxPool":
      return [pool2d(x, "max", node.attrs.kernel, node.attrs.strides, node.attrs.pads)];
    case "AvgPool":
      return [
        pool2d(x, "avg", node.attrs.kernel, node.attrs.strides, node.attrs.pads, node.attrs.countIncludePad),
      ];
    case "Cast": {
      const to = node.attrs.to;
      if (to === "float32") return [unary(x, (v) => v, "float32")];
      return [unary(x, (v) => (to === "bool" ? (v !== 0 ? 1 : 0) : Math.trunc(v)), to)];
    }
    case "Identity":
      return [x];
  }
}

async function batchedMatmul(a: Tensor, b: Tensor, backend: GemmBackend): Promise<Tensor> {
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = a.shape[ar - 2]!;
  const k = a.shape[ar - 1]!;
  const n = b.shape[br - 1]!;
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const count = sizeOf(batch);
  const out = new Float32Array(count * m * n);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const offsetIn = (shape: readonly number[], idx: number[]) => {
    const strides = stridesOf(shape);
    let off = 0;
    const lead = batch.length - shape.length;
    shape.forEach((d, i) => {
      off += (d === 1 ? 0 : idx[i + lead]!) * strides[i]!;
    });
    return off;
  };
  const idx = new Array<number>(batch.length).fill(0);
  for (let bi = 0; bi < count; bi++) {
    const ao = offsetIn(aBatch, idx) * m * k;
    const bo = offsetIn(bBatch, idx) * k * n;
    const r = await backend.matmul(
      (a.data as Float32Array).subarray(ao, ao + m * k),
      (b.data as Float32Array).subarray(bo, bo + k * n),
      m,
      k,
      n,
    );
    out.set(r, bi * m * n);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: "float32", shape: [...batch, m, n], data: out };
}
