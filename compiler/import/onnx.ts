/**
 * ONNX → IR importer. Shapes become static at import: graph inputs get fixed sizes, shape arithmetic
 * is folded into constants, and each remaining ONNX node maps onto one or more IR ops.
 */
import { GraphBuilder, validateGraph } from "../ir/builder.js";
import { type Graph, GraphError, type ValueInfo } from "../ir/graph.js";
import { type ConstTensor, constFromTensorProto, floatConst, intConst, irDTypeOf } from "./onnx-const.js";
import { type Converter, OnnxImportContext, type OnnxNodeView } from "./onnx-context.js";
import { decodeOnnxModel, finiteInt64, narrowInt64 } from "./onnx-decode.js";
import { type FoldArg, foldNode } from "./onnx-fold.js";
import { convConverters } from "./onnx-ops-conv.js";
import { mathConverters } from "./onnx-ops-math.js";
import { resizeConverters } from "./onnx-ops-resize.js";
import { shapeConverters } from "./onnx-ops-shape.js";
import { matchPatterns } from "./onnx-patterns.js";
import type { ModelProto, ValueInfoProto } from "./onnx-schema.js";

export interface OnnxImportOptions {
  /** Graph name; defaults to the ONNX graph's name. */
  name?: string;
  /** Fixed shapes for graph inputs, by input name; needed for every dynamic dim except the batch (→ 1). */
  inputShapes?: Record<string, number[]>;
}

/** An operator the importer has no conversion for; the message names the op, node index and name. */
export class UnsupportedOnnxOpError extends GraphError {
  constructor(
    readonly opType: string,
    readonly nodeIndex: number,
    nodeName: string,
    extra: { domain?: string; hint?: string } = {},
  ) {
    const domain = extra.domain ? ` (domain "${extra.domain}")` : "";
    const hint = extra.hint ? ` (${extra.hint})` : "";
    super(`unsupported ONNX operator "${opType}"${domain} at node #${nodeIndex} "${nodeName}"${hint}`);
    this.name = "UnsupportedOnnxOpError";
  }
}

const CONVERTERS: Readonly<Record<string, Converter>> = {
  ...mathConverters,
  ...shapeConverters,
  ...convConverters,
  ...resizeConverters,
};

/** Ops the folder evaluates but that have no runtime form in the IR. */
const FOLD_ONLY = new Set([
  "Shape",
  "Size",
  "ConstantOfShape",
  "Range",
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "And",
  "Or",
  "Xor",
  "Not",
  "Mod",
  "Floor",
  "Ceil",
  "Sign",
  "ReduceProd",
]);

/** ONNX operator types the importer converts, including those it only folds on constants. */
export const SUPPORTED_ONNX_OPS: readonly string[] = [
  ...new Set([...Object.keys(CONVERTERS), ...FOLD_ONLY, "Constant"]),
].sort();

