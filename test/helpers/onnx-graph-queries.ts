/** Small queries over imported graphs that the ONNX importer tests share. */
import assert from "node:assert/strict";
import type { Graph, Node, OpAttrs, OpKind } from "../../compiler/ir/graph.js";

export function nodesOf<K extends OpKind>(g: Graph, op: K): Extract<Node, { op: K }>[] {
  return g.nodes.filter((n): n is Extract<Node, { op: K }> => n.op === op);
}

/** The single node of kind `op`; fails the test if there is not exactly one. */
export function onlyNode<K extends OpKind>(g: Graph, op: K): Extract<Node, { op: K }> {
  const list = nodesOf(g, op);
  assert.equal(
    list.length,
    1,
    `expected one ${op}, found ${list.length}: ${g.nodes.map((n) => n.op).join(", ")}`,
  );
  return list[0]!;
}

export function attrsOf<K extends OpKind>(g: Graph, op: K): OpAttrs[K] {
  return onlyNode(g, op).attrs as OpAttrs[K];
}

export function shapeOf(g: Graph, name: string): readonly number[] {
  const v = g.values.get(name);
  assert.ok(v, `no value "${name}" in the graph`);
  return v.shape;
}

export function outputShape(g: Graph, i = 0): readonly number[] {
  return shapeOf(g, g.outputs[i]!);
}

export function opList(g: Graph): string[] {
  return g.nodes.map((n) => n.op);
}
