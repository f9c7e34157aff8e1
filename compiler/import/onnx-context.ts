/** State shared by the ONNX op converters: the graph under construction and what each ONNX name holds. */
import type { GraphBuilder } from "../ir/builder.js";
import { GraphError, type OpAttrs, type OpKind } from "../ir/graph.js";
import { OnnxAttributes } from "./onnx-attrs.js";
import { type ConstTensor, constInts, constToTensor, dataTypeOfIr } from "./onnx-const.js";
import type { NodeProto } from "./onnx-schema.js";

/** An ONNX value is either known at import time or computed by the IR graph. */
export type OnnxValue =
  | { readonly kind: "const"; readonly value: ConstTensor }
  | { readonly kind: "runtime"; readonly name: string };

export interface OnnxNodeView {
  readonly index: number;
  readonly opType: string;
  /** The IR node name (the ONNX name, or op_type_index when the file has none). */
  readonly name: string;
  /** ONNX value names; "" marks an absent optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: OnnxAttributes;
  /** `ONNX node #12 Conv "conv1"`, for messages and IR origins. */
  readonly where: string;
}

export interface Use {
  readonly node: number;
  readonly slot: number;
}

export class OnnxImportContext {
  private readonly values = new Map<string, OnnxValue>();
  private readonly materialized = new Map<ConstTensor, string>();
  /** Node indices already converted as part of a recognized pattern. */
  readonly consumed = new Set<number>();
  readonly uses = new Map<string, Use[]>();
  readonly graphOutputs: ReadonlySet<string>;
  private readonly views = new Map<number, OnnxNodeView>();
  private readonly valueNames = new Set<string>();

  constructor(
    readonly builder: GraphBuilder,
    readonly opset: number,
    readonly nodes: readonly NodeProto[],
    graphOutputs: readonly string[],
  ) {
    this.graphOutputs = new Set(graphOutputs);
    for (const n of nodes) for (const o of n.output ?? []) this.valueNames.add(o);
    nodes.forEach((n, i) => {
      for (const name of n.input ?? []) this.valueNames.add(name);
      (n.input ?? []).forEach((name, slot) => {
        if (!name) return;
        const list = this.uses.get(name);
        if (list) list.push({ node: i, slot });
        else this.uses.set(name, [{ node: i, slot }]);
      });
    });
  }

