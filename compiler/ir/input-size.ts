/**
 * Re-sizing a fully convolutional graph to another input resolution.
 *
 * Exported models fix every shape for the resolution they were traced at, but a depth network's
 * weights do not depend on it: the same network at a smaller input fits a small device's memory and
 * runs proportionally faster. Shapes are re-inferred node by node; the only attributes that encode the
 * resolution are resize output sizes, which scale with their input (a ×2 upsampling stays ×2). Nodes
 * whose attributes fix a spatial size (Reshape, Slice, Split over a resized axis) make the graph
 * unresizable, and a size the network's strides cannot divide shows up as a shape mismatch at the
 * first node where two branches meet; both are reported with the node and the sizes that would work.
 */
import { describeNode, type Graph, GraphError, makeNode, type Node, type ValueInfo } from "./graph.js";
import { inferNode, normalizeAxis } from "./shapes.js";

export interface InputSize {
  readonly height: number;
  readonly width: number;
}

/** "96x320" or "96×320" (height × width, as shapes are written) → size, or an error naming the text. */
export function parseInputSize(text: string): InputSize {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(text);
  const size = m ? { height: Number(m[1]), width: Number(m[2]) } : null;
  if (!size || size.height < 1 || size.width < 1 || size.height > 8192 || size.width > 8192)
    throw new GraphError(`input size must be HEIGHTxWIDTH, e.g. 128x384; got "${text}"`);
  return size;
}

/** The product of the strides on the deepest path from the input: sizes must be multiples of it. */
export function inputStride(graph: Graph): InputSize {
  const input = singleImageInput(graph);
  const [, , h0, w0] = input.info.shape as [number, number, number, number];
  let minH = h0;
  let minW = w0;
  for (const [name, v] of graph.values) {
    if (v.shape.length !== 4 || graph.initializers.has(name)) continue;
    minH = Math.min(minH, v.shape[2]!);
    minW = Math.min(minW, v.shape[3]!);
  }
  // The coarsest feature map's size divides the input's when the network halves it level by level.
  return { height: Math.max(1, Math.round(h0 / minH)), width: Math.max(1, Math.round(w0 / minW)) };
}

function singleImageInput(graph: Graph): { name: string; info: ValueInfo } {
  const images = graph.inputs.filter((n) => graph.values.get(n)?.shape.length === 4);
  if (images.length !== 1 || graph.inputs.length !== 1)
    throw new GraphError(
      `resizing the input needs one NCHW image input; graph "${graph.name}" has ${graph.inputs.length} input(s)`,
    );
  const name = images[0]!;
  return { name, info: graph.values.get(name)! };
}

/** A resize's new output size: the old one scaled by how much its input grew, exactly. */
function scaledResize(node: Node & { op: "Resize" }, oldIn: ValueInfo, newIn: ValueInfo): Node {
  const size = node.attrs.size.map((s, i) => {
    const scaled = (s * newIn.shape[2 + i]!) / oldIn.shape[2 + i]!;
    if (!Number.isInteger(scaled))
      throw new GraphError(
        `${describeNode(node)} resizes ${oldIn.shape[2 + i]} → ${s}; at ${newIn.shape[2 + i]} that is ${scaled.toFixed(2)}, not a whole size`,
      );
    return scaled;
  }) as [number, number];
  return makeNode("Resize", node.name, node.inputs, node.outputs, { ...node.attrs, size }, node.origin);
}

/** Throws when a node's attributes fix a size along a dim whose extent changed. */
function checkFixedShapes(node: Node, oldIn: ValueInfo, newIn: ValueInfo): void {
  const changed = oldIn.shape.map((d, i) => d !== newIn.shape[i]);
  if (!changed.some(Boolean)) return;
  let fixed = false;
  if (node.op === "Reshape") fixed = true;
  if (node.op === "Split") fixed = changed[normalizeAxis(node.attrs.axis, oldIn.shape.length)]!;
  if (node.op === "Slice")
    fixed = changed.some(
      (c, i) => c && !(node.attrs.starts[i] === 0 && node.attrs.ends[i]! >= oldIn.shape[i]!),
    );
  if (fixed)
    throw new GraphError(
      `${describeNode(node)} fixes a shape for the model's input size; it cannot be resized`,
    );
}

/**
 * The graph with its image input resized to `size` (NCHW height × width) and every value re-inferred.
 * Weights are shared with the original graph.
 */
export function withInputSize(graph: Graph, size: InputSize): Graph {
  const input = singleImageInput(graph);
  const [n, c, h0, w0] = input.info.shape as [number, number, number, number];
  if (size.height === h0 && size.width === w0) return graph;
  // Initializers keep their shapes; every other value is overwritten below, in topological order.
  const values = new Map<string, ValueInfo>(graph.values);
  values.set(input.name, { dtype: input.info.dtype, shape: [n, c, size.height, size.width] });
  const stride = inputStride(graph);
  const hint = `input ${size.height}×${size.width}: sizes must be multiples of ${stride.height}×${stride.width} for this network`;
  const nodes: Node[] = [];
  for (const original of graph.nodes) {
    const oldIn = graph.values.get(original.inputs[0] ?? "");
    const newIn = values.get(original.inputs[0] ?? "");
    let node = original;
    if (oldIn && newIn) {
      checkFixedShapes(node, oldIn, newIn);
      if (node.op === "Resize") node = scaledResize(node, oldIn, newIn);
    }
    const ins = node.inputs.map((name) => (name ? values.get(name) : undefined));
    let outs: ValueInfo[];
    try {
      outs = inferNode(node, ins);
    } catch (e) {
      throw new GraphError(`${describeNode(node)}: ${(e as Error).message} (${hint})`);
    }
    for (const [i, name] of node.outputs.entries()) if (name && outs[i]) values.set(name, outs[i]!);
    nodes.push(node);
  }
  return {
    ...graph,
    nodes,
    values,
    metadata: {
      ...graph.metadata,
      inputSize: `${size.height}x${size.width}`,
      tracedInputSize: `${h0}x${w0}`,
    },
  };
}
