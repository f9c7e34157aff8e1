/**
 * The graph IR: one form shared by the float executor, the quantizer and the lowering.
 *
 * - Activations are NCHW; importers of NHWC formats convert (see compiler/import/layout.ts).
 * - Every shape is static; importers fold shape arithmetic into constants.
 * - Nodes are kept in a valid topological order.
 * - Weights live in `initializers`; a node input names either a graph value or an initializer.
 */
import type { DType, Tensor } from "./tensor.js";

export type Pads2d = readonly [top: number, left: number, bottom: number, right: number];

export interface ConvAttrs {
  strides: readonly [number, number];
  pads: Pads2d;
  dilations: readonly [number, number];
  group: number;
}

export interface ConvTransposeAttrs {
  strides: readonly [number, number];
  /** Cropped from the full transposed-convolution output, as ONNX defines it. */
  pads: Pads2d;
  outputPadding: readonly [number, number];
  group: number;
}

export type ResizeMode = "bilinear" | "nearest";
/** How output pixel coordinates map back to input coordinates (ONNX names). */
export type CoordinateTransform = "align_corners" | "half_pixel" | "pytorch_half_pixel" | "asymmetric";

export interface OpAttrs {
  Conv2d: ConvAttrs;
  ConvTranspose2d: ConvTransposeAttrs;
  /** Batched matmul with numpy broadcasting of the batch dims. */
  MatMul: Record<string, never>;
  Add: Record<string, never>;
  Sub: Record<string, never>;
  Mul: Record<string, never>;
  Div: Record<string, never>;
  Pow: Record<string, never>;
  Maximum: Record<string, never>;
  Minimum: Record<string, never>;
  Relu: Record<string, never>;
  LeakyRelu: { alpha: number };
  Clip: { min: number; max: number };
  Sigmoid: Record<string, never>;
  Tanh: Record<string, never>;
  Gelu: { approximate: "none" | "tanh" };
  Erf: Record<string, never>;
  Sqrt: Record<string, never>;
  Exp: Record<string, never>;
  Log: Record<string, never>;
  Neg: Record<string, never>;
  Abs: Record<string, never>;
  Softmax: { axis: number };
  /** Normalizes over the trailing dims from `axis`; inputs: x, scale, bias (bias optional). */
  LayerNorm: { axis: number; epsilon: number };
  /**
   * LayerNorm over the channel axis of an NCHW tensor, at every (n, y, x): the form transformer token
   * tensors take after compiler/ir/tokens.ts (channels = features, pixels = tokens). Inputs: x, then
   * optional per-channel scale and bias.
   */
  ChannelLayerNorm: { epsilon: number };
  /**
   * Multi-head self-attention on channel-major tokens. Input qkv: [N, 3·D, H, W]; channels [0, D) are
   * q, [D, 2D) k, [2D, 3D) v, head h owns channels [h·D/heads, (h+1)·D/heads) of each; the H·W pixels
   * (row-major) are the tokens. Output [N, D, H, W]: softmax_j(scale · q_t·k_j) · v_j per head.
   */
  Attention: { heads: number; scale: number };
  ReduceMean: { axes: readonly number[]; keepDims: boolean };
  ReduceSum: { axes: readonly number[]; keepDims: boolean };
  ReduceMax: { axes: readonly number[]; keepDims: boolean };
  Transpose: { perm: readonly number[] };
  Reshape: { shape: readonly number[] };
  Concat: { axis: number };
  Split: { axis: number; sizes: readonly number[] };
  /** Per-axis begin/end/step on every dim (already normalized: non-negative, clamped). */
  Slice: { starts: readonly number[]; ends: readonly number[]; steps: readonly number[] };
  /** pads: [begin_0..begin_{r-1}, end_0..end_{r-1}] as in ONNX. */
  Pad: { pads: readonly number[]; mode: "constant" | "reflect" | "edge"; value: number };
  /** 4-D NCHW spatial resize to a fixed output size. */
  Resize: { mode: ResizeMode; coordinateTransform: CoordinateTransform; size: readonly [number, number] };
  MaxPool: { kernel: readonly [number, number]; strides: readonly [number, number]; pads: Pads2d };
  AvgPool: {
    kernel: readonly [number, number];
    strides: readonly [number, number];
    pads: Pads2d;
    countIncludePad: boolean;
  };
  Cast: { to: DType };
  Identity: Record<string, never>;
}

export type OpKind = keyof OpAttrs;

interface NodeOf<K extends OpKind> {
  /** Unique within the graph. */
  readonly name: string;
  readonly op: K;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: OpAttrs[K];
  /** Where the node came from in the source model, for error messages ("tflite op #12 CONV_2D"). */
  readonly origin?: string;
}

export type Node = { [K in OpKind]: NodeOf<K> }[OpKind];

export function makeNode<K extends OpKind>(
  op: K,
  name: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: OpAttrs[K],
  origin?: string,
): Node {
  return { op, name, inputs, outputs, attrs, ...(origin ? { origin } : {}) } as Node;
}

export interface ValueInfo {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: readonly Node[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** dtype and shape of every graph input, node output and initializer. */
  readonly values: ReadonlyMap<string, ValueInfo>;
  /** Free-form provenance (source format, file name, producer). */
  readonly metadata: Readonly<Record<string, string>>;
}

export class GraphError extends Error {
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
    this.name = "GraphError";
  }
}

export function describeNode(node: Node): string {
  return node.origin ? `${node.op} "${node.name}" (${node.origin})` : `${node.op} "${node.name}"`;
}

/** The value info of a name, or a GraphError naming it. */
export function valueInfo(graph: Graph, name: string): ValueInfo {
  const v = graph.values.get(name);
  if (!v) throw new GraphError(`unknown tensor "${name}"`);
  return v;
}

/** Map from value name to the nodes that read it. */
export function consumersOf(graph: Graph): Map<string, Node[]> {
  const out = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (!input) continue;
      const list = out.get(input);
      if (list) list.push(node);
      else out.set(input, [node]);
    }
  }
  return out;
}

/** Map from value name to the node that writes it. */
export function producersOf(graph: Graph): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const node of graph.nodes) for (const o of node.outputs) out.set(o, node);
  return out;
}
