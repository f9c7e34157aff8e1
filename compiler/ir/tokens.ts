/**
 * Transformer encoders in channel-major form. Exported ViTs carry tokens as [N, T, D] tensors and
 * reach them through reshape/transpose chains; the accelerator only knows NCHW maps. Here every token
 * tensor becomes the [N, D, gh, gw] map of its patch grid (token t = pixel y·gw + x), so linears are
 * 1×1 convolutions, LayerNorm normalizes over channels and attention is one Attention node.
 */
import { pruneDead, validateGraph } from "./builder.js";
import {
  consumersOf,
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
import { floatTensor, shapeEquals, sizeOf, type Tensor } from "./tensor.js";

/** Elementwise ops that do not care where the feature axis is. */
const UNARY: ReadonlySet<OpKind> = new Set<OpKind>([
  "Gelu",
  "Relu",
  "LeakyRelu",
  "Clip",
  "Sigmoid",
  "Tanh",
  "Erf",
  "Identity",
]);
const BINARY: ReadonlySet<OpKind> = new Set<OpKind>(["Add", "Sub", "Mul", "Div"]);

const CONV_1X1: OpAttrs["Conv2d"] = { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 };

type NodeOf<K extends OpKind> = Extract<Node, { op: K }>;

function is<K extends OpKind>(node: Node | undefined, op: K): node is NodeOf<K> {
  return node?.op === op;
}

/** The shape without its leading 1s: how a constant broadcasts against a higher-rank tensor. */
function squeezeLeading(shape: readonly number[]): number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

function normalizedAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

class TokenRewriter {
  readonly nodes: Node[] = [];
  readonly values: Map<string, ValueInfo>;
  readonly initializers: Map<string, Tensor>;
  /** Token tensor [N, T, C] of the source graph → the name of its [N, C, gh, gw] replacement. */
  readonly tokens = new Map<string, string>();
  /** Source values that became another value (the map a token chain ends in). */
  private readonly alias = new Map<string, string>();
  private readonly absorbed = new Set<Node>();
  private readonly consumers: Map<string, Node[]>;
  private readonly used: Set<string>;
  private readonly derived = new Map<string, string>();

  constructor(private readonly g: Graph) {
    this.values = new Map(g.values);
    this.initializers = new Map(g.initializers);
    this.consumers = consumersOf(g);
    this.used = new Set([...g.values.keys(), ...g.initializers.keys(), ...g.nodes.map((n) => n.name)]);
  }

  run(): void {
    for (const node of this.g.nodes) {
      if (this.absorbed.has(node)) continue;
      if (node.inputs.some((i) => this.tokens.has(i))) this.rewriteTokenUse(node);
      else if (!this.tryEntry(node))
        this.nodes.push({ ...node, inputs: node.inputs.map((i) => this.resolve(i)) } as Node);
    }
    for (const o of this.g.outputs)
      if (this.tokens.has(o)) throw new GraphError(`graph output "${o}" is a token tensor`);
  }

  private resolve(name: string): string {
    return this.alias.get(name) ?? name;
  }

  private fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  private emit<K extends OpKind>(
    op: K,
    name: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: OpAttrs[K],
    origin?: string,
  ): void {
    const node = makeNode(op, name, inputs, outputs, attrs, origin);
    let infos: ValueInfo[];
    try {
      infos = inferNode(
        node,
        inputs.map((i) => (i ? this.values.get(i) : undefined)),
      );
    } catch (e) {
      throw new GraphError((e as Error).message, describeNode(node));
    }
    for (const [i, o] of outputs.entries()) this.values.set(o, infos[i]!);
    this.nodes.push(node);
  }

  private unsupported(node: Node, why?: string): GraphError {
    const token = node.inputs.find((i) => this.tokens.has(i));
    const what = token ? `uses token tensor "${token}"` : "is part of a token pattern";
    return new GraphError(
      `${what} in a way the channel-major rewrite does not understand${why ? `: ${why}` : ""}`,
      describeNode(node),
    );
  }

  /** [N, T, C] of a token tensor as the source graph has it. */
  private tokenShape(name: string): [number, number, number] {
    return this.g.values.get(name)!.shape as [number, number, number];
  }

  /** [gh, gw] of the patch grid a token tensor lives on. */
  private grid(name: string): [number, number] {
    const s = this.values.get(this.tokens.get(name)!)!.shape;
    return [s[2]!, s[3]!];
  }

  private usersOf(value: string): Node[] {
    return this.consumers.get(value) ?? [];
  }

  private isOutput(value: string): boolean {
    return this.g.outputs.includes(value);
  }

  /** Conv output → Reshape [N, C, H·W] → Transpose [0, 2, 1], or Transpose [0, 2, 3, 1] → Reshape [N, H·W, C]. */
  private tryEntry(node: Node): boolean {
    const x = this.resolve(node.inputs[0] ?? "");
    const xs = this.values.get(x)?.shape;
    if (xs?.length !== 4 || this.isOutput(node.outputs[0]!)) return false;
    const [n, c, h, w] = xs as [number, number, number, number];
    const out = node.outputs[0]!;
    const outShape = this.g.values.get(out)?.shape ?? [];
    let second: (u: Node) => boolean;
    if (is(node, "Reshape") && shapeEquals(outShape, [n, c, h * w]))
      second = (u) => is(u, "Transpose") && shapeEquals(u.attrs.perm, [0, 2, 1]);
    else if (is(node, "Transpose") && shapeEquals(node.attrs.perm, [0, 2, 3, 1]))
      second = (u) => is(u, "Reshape") && shapeEquals(this.g.values.get(u.outputs[0]!)!.shape, [n, h * w, c]);
    else return false;
    const users = this.usersOf(out);
    if (users.length === 0 || !users.every(second)) return false;
    for (const u of users) {
      this.absorbed.add(u);
      this.tokens.set(u.outputs[0]!, x);
    }
    return true;
  }

  private rewriteTokenUse(node: Node): void {
    if (is(node, "MatMul")) this.linear(node);
    else if (is(node, "LayerNorm")) this.layerNorm(node);
    else if (is(node, "Reshape") && this.g.values.get(node.outputs[0]!)!.shape.length === 5)
      this.attention(node);
    else if (is(node, "Reshape") || is(node, "Transpose")) this.exit(node);
    else if (BINARY.has(node.op)) this.binary(node);
    else if (UNARY.has(node.op)) {
      const out = node.outputs[0]!;
      this.emit(node.op, node.name, [this.tokens.get(node.inputs[0]!)!], [out], node.attrs, node.origin);
      this.tokens.set(out, out);
    } else throw this.unsupported(node);
  }

  /** A constant under a new shape with the same data (no copy). */
  private reshapedConstant(name: string, shape: readonly number[]): string {
    const t = this.initializers.get(name)!;
    if (shapeEquals(t.shape, shape)) return name;
    const key = `${name}|${shape.join(",")}`;
    let out = this.derived.get(key);
    if (!out) {
      out = this.fresh(`${name}_${shape.join("x")}`);
      this.addConstant(out, floatTensor(shape, t.data as Float32Array));
      this.derived.set(key, out);
    }
    return out;
  }

  private addConstant(name: string, t: Tensor): void {
    this.initializers.set(name, t);
    this.values.set(name, { dtype: t.dtype, shape: [...t.shape] });
  }

  /** MatMul(tokens, W[C, O]) (+ bias [O]) → Conv2d 1×1 with weight Wᵀ. */
  private linear(node: NodeOf<"MatMul">): void {
    const [a, wName] = node.inputs as [string, string];
    const w = this.initializers.get(wName);
    if (!this.tokens.has(a) || this.tokens.has(wName) || !w || w.dtype !== "float32")
      throw this.unsupported(node, "only token × constant weight maps to a convolution");
    const ws = squeezeLeading(w.shape);
    const c = this.tokenShape(a)[2];
    if (ws.length !== 2 || ws[0] !== c) throw this.unsupported(node, `weight shape [${w.shape}]`);
    const o = ws[1]!;
    const weight = this.transposedWeight(wName, w, c, o);
    const { bias, add } = this.biasAfter(node.outputs[0]!, o);
    const out = add ? add.outputs[0]! : node.outputs[0]!;
    const inputs = [this.tokens.get(a)!, weight, ...(bias ? [bias] : [])];
    this.emit("Conv2d", node.name, inputs, [out], CONV_1X1, node.origin);
    this.tokens.set(out, out);
  }

  private transposedWeight(name: string, w: Tensor, c: number, o: number): string {
    const key = `${name}|conv`;
    let out = this.derived.get(key);
    if (out) return out;
    const src = w.data as Float32Array;
    const dst = new Float32Array(c * o);
    for (let i = 0; i < c; i++) for (let j = 0; j < o; j++) dst[j * c + i] = src[i * o + j]!;
    out = this.fresh(`${name}_1x1`);
    this.addConstant(out, floatTensor([o, c, 1, 1], dst));
    this.derived.set(key, out);
    return out;
  }

  /** The Add of a constant [O] right after a linear, absorbed into the convolution. */
  private biasAfter(value: string, o: number): { bias?: string; add?: Node } {
    const users = this.usersOf(value);
    const add = users[0];
    if (users.length !== 1 || !is(add, "Add") || this.isOutput(value)) return {};
    const other = add.inputs[0] === value ? add.inputs[1]! : add.inputs[0]!;
    const b = this.initializers.get(other);
    if (other === value || !b || b.dtype !== "float32" || !shapeEquals(squeezeLeading(b.shape), [o]))
      return {};
    this.absorbed.add(add);
    return { bias: this.reshapedConstant(other, [o]), add };
  }

  private layerNorm(node: NodeOf<"LayerNorm">): void {
    const [x, scale, bias] = node.inputs;
    const [, , c] = this.tokenShape(x!);
    if (!this.tokens.has(x!) || normalizedAxis(node.attrs.axis, 3) !== 2)
      throw this.unsupported(node, "only a LayerNorm over the feature axis maps to ChannelLayerNorm");
    const perChannel = (p: string | undefined): string => {
      if (!p) return "";
      const info = this.values.get(p)!;
      if (this.tokens.has(p) || !shapeEquals(squeezeLeading(info.shape), [c]))
        throw this.unsupported(node, `parameter "${p}" is not per-feature`);
      return this.initializers.has(p) ? this.reshapedConstant(p, [c]) : p;
    };
    const params = [perChannel(scale), perChannel(bias)];
    while (params.length && !params[params.length - 1]) params.pop();
    const out = node.outputs[0]!;
    this.emit(
      "ChannelLayerNorm",
      node.name,
      [this.tokens.get(x!)!, ...params],
      [out],
      { epsilon: node.attrs.epsilon },
      node.origin,
    );
    this.tokens.set(out, out);
  }

  /** Elementwise with a token tensor and another token tensor or a constant. */
  private binary(node: Node): void {
    const out = node.outputs[0]!;
    const outShape = this.g.values.get(out)!.shape;
    const token = node.inputs.find((i) => this.tokens.has(i))!;
    if (!shapeEquals(outShape, this.tokenShape(token)))
      throw this.unsupported(node, "broadcasting changes the token shape");
    const inputs = node.inputs.map((i) => {
      if (this.tokens.has(i)) return this.tokens.get(i)!;
      const mapped = this.initializers.has(i) ? this.channelMajorConstant(i, token) : undefined;
      if (!mapped) throw this.unsupported(node, `operand "${i}" is neither a token tensor nor a constant`);
      return mapped;
    });
    this.emit(node.op, node.name, inputs, [out], node.attrs as OpAttrs["Add"], node.origin);
    this.tokens.set(out, out);
  }

  /** A constant broadcast against [N, T, C] tokens, rewritten to broadcast against [N, C, gh, gw]. */
  private channelMajorConstant(name: string, token: string): string | undefined {
    const t = this.initializers.get(name)!;
    const s = squeezeLeading(t.shape);
    const [, tokens, c] = this.tokenShape(token);
    const [gh, gw] = this.grid(token);
    if (t.dtype !== "float32") return undefined;
    if (s.length === 0) return t.shape.length <= 4 ? name : this.reshapedConstant(name, []);
    if (shapeEquals(s, [c])) return this.reshapedConstant(name, [1, c, 1, 1]);
    if (!shapeEquals(s, [tokens, c])) return undefined;
    const key = `${name}|nchw|${gh}x${gw}`;
    let out = this.derived.get(key);
    if (out) return out;
    const src = t.data as Float32Array;
    const dst = new Float32Array(tokens * c);
    for (let p = 0; p < tokens; p++) for (let ch = 0; ch < c; ch++) dst[ch * tokens + p] = src[p * c + ch]!;
    out = this.fresh(`${name}_nchw`);
    this.addConstant(out, floatTensor([1, c, gh, gw], dst));
    this.derived.set(key, out);
    return out;
  }

  /** Tokens back to a map: Transpose [0, 2, 1] → Reshape [N, C, gh, gw], or Reshape [N, gh, gw, C] → Transpose [0, 3, 1, 2]. */
  private exit(node: NodeOf<"Reshape"> | NodeOf<"Transpose">): void {
    const x = node.inputs[0]!;
    const [n, , c] = this.tokenShape(x);
    const [gh, gw] = this.grid(x);
    const mid = node.outputs[0]!;
    const midShape = this.g.values.get(mid)!.shape;
    let second: (u: Node) => boolean;
    if (is(node, "Transpose") && shapeEquals(node.attrs.perm, [0, 2, 1]))
      second = (u) =>
        is(u, "Reshape") && shapeEquals(this.g.values.get(u.outputs[0]!)!.shape, [n, c, gh, gw]);
    else if (is(node, "Reshape") && shapeEquals(midShape, [n, gh, gw, c]))
      second = (u) => is(u, "Transpose") && shapeEquals(u.attrs.perm, [0, 3, 1, 2]);
    else throw this.unsupported(node);
    const users = this.usersOf(mid);
    const bad = users.find((u) => !second(u));
    if (bad || users.length === 0 || this.isOutput(mid))
      throw this.unsupported(bad ?? node, "transposed tokens must be reshaped back to the patch grid");
    const map = this.tokens.get(x)!;
    for (const u of users) {
      this.absorbed.add(u);
      const out = u.outputs[0]!;
      // A graph output keeps its name, so it gets a node of its own.
      if (this.isOutput(out)) this.emit("Identity", u.name, [map], [out], {}, u.origin);
      else this.alias.set(out, map);
    }
  }

  /** The sole reader of `value`, which must be a `op`; otherwise the pattern is not attention. */
  private next<K extends OpKind>(value: string, op: K, from: Node): NodeOf<K> {
    const users = this.usersOf(value);
    const u = users[0];
    if (users.length !== 1 || !is(u, op) || this.isOutput(value))
      throw this.unsupported(users.length === 1 ? u! : from, `expected "${value}" to feed only a ${op}`);
    return u;
  }

  private expect(ok: boolean, node: Node, why: string): void {
    if (!ok) throw this.unsupported(node, why);
  }

  private shapeOf(value: string): readonly number[] {
    return this.g.values.get(value)!.shape;
  }

  /**
   * qkv [N, T, 3D] → Reshape [N, T, 3, heads, hd] → Transpose [2, 0, 3, 1, 4] → q, k, v → Transpose(k)
   * → MatMul → scale → Softmax → MatMul(v) → Transpose [0, 2, 1, 3] → Reshape [N, T, D], as one node.
   */
  private attention(node: NodeOf<"Reshape">): void {
    const qkv = node.inputs[0]!;
    const [n, t, c3] = this.tokenShape(qkv);
    const s5 = this.shapeOf(node.outputs[0]!);
    const [heads, hd] = [s5[3]!, s5[4]!];
    this.expect(shapeEquals(s5, [n, t, 3, heads, hd]) && 3 * heads * hd === c3, node, "not a q/k/v split");
    const perm = this.next(node.outputs[0]!, "Transpose", node);
    this.expect(shapeEquals(perm.attrs.perm, [2, 0, 3, 1, 4]), perm, "not the q/k/v head transpose");
    const headShape = [n, heads, t, hd];
    const [q, k, v] = this.splitQkv(perm, headShape);
    const kT = this.next(k, "Transpose", perm);
    this.expect(shapeEquals(kT.attrs.perm, [0, 1, 3, 2]), kT, "k is not transposed for q·kᵀ");
    const qk = this.next(q, "MatMul", perm);
    this.expect(qk.inputs[0] === q && qk.inputs[1] === kT.outputs[0], qk, "not q·kᵀ");
    this.next(kT.outputs[0]!, "MatMul", kT);
    const { scale, softmax } = this.scaledSoftmax(qk);
    const av = this.next(softmax.outputs[0]!, "MatMul", softmax);
    this.expect(av.inputs[0] === softmax.outputs[0] && av.inputs[1] === v, av, "not attention · v");
    this.next(v, "MatMul", perm);
    const merge = this.next(av.outputs[0]!, "Transpose", av);
    this.expect(shapeEquals(merge.attrs.perm, [0, 2, 1, 3]), merge, "heads are not merged back per token");
    const flat = this.next(merge.outputs[0]!, "Reshape", merge);
    this.expect(shapeEquals(this.shapeOf(flat.outputs[0]!), [n, t, heads * hd]), flat, "not [N, T, D]");
    for (const m of [perm, kT, qk, av, merge, flat]) this.absorbed.add(m);
    const out = flat.outputs[0]!;
    const name = this.fresh(`${qk.name}/attention`);
    this.emit("Attention", name, [this.tokens.get(qkv)!], [out], { heads, scale }, node.origin);
    this.tokens.set(out, out);
  }

  /** q, k, v as [N, heads, T, hd]: Split on axis 0, or three Slices (exported Gathers), each + Reshape. */
  private splitQkv(perm: Node, headShape: readonly number[]): [string, string, string] {
    const value = perm.outputs[0]!;
    const users = this.usersOf(value);
    const full = this.shapeOf(value);
    let parts: string[];
    const split = users[0];
    if (users.length === 1 && is(split, "Split")) {
      this.expect(
        normalizedAxis(split.attrs.axis, 5) === 0 && shapeEquals(split.attrs.sizes, [1, 1, 1]),
        split,
        "not a q/k/v split",
      );
      this.absorbed.add(split);
      parts = [...split.outputs];
    } else {
      this.expect(users.length === 3 && !this.isOutput(value), perm, "q/k/v are not taken apart");
      parts = ["", "", ""];
      for (const u of users) {
        const which = is(u, "Slice") ? this.qkvSliceIndex(u, full) : -1;
        this.expect(which >= 0 && !parts[which], u, "not a slice of one of q, k, v");
        parts[which] = u.outputs[0]!;
        this.absorbed.add(u);
      }
    }
    return parts.map((p) => {
      const r = this.next(p, "Reshape", perm);
      this.expect(shapeEquals(this.shapeOf(r.outputs[0]!), headShape), r, "not [N, heads, T, hd]");
      this.absorbed.add(r);
      return r.outputs[0]!;
    }) as [string, string, string];
  }

  private qkvSliceIndex(s: NodeOf<"Slice">, full: readonly number[]): number {
    const { starts, ends, steps } = s.attrs;
    const rest = full.every((d, i) => i === 0 || (starts[i] === 0 && ends[i] === d));
    const which = starts[0]!;
    return rest && steps.every((x) => x === 1) && ends[0] === which + 1 ? which : -1;
  }

  /** Optional Mul/Div of q·kᵀ by a scalar constant, then Softmax over the keys. */
  private scaledSoftmax(qk: Node): { scale: number; softmax: NodeOf<"Softmax"> } {
    let value = qk.outputs[0]!;
    let scale = 1;
    const users = this.usersOf(value);
    const u = users[0];
    if (users.length === 1 && (is(u, "Mul") || is(u, "Div"))) {
      const other = u.inputs[0] === value ? u.inputs[1]! : u.inputs[0]!;
      const c = this.initializers.get(other);
      this.expect(
        !!c && sizeOf(c.shape) === 1 && other !== value && (is(u, "Mul") || u.inputs[0] === value),
        u,
        "attention scores are not scaled by a scalar constant",
      );
      const k = c!.data[0]!;
      scale = is(u, "Mul") ? k : 1 / k;
      this.absorbed.add(u);
      value = u.outputs[0]!;
    }
    const softmax = this.next(value, "Softmax", qk);
    this.expect(normalizedAxis(softmax.attrs.axis, 4) === 3, softmax, "softmax is not over the keys");
    this.absorbed.add(softmax);
    return { scale, softmax };
  }

  build(): Graph {
    return pruneDead({
      ...this.g,
      nodes: this.nodes,
      initializers: this.initializers,
      values: this.values,
    });
  }
}

/**
 * Rewrites a ViT encoder's token tensors [N, T, D] into NCHW maps [N, D, gh, gw] on the patch grid
 * (see the module comment). A graph with no token tensors is returned as is; a token tensor read by
 * an op the rewrite cannot map is a GraphError naming that node.
 */
export function channelMajorTokens(g: Graph): Graph {
  const r = new TokenRewriter(g);
  r.run();
  if (r.tokens.size === 0) return g;
  const out = r.build();
  validateGraph(out);
  return out;
}

interface AffineFold {
  readonly gamma?: Float32Array;
  readonly beta?: Float32Array;
  readonly convs: readonly NodeOf<"Conv2d">[];
}

/** Whether a ChannelLayerNorm's scale/bias can move into the 1×1 convolutions that read it. */
function affineFoldOf(
  g: Graph,
  ln: NodeOf<"ChannelLayerNorm">,
  consumers: Map<string, Node[]>,
): AffineFold | undefined {
  const [, scale, bias] = ln.inputs;
  if (!scale && !bias) return undefined;
  const c = g.values.get(ln.inputs[0]!)!.shape[1]!;
  const param = (p: string | undefined): Float32Array | undefined | null => {
    if (!p) return undefined;
    const t = g.initializers.get(p);
    return t && t.dtype === "float32" && t.data.length === c ? (t.data as Float32Array) : null;
  };
  const gamma = param(scale);
  const beta = param(bias);
  if (gamma === null || beta === null) return undefined;
  const out = ln.outputs[0]!;
  const users = consumers.get(out) ?? [];
  if (users.length === 0 || g.outputs.includes(out)) return undefined;
  const convs: NodeOf<"Conv2d">[] = [];
  for (const u of users) {
    if (!is(u, "Conv2d") || !foldableConv(g, u, out)) return undefined;
    convs.push(u);
  }
  return { gamma, beta, convs };
}

function foldableConv(g: Graph, conv: NodeOf<"Conv2d">, from: string): boolean {
  const [x, w, b] = conv.inputs;
  const wt = g.initializers.get(w!);
  const { group, pads } = conv.attrs;
  // With padding, border outputs would see β through the bias but not through the zero-padded input.
  return (
    x === from &&
    w !== from &&
    b !== from &&
    group === 1 &&
    pads.every((p) => p === 0) &&
    !!wt &&
    wt.dtype === "float32" &&
    wt.shape[2] === 1 &&
    wt.shape[3] === 1 &&
    (!b || g.initializers.get(b)?.dtype === "float32")
  );
}

/**
 * ChannelLayerNorm scale γ and bias β folded into the 1×1 convolutions (group 1) that are its only
 * readers: W'[o][c] = W[o][c]·γ_c, b'_o = b_o + Σ_c W[o][c]·β_c. The norm keeps just its input x.
 */
export function foldLayerNormAffine(g: Graph): Graph {
  const consumers = consumersOf(g);
  const initializers = new Map(g.initializers);
  const values = new Map(g.values);
  const used = new Set([...g.values.keys(), ...g.nodes.map((n) => n.name)]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  /** Rewrites an initializer in place when only `reader` uses it, else under a new name. */
  const store = (old: string | undefined, base: string, reader: Node, t: Tensor): string => {
    const shared = !old || (consumers.get(old) ?? []).some((u) => u !== reader) || g.outputs.includes(old);
    const name = shared ? fresh(base) : old;
    initializers.set(name, t);
    values.set(name, { dtype: t.dtype, shape: [...t.shape] });
    return name;
  };
  const replaced = new Map<Node, Node>();
  for (const node of g.nodes) {
    if (!is(node, "ChannelLayerNorm")) continue;
    const fold = affineFoldOf(g, node, consumers);
    if (!fold) continue;
    replaced.set(node, { ...node, inputs: [node.inputs[0]!] });
    for (const conv of fold.convs) {
      const [x, w, b] = conv.inputs as [string, string, string | undefined];
      const { weight, bias } = foldedConv(initializers.get(w)!, b ? initializers.get(b) : undefined, fold);
      const wName = store(w, `${w}_ln`, conv, weight);
      const bName = store(b || undefined, b ? `${b}_ln` : `${conv.name}.bias`, conv, bias);
      replaced.set(conv, { ...conv, inputs: [x, wName, bName] });
    }
  }
  if (replaced.size === 0) return g;
  const out = pruneDead({ ...g, nodes: g.nodes.map((n) => replaced.get(n) ?? n), initializers, values });
  validateGraph(out);
  return out;
}

function foldedConv(w: Tensor, b: Tensor | undefined, fold: AffineFold): { weight: Tensor; bias: Tensor } {
  const [o, c] = w.shape as [number, number];
  const src = w.data as Float32Array;
  const weight = new Float32Array(src.length);
  const bias = new Float32Array(o);
  for (let i = 0; i < o; i++) {
    let acc = b ? (b.data[i] as number) : 0;
    for (let ch = 0; ch < c; ch++) {
      const wv = src[i * c + ch]!;
      weight[i * c + ch] = fold.gamma ? wv * fold.gamma[ch]! : wv;
      if (fold.beta) acc += wv * fold.beta[ch]!;
    }
    bias[i] = acc;
  }
  return { weight: floatTensor(w.shape, weight), bias: floatTensor([o], bias) };
}
