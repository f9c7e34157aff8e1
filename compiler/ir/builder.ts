/** Incremental construction of a Graph with shape inference at every step; importers and tests use it. */
import {
  describeNode,
  type Graph,
  GraphError,
  makeNode,
  type Node,
  type OpAttrs,
  type OpKind,
  type ValueInfo,
} from "./graph.js";
import { inferNode } from "./shapes.js";
import type { Tensor } from "./tensor.js";

export interface NodeOptions {
  name?: string;
  outputs?: readonly string[];
  origin?: string;
  /** Number of outputs when names are generated (Split). */
  outputCount?: number;
}

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly values = new Map<string, ValueInfo>();
  private readonly inputs: string[] = [];
  private outputs: string[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(
    readonly name: string,
    private readonly metadata: Record<string, string> = {},
  ) {}

  uniqueName(base: string): string {
    let candidate = base || "t";
    while (this.used.has(candidate)) candidate = `${base}_${++this.counter}`;
    this.used.add(candidate);
    return candidate;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  info(name: string): ValueInfo {
    const v = this.values.get(name);
    if (!v) throw new GraphError(`unknown tensor "${name}"`);
    return v;
  }

  constant(name: string): Tensor | undefined {
    return this.initializers.get(name);
  }

  addInput(name: string, info: ValueInfo): string {
    const n = this.uniqueName(name);
    this.values.set(n, { dtype: info.dtype, shape: [...info.shape] });
    this.inputs.push(n);
    return n;
  }

  addInitializer(name: string, t: Tensor): string {
    const n = this.uniqueName(name);
    this.initializers.set(n, t);
    this.values.set(n, { dtype: t.dtype, shape: [...t.shape] });
    return n;
  }

  addNode<K extends OpKind>(
    op: K,
    inputs: readonly string[],
    attrs: OpAttrs[K],
    opts: NodeOptions = {},
  ): string[] {
    const name = this.uniqueName(opts.name ?? op.toLowerCase());
    const count = opts.outputs?.length ?? opts.outputCount ?? 1;
    const outputs = opts.outputs ? opts.outputs.map((o) => this.uniqueName(o)) : [];
    for (let i = outputs.length; i < count; i++)
      outputs.push(this.uniqueName(count === 1 ? name : `${name}:${i}`));
    const node = makeNode(op, name, inputs, outputs, attrs, opts.origin);
    const ins = inputs.map((i) => (i ? this.values.get(i) : undefined));
    inputs.forEach((i, k) => {
      if (i && !ins[k]) throw new GraphError(`input "${i}" is not defined before use`, describeNode(node));
    });
    let infos: ValueInfo[];
    try {
      infos = inferNode(node, ins);
    } catch (e) {
      throw new GraphError((e as Error).message, describeNode(node));
    }
    if (infos.length !== outputs.length) {
      throw new GraphError(`produces ${infos.length} outputs, ${outputs.length} named`, describeNode(node));
    }
    for (const [i, o] of outputs.entries()) this.values.set(o, infos[i]!);
    this.nodes.push(node);
    return outputs;
  }

  /** Adds a node and returns its single output. */
  add<K extends OpKind>(op: K, inputs: readonly string[], attrs: OpAttrs[K], opts: NodeOptions = {}): string {
    return this.addNode(op, inputs, attrs, opts)[0]!;
  }

  setOutputs(names: readonly string[]): void {
    for (const n of names)
      if (!this.values.has(n)) throw new GraphError(`graph output "${n}" is never produced`);
    this.outputs = [...names];
  }

  build(): Graph {
    if (this.outputs.length === 0) throw new GraphError("graph has no outputs");
    return pruneDead({
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      nodes: [...this.nodes],
      initializers: new Map(this.initializers),
      values: new Map(this.values),
      metadata: { ...this.metadata },
    });
  }
}

/** Drops nodes and initializers that no graph output depends on. */
export function pruneDead(g: Graph): Graph {
  const live = new Set<string>(g.outputs);
  const keep: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const node = g.nodes[i]!;
    if (node.outputs.some((o) => live.has(o))) {
      keep.push(node);
      for (const input of node.inputs) if (input) live.add(input);
    }
  }
  keep.reverse();
  const initializers = new Map([...g.initializers].filter(([k]) => live.has(k)));
  const values = new Map([...g.values].filter(([k]) => live.has(k) || g.inputs.includes(k)));
  return { ...g, nodes: keep, initializers, values };
}

/** Checks the invariants every pass relies on; throws a GraphError naming the first violation. */
export function validateGraph(g: Graph): void {
  const defined = new Set<string>([...g.inputs, ...g.initializers.keys()]);
  const names = new Set<string>();
  for (const node of g.nodes) {
    if (names.has(node.name)) throw new GraphError(`duplicate node name`, describeNode(node));
    names.add(node.name);
    for (const i of node.inputs) {
      if (i && !defined.has(i))
        throw new GraphError(`reads "${i}" before it is produced`, describeNode(node));
    }
    for (const o of node.outputs) {
      if (defined.has(o)) throw new GraphError(`writes "${o}" a second time`, describeNode(node));
      if (!g.values.has(o)) throw new GraphError(`output "${o}" has no shape`, describeNode(node));
      defined.add(o);
    }
  }
  for (const o of g.outputs)
    if (!defined.has(o)) throw new GraphError(`graph output "${o}" is never produced`);
}
