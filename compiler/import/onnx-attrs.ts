/** Typed access to a node's AttributeProtos, with errors that name the attribute and its node. */
import { GraphError } from "../ir/graph.js";
import { type ConstTensor, constFromTensorProto } from "./onnx-const.js";
import { narrowInt64 } from "./onnx-decode.js";
import { type AttributeProto, attrTypeName, OnnxAttrType } from "./onnx-schema.js";

const decoder = new TextDecoder();

/** IR version 1 files may omit AttributeProto.type; infer it from the field that is set. */
function typeOf(a: AttributeProto): number {
  if (a.type) return a.type;
  const has = (k: keyof AttributeProto) => Object.hasOwn(a, k);
  if ((a.floats?.length ?? 0) > 0) return OnnxAttrType.FLOATS;
  if ((a.ints?.length ?? 0) > 0) return OnnxAttrType.INTS;
  if ((a.strings?.length ?? 0) > 0) return OnnxAttrType.STRINGS;
  if (has("t")) return OnnxAttrType.TENSOR;
  if (has("g")) return OnnxAttrType.GRAPH;
  if (has("s")) return OnnxAttrType.STRING;
  if (has("i")) return OnnxAttrType.INT;
  if (has("f")) return OnnxAttrType.FLOAT;
  return OnnxAttrType.UNDEFINED;
}

export class OnnxAttributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(
    attrs: readonly AttributeProto[],
    /** The node, for messages: `node #3 Softmax "sm"`. */
    private readonly where: string,
  ) {
    for (const a of attrs) {
      if (a.ref_attr_name)
        throw this.error(a.name ?? "", "refers to a function attribute, which is not supported");
      this.byName.set(a.name ?? "", a);
    }
  }

  private error(name: string, msg: string): GraphError {
    return new GraphError(`attribute "${name}" ${msg}`, this.where);
  }

  private get(name: string, type: number): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    const t = typeOf(a);
    // An INT where a FLOAT is expected is harmless (some writers emit alpha=1 as INT).
    if (t !== type && !(type === OnnxAttrType.FLOAT && t === OnnxAttrType.INT)) {
      throw this.error(name, `must be ${attrTypeName(type)}, got ${attrTypeName(t)}`);
    }
    return a;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.get(name, OnnxAttrType.INT);
    return a ? narrowInt64(a.i, `attribute "${name}" of ${this.where}`) : fallback;
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const a = this.get(name, OnnxAttrType.FLOAT);
    if (!a) return fallback;
    return typeOf(a) === OnnxAttrType.INT ? narrowInt64(a.i, name) : (a.f ?? 0);
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const a = this.get(name, OnnxAttrType.STRING);
    return a ? decoder.decode(a.s ?? new Uint8Array()) : fallback;
  }

  ints(name: string, fallback: readonly number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, fallback?: readonly number[]): number[] | undefined {
    const a = this.get(name, OnnxAttrType.INTS);
    if (!a) return fallback ? [...fallback] : undefined;
    return (a.ints ?? []).map((v, i) => narrowInt64(v, `attribute "${name}"[${i}] of ${this.where}`));
  }

  floats(name: string, fallback: readonly number[]): number[];
  floats(name: string): number[] | undefined;
  floats(name: string, fallback?: readonly number[]): number[] | undefined {
    const a = this.get(name, OnnxAttrType.FLOATS);
    return a ? [...(a.floats ?? [])] : fallback ? [...fallback] : undefined;
  }

  tensor(name: string): ConstTensor | undefined {
    const a = this.get(name, OnnxAttrType.TENSOR);
    if (!a) return undefined;
    try {
      return constFromTensorProto(a.t ?? {}, `attribute "${name}"`);
    } catch (e) {
      throw new GraphError((e as Error).message, this.where);
    }
  }

  /** The attribute's type name, for ops that accept several (Constant). */
  typeName(name: string): string | undefined {
    const a = this.byName.get(name);
    return a ? attrTypeName(typeOf(a)) : undefined;
  }
}
