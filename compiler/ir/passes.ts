/** Graph-to-graph rewrites that keep the float semantics exactly. */
import { pruneDead, validateGraph } from "./builder.js";
import { consumersOf, type Graph, type Node, producersOf } from "./graph.js";

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
