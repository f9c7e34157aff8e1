/** Human-readable views of a graph: a per-node listing and summary statistics. */
import type { Graph, Node } from "./graph.js";
import { macsOf } from "./shapes.js";
import { formatShape, sizeOf } from "./tensor.js";

export interface GraphStats {
  nodes: number;
  ops: Record<string, number>;
  weights: number;
  zeroWeights: number;
  macs: number;
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: { name: string; shape: number[]; dtype: string }[];
}

export function nodeMacs(g: Graph, node: Node): number {
  return macsOf(
    node,
    node.inputs.map((i) => (i ? g.values.get(i) : undefined)),
    node.outputs.map((o) => g.values.get(o)!),
  );
}

export function graphStats(g: Graph): GraphStats {
  const ops: Record<string, number> = {};
  let macs = 0;
  for (const node of g.nodes) {
    ops[node.op] = (ops[node.op] ?? 0) + 1;
    macs += nodeMacs(g, node);
  }
  let weights = 0;
  let zeroWeights = 0;
  for (const t of g.initializers.values()) {
    if (t.dtype !== "float32") continue;
    weights += t.data.length;
    for (let i = 0; i < t.data.length; i++) if (t.data[i] === 0) zeroWeights++;
  }
  const io = (n: string) => {
    const v = g.values.get(n)!;
    return { name: n, shape: [...v.shape], dtype: v.dtype };
  };
  return {
    nodes: g.nodes.length,
    ops,
    weights,
    zeroWeights,
    macs,
    inputs: g.inputs.map(io),
    outputs: g.outputs.map(io),
  };
}

function formatAttrs(node: Node): string {
  const parts = Object.entries(node.attrs).map(
    ([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(",")}]` : String(v)}`,
  );
  return parts.length ? ` {${parts.join(" ")}}` : "";
}

export function printGraph(g: Graph): string {
  const lines: string[] = [`graph "${g.name}"`];
  for (const i of g.inputs)
    lines.push(`  input  ${i}: ${g.values.get(i)!.dtype}${formatShape(g.values.get(i)!.shape)}`);
  for (const node of g.nodes) {
    const ins = node.inputs
      .map((i) => {
        if (!i) return "_";
        const c = g.initializers.get(i);
        return c ? `${i}<${formatShape(c.shape)}>` : i;
      })
      .join(", ");
    const outs = node.outputs.map((o) => `${o}: ${formatShape(g.values.get(o)!.shape)}`).join(", ");
    const macs = nodeMacs(g, node);
    lines.push(
      `  ${outs} = ${node.op}(${ins})${formatAttrs(node)}${macs ? `  # ${(macs / 1e6).toFixed(1)} M MAC` : ""}`,
    );
  }
  for (const o of g.outputs) lines.push(`  output ${o}: ${formatShape(g.values.get(o)!.shape)}`);
  const s = graphStats(g);
  lines.push(
    `  # ${s.nodes} nodes, ${s.weights} weights (${((100 * s.zeroWeights) / Math.max(1, s.weights)).toFixed(1)}% zero), ${(s.macs / 1e9).toFixed(3)} G MAC`,
  );
  return lines.join("\n");
}

export function elementCount(g: Graph, name: string): number {
  return sizeOf(g.values.get(name)!.shape);
}