  /** The node at `index` with its attributes parsed and an IR-safe name. */
  view(index: number): OnnxNodeView {
    const known = this.views.get(index);
    if (known) return known;
    const proto = this.nodes[index]!;
    const opType = proto.op_type ?? "";
    let name = proto.name || `${opType}_${index}`;
    // Node and value names share the builder's namespace; keep value names for the values.
    if (this.valueNames.has(name)) name = `${name}/node`;
    const where = `ONNX node #${index} ${opType}${proto.name ? ` "${proto.name}"` : ""}`;
    const view: OnnxNodeView = {
      index,
      opType,
      name,
      inputs: proto.input ?? [],
      outputs: proto.output ?? [],
      attrs: new OnnxAttributes(proto.attribute ?? [], where),
      where,
    };
    this.views.set(index, view);
    return view;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  set(name: string, value: OnnxValue): void {
    this.values.set(name, value);
  }

  get(name: string, where?: string): OnnxValue {
    const v = this.values.get(name);
    if (!v) {
      throw new GraphError(
        `input "${name}" is not a graph input, an initializer or the output of an earlier node`,
        where,
      );
    }
    return v;
  }

  /** The value of an input slot, or undefined when the slot is absent or empty. */
  input(node: OnnxNodeView, i: number): OnnxValue | undefined {
    const name = node.inputs[i];
    return name ? this.get(name, node.where) : undefined;
  }

  /** The constant in a slot, or undefined if the slot is absent or computed at runtime. */
  constInput(node: OnnxNodeView, i: number): ConstTensor | undefined {
    const v = this.input(node, i);
    return v?.kind === "const" ? v.value : undefined;
  }

  requireConst(node: OnnxNodeView, i: number, what: string): ConstTensor {
    const v = this.input(node, i);
    if (!v) throw new GraphError(`${what} (input ${i}) is missing`, node.where);
    if (v.kind !== "const") {
      throw new GraphError(
        `${what} (input ${i}, "${node.inputs[i]}") must be known at import time, but it is computed at runtime`,
        node.where,
      );
    }
    return v.value;
  }

  /** A constant integer input (shape, axes, pads...) as numbers; undefined when the slot is empty. */
  intsInput(node: OnnxNodeView, i: number, what: string): number[] | undefined {
    if (!node.inputs[i]) return undefined;
    return constInts(this.requireConst(node, i, what), what);
  }

  constOf(name: string): ConstTensor | undefined {
    const v = this.values.get(name);
    return v?.kind === "const" ? v.value : undefined;
  }

  shapeOfValue(v: OnnxValue): readonly number[] {
    return v.kind === "const" ? v.value.shape : this.builder.info(v.name).shape;
  }

  dataTypeOfValue(v: OnnxValue): number {
    return v.kind === "const" ? v.value.dataType : dataTypeOfIr(this.builder.info(v.name).dtype);
  }

  /** Shape of a required input slot. */
  shape(node: OnnxNodeView, i: number): readonly number[] {
    const v = this.input(node, i);
    if (!v) throw new GraphError(`input ${i} is missing`, node.where);
    return this.shapeOfValue(v);
  }

  /** The IR name of a value, turning constants into initializers (once per constant). */
  irName(v: OnnxValue, hint: string): string {
    if (v.kind === "runtime") return v.name;
    const known = this.materialized.get(v.value);
    if (known) return known;
    const name = this.builder.addInitializer(
      v.value.name ?? hint,
      constToTensor(v.value, `constant "${v.value.name ?? hint}"`),
    );
    this.materialized.set(v.value, name);
    return name;
  }

  /** IR name of a required input slot. */
  runtime(node: OnnxNodeView, i: number): string {
    const v = this.input(node, i);
    if (!v) throw new GraphError(`input ${i} is missing`, node.where);
    return this.irName(v, node.inputs[i] || `${node.name}/in${i}`);
  }

  /** Adds a constant initializer created by the importer (folded weights). */
  constant(c: ConstTensor, hint: string): string {
    return this.irName({ kind: "const", value: c }, hint);
  }

  /**
   * Emits one IR node for `node`. With `output` set, the IR value is named after (and bound to) that
   * ONNX output; otherwise it is an intermediate named after `suffix`.
   */
  emit<K extends OpKind>(
    node: OnnxNodeView,
    op: K,
    inputs: readonly string[],
    attrs: OpAttrs[K],
    target: { output: number } | { suffix: string },
  ): string {
    const outName = "output" in target ? node.outputs[target.output]! : `${node.name}/${target.suffix}:0`;
    const name = "output" in target ? node.name : `${node.name}/${target.suffix}`;
    const ir = this.builder.add(op, inputs, attrs, { name, outputs: [outName], origin: node.where });
    if ("output" in target) this.values.set(node.outputs[target.output]!, { kind: "runtime", name: ir });
    return ir;
  }

  /** Emits a multi-output node (Split) binding each IR output to the ONNX output of the same index. */
  emitAll<K extends OpKind>(
    node: OnnxNodeView,
    op: K,
    inputs: readonly string[],
    attrs: OpAttrs[K],
  ): string[] {
    const outs = this.builder.addNode(op, inputs, attrs, {
      name: node.name,
      outputs: node.outputs,
      origin: node.where,
    });
    outs.forEach((ir, i) => {
      if (node.outputs[i]) this.values.set(node.outputs[i]!, { kind: "runtime", name: ir });
    });
    return outs;
  }

  /** Binds an ONNX output to an existing value without emitting a node (Identity, no-op Reshape). */
  alias(node: OnnxNodeView, output: number, value: OnnxValue): void {
    this.values.set(node.outputs[output]!, value);
  }

  /** The single consumer of an ONNX value, if it has exactly one and is not a graph output. */
  soleUse(name: string): Use | undefined {
    const list = this.uses.get(name);
    if (list?.length !== 1 || this.graphOutputs.has(name)) return undefined;
    return list[0];
  }
}

/** Converts one ONNX node into IR nodes (or aliases / constants) through the context. */
export type Converter = (node: OnnxNodeView, ctx: OnnxImportContext) => void;

/** True when an optional output of `node` is read by anything. */
export function outputUsed(node: OnnxNodeView, ctx: OnnxImportContext, i: number): boolean {
  const name = node.outputs[i];
  return !!name && ((ctx.uses.get(name)?.length ?? 0) > 0 || ctx.graphOutputs.has(name));
}