function defaultOpset(model: ModelProto): number {
  const entry = (model.opset_import ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
  // Files without an opset_import predate operator sets: they are opset 1.
  return entry ? finiteInt64(entry.version, "opset_import version") : 1;
}

function inputInfo(vi: ValueInfoProto, override: readonly number[] | undefined): ValueInfo {
  const name = vi.name ?? "";
  const tt = vi.type?.tensor_type;
  if (!tt) throw new GraphError(`graph input "${name}" is not a tensor; only tensor inputs are supported`);
  const dtype = irDTypeOf(tt.elem_type ?? 0, `graph input "${name}"`);
  const dims = tt.shape?.dim;
  if (!dims) {
    if (!override)
      throw new GraphError(`graph input "${name}" has no declared shape; give it with inputShapes`);
    return { dtype, shape: [...override] };
  }
  if (override && override.length !== dims.length) {
    throw new GraphError(
      `inputShapes["${name}"] has rank ${override.length}, the model declares rank ${dims.length}`,
    );
  }
  const shape = dims.map((d, i) => {
    const fixed = Object.hasOwn(d, "dim_value")
      ? finiteInt64(d.dim_value, `input "${name}" dim ${i}`)
      : undefined;
    const given = override?.[i];
    if (given !== undefined) {
      if (!Number.isInteger(given) || given < 1)
        throw new GraphError(`inputShapes["${name}"][${i}] = ${given} is not a size`);
      if (fixed !== undefined && fixed > 0 && fixed !== given) {
        throw new GraphError(
          `inputShapes["${name}"][${i}] = ${given}, but the model fixes that dim to ${fixed}`,
        );
      }
      return given;
    }
    if (fixed !== undefined && fixed > 0) return fixed;
    if (i === 0) return 1;
    const label = d.dim_param ? ` ("${d.dim_param}")` : "";
    throw new GraphError(
      `graph input "${name}" dim ${i}${label} is dynamic; give the input's shape with inputShapes`,
    );
  });
  return { dtype, shape };
}

function metadataOf(model: ModelProto, opset: number): Record<string, string> {
  const meta: Record<string, string> = { format: "onnx", opset: String(opset) };
  if (model.ir_version !== undefined) meta.irVersion = String(narrowInt64(model.ir_version, "ir_version"));
  const producer = [model.producer_name, model.producer_version].filter(Boolean).join(" ");
  if (producer) meta.producer = producer;
  for (const p of model.metadata_props ?? []) if (p.key) meta[`onnx.${p.key}`] = p.value ?? "";
  return meta;
}

/** Node indices that some graph output depends on; the rest is never converted. */
function liveNodes(ctx: OnnxImportContext): Set<number> {
  const live = new Set<string>(ctx.graphOutputs);
  const out = new Set<number>();
  for (let i = ctx.nodes.length - 1; i >= 0; i--) {
    const n = ctx.nodes[i]!;
    if ((n.output ?? []).some((o) => live.has(o))) {
      out.add(i);
      for (const x of n.input ?? []) if (x) live.add(x);
    }
  }
  return out;
}

function located(e: unknown, where: string): GraphError {
  if (e instanceof GraphError && e.where) return e;
  return new GraphError((e as Error).message, where);
}

function convertNode(ctx: OnnxImportContext, node: OnnxNodeView, domain: string): void {
  if (domain && domain !== "ai.onnx") {
    throw new UnsupportedOnnxOpError(node.opType, node.index, node.name, { domain });
  }
  const args = node.inputs.map((name): FoldArg | undefined => {
    if (!name) return undefined;
    const v = ctx.get(name, node.where);
    return v.kind === "const"
      ? { shape: v.value.shape, dataType: v.value.dataType, value: v.value }
      : { shape: ctx.shapeOfValue(v), dataType: ctx.dataTypeOfValue(v) };
  });
  const folded = foldNode({
    op: node.opType,
    opset: ctx.opset,
    inputs: args,
    attrs: node.attrs,
    outputCount: node.outputs.length,
  });
  if (folded) {
    folded.forEach((c, i) => {
      const out = node.outputs[i];
      if (out) ctx.set(out, { kind: "const", value: c.name ? c : { ...c, name: out } });
    });
    return;
  }
  if (matchPatterns(ctx, node)) return;
  const convert = CONVERTERS[node.opType];
  if (!convert) {
    const hint = FOLD_ONLY.has(node.opType)
      ? "it is only supported when all its inputs are constants"
      : undefined;
    throw new UnsupportedOnnxOpError(node.opType, node.index, node.name, hint ? { hint } : {});
  }
  convert(node, ctx);
  for (const o of node.outputs) {
    const read = (ctx.uses.get(o) ?? []).some((u) => !ctx.consumed.has(u.node));
    if (o && !ctx.has(o) && (read || ctx.graphOutputs.has(o))) {
      throw new GraphError(`output "${o}" is not supported`, node.where);
    }
  }
}

/** The value of a Constant node, from whichever of its value attributes is set. */
function constantValue(node: OnnxNodeView): ConstTensor {
  const a = node.attrs;
  const tensor = a.tensor("value");
  if (tensor) return tensor;
  if (a.has("value_float")) return floatConst([], [a.float("value_float", 0)]);
  if (a.has("value_floats")) {
    const v = a.floats("value_floats", []);
    return floatConst([v.length], v);
  }
  if (a.has("value_int")) return intConst([], [a.int("value_int", 0)]);
  if (a.has("value_ints")) {
    const v = a.ints("value_ints", []);
    return intConst([v.length], v);
  }
  const kinds =
    a
      .names()
      .map((n) => `${n} (${a.typeName(n)})`)
      .join(", ") || "none";
  throw new GraphError(`Constant with attribute(s) ${kinds} is not supported`, node.where);
}

/** Imports an ONNX model (the bytes of a .onnx file) into the IR. */
export function importOnnx(bytes: Uint8Array, opts: OnnxImportOptions = {}): Graph {
  const model = decodeOnnxModel(bytes);
  const graph = model.graph!;
  const opset = defaultOpset(model);
  const builder = new GraphBuilder(opts.name ?? (graph.name || "onnx-model"), metadataOf(model, opset));
  const outputs = (graph.output ?? []).map((o) => o.name ?? "");
  if (outputs.length === 0) throw new GraphError("the ONNX graph declares no outputs");
  const nodes = graph.node ?? [];
  const ctx = new OnnxImportContext(builder, opset, nodes, outputs);

  if ((graph.sparse_initializer?.length ?? 0) > 0) {
    throw new GraphError("sparse initializers are not supported");
  }
  (graph.initializer ?? []).forEach((t, i) => {
    // Decoding errors already name the initializer by index and name.
    ctx.set(t.name || `initializer_${i}`, {
      kind: "const",
      value: constFromTensorProto(t, `initializer #${i}`),
    });
  });

  const given = opts.inputShapes ?? {};
  const declared = new Set((graph.input ?? []).map((v) => v.name ?? ""));
  for (const k of Object.keys(given)) {
    if (!declared.has(k)) {
      const names = [...declared].join(", ");
      throw new GraphError(`inputShapes names "${k}", which is not a graph input (inputs: ${names})`);
    }
  }
  for (const vi of graph.input ?? []) {
    const name = vi.name ?? "";
    if (ctx.has(name)) continue; // an initializer listed as input (IR < 4): a constant
    const ir = builder.addInput(name, inputInfo(vi, given[name]));
    ctx.set(name, { kind: "runtime", name: ir });
  }

  const live = liveNodes(ctx);
  // Constant nodes have no inputs, so evaluating them first is always valid; patterns can then see
  // the eps / exponent constants that exporters place between the nodes they belong to.
  nodes.forEach((n, i) => {
    if (n.op_type !== "Constant" || (n.domain && n.domain !== "ai.onnx") || !live.has(i)) return;
    const node = ctx.view(i);
    const out = node.outputs[0];
    if (out) ctx.set(out, { kind: "const", value: { ...constantValue(node), name: out } });
    ctx.consumed.add(i);
  });

  for (let i = 0; i < nodes.length; i++) {
    if (ctx.consumed.has(i) || !live.has(i)) continue;
    const node = ctx.view(i);
    try {
      convertNode(ctx, node, nodes[i]!.domain ?? "");
    } catch (e) {
      if (e instanceof UnsupportedOnnxOpError) throw e;
      throw located(e, node.where);
    }
  }

  const irOutputs = outputs.map((name) => {
    if (!ctx.has(name)) throw new GraphError(`graph output "${name}" is not produced by any node`);
    const v = ctx.get(name);
    const ir = ctx.irName(v, name);
    if (ir === name) return ir;
    // Keep the ONNX output name visible to callers even when the value is an alias or a constant.
    return builder.add(
      "Identity",
      [ir],
      {},
      { name: `${name}/output`, outputs: [name], origin: `ONNX graph output "${name}"` },
    );
  });
  builder.setOutputs(irOutputs);
  const result = builder.build();
  validateGraph(result);
  return result;
}
