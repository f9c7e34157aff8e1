/** Graph-to-graph rewrites that keep the float semantics exactly. */
import { pruneDead, validateGraph } from "./builder.js";
import { consumersOf, type Graph, makeNode, type Node, producersOf } from "./graph.js";

/**
 * Pad(constant 0) on H/W only, followed by convolutions: the padding becomes the convolutions'
 * implicit padding, so the padded tensor is never materialized (TFLite exports pad explicitly).
 */
export function foldZeroPads(g: Graph): Graph {
  const producers = producersOf(g);
  const consumers = consumersOf(g);
  const nodes: Node[] = g.nodes.map((node) => {
    if (node.op !== "Conv2d") return node;
    const pad = producers.get(node.inputs[0]!);
    if (pad?.op !== "Pad" || pad.attrs.mode !== "constant" || pad.attrs.value !== 0) return node;
    const p = pad.attrs.pads;
    if (p.length !== 8 || p[0] || p[1] || p[4] || p[5]) return node;
    if (!(consumers.get(pad.outputs[0]!) ?? []).every((c) => c.op === "Conv2d")) return node;
    const [t, l, b, r] = node.attrs.pads;
    return {
      ...node,
      inputs: [pad.inputs[0]!, ...node.inputs.slice(1)],
      attrs: { ...node.attrs, pads: [t + p[2]!, l + p[3]!, b + p[6]!, r + p[7]!] },
    };
  });
  const out = pruneDead({ ...g, nodes });
  validateGraph(out);
  return out;
}

/** Drops Identity nodes, rewiring their consumers (graph outputs keep their names). */
export function removeIdentities(g: Graph): Graph {
  const alias = new Map<string, string>();
  const resolve = (n: string) => alias.get(n) ?? n;
  const nodes: Node[] = [];
  for (const node of g.nodes) {
    if (node.op === "Identity" && !g.outputs.includes(node.outputs[0]!)) {
      alias.set(node.outputs[0]!, resolve(node.inputs[0]!));
      continue;
    }
    nodes.push(alias.size ? ({ ...node, inputs: node.inputs.map(resolve) } as Node) : node);
  }
  const out = pruneDead({ ...g, nodes });
  validateGraph(out);
  return out;
}

const ELEMENTWISE_ACTIVATIONS = new Set(["Relu", "LeakyRelu", "Gelu"]);

/**
 * An activation whose input is not a convolution it can fuse into (a residual sum, a tensor read
 * elsewhere too) gets an identity depthwise 1×1 convolution in front, so every activation rides on a
 * convolution's output stage. Float semantics are unchanged.
 */
export function activationsOnConvs(g: Graph): Graph {
  const producers = producersOf(g);
  const consumers = consumersOf(g);
  const initializers = new Map(g.initializers);
  const values = new Map(g.values);
  const nodes: Node[] = [];
  for (const node of g.nodes) {
    if (!ELEMENTWISE_ACTIVATIONS.has(node.op)) {
      nodes.push(node);
      continue;
    }
    const x = node.inputs[0]!;
    const src = producers.get(x);
    const fusable = src?.op === "Conv2d" && (consumers.get(x) ?? []).length === 1 && !g.outputs.includes(x);
    const shape = g.values.get(x)?.shape;
    if (fusable || !shape || shape.length !== 4) {
      nodes.push(node);
      continue;
    }
    const c = shape[1]!;
    const w = `${node.name}/identity.weight`;
    const y = `${node.name}/identity`;
    initializers.set(w, { dtype: "float32", shape: [c, 1, 1, 1], data: new Float32Array(c).fill(1) });
    values.set(w, { dtype: "float32", shape: [c, 1, 1, 1] });
    values.set(y, { dtype: "float32", shape: [...shape] });
    nodes.push(
      makeNode("Conv2d", y, [x, w], [y], {
        strides: [1, 1],
        pads: [0, 0, 0, 0],
        dilations: [1, 1],
        group: c,
      }),
      { ...node, inputs: [y, ...node.inputs.slice(1)] } as Node,
    );
  }
  if (nodes.length === g.nodes.length) return g;
  const out = { ...g, nodes, initializers, values };
  validateGraph(out);
  return out;
}
