/**
 * A small ONNX writer for tests: builds ModelProto objects programmatically and encodes them with the
 * importer's own protobuf schema, so tests need no model files and no network.
 */
import {
  type AttributeProto,
  type Int64Like,
  longFromString,
  type ModelProto,
  type NodeProto,
  OnnxAttrType,
  OnnxDataType,
  onnxType,
  type TensorProto,
  type ValueInfoProto,
} from "../../compiler/import/onnx-schema.js";

export { OnnxDataType };

export type AttrValue =
  | number
  | string
  | readonly number[]
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly int: number | bigint }
  | { readonly ints: readonly (number | bigint)[] }
  | { readonly tensor: TensorSpec };

export interface TensorSpec {
  readonly dims: readonly number[];
  readonly values: ArrayLike<number> | readonly bigint[];
  /** TensorProto.DataType code; FLOAT by default. */
  readonly dataType?: number;
  /** "raw" (raw_data bytes, what exporters write) or "typed" (float_data / int64_data / ...). */
  readonly encoding?: "raw" | "typed";
}

export type Dim = number | string | null;

function int64(v: number | bigint): Int64Like {
  if (typeof v === "bigint")
    return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : longFromString(String(v));
  return v;
}

function halfBits(v: number): number {
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, v);
  const x = f.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | (mant >>> 13);
}

function rawBytes(spec: TensorSpec, code: number): Uint8Array {
  const n = spec.values.length;
  const size: Record<number, number> = { 1: 4, 2: 1, 3: 1, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 };
  const bytes = size[code];
  if (!bytes) throw new Error(`test writer: raw encoding of data type ${code} is not implemented`);
  const view = new DataView(new ArrayBuffer(n * bytes));
  for (let i = 0; i < n; i++) {
    const v = spec.values[i]!;
    const o = i * bytes;
    if (code === OnnxDataType.INT64) view.setBigInt64(o, BigInt(v), true);
    else if (code === OnnxDataType.FLOAT) view.setFloat32(o, Number(v), true);
    else if (code === OnnxDataType.DOUBLE) view.setFloat64(o, Number(v), true);
    else if (code === OnnxDataType.INT32) view.setInt32(o, Number(v), true);
    else if (code === OnnxDataType.INT16) view.setInt16(o, Number(v), true);
    else if (code === OnnxDataType.FLOAT16) view.setUint16(o, halfBits(Number(v)), true);
    else if (code === OnnxDataType.INT8) view.setInt8(o, Number(v));
    else view.setUint8(o, Number(v));
  }
  return new Uint8Array(view.buffer);
}

export function tensorProto(name: string, spec: TensorSpec): TensorProto {
  const code = spec.dataType ?? OnnxDataType.FLOAT;
  const t: TensorProto = { name, dims: spec.dims.map((d) => int64(d)), data_type: code };
  if ((spec.encoding ?? "raw") === "raw") {
    t.raw_data = rawBytes(spec, code);
    return t;
  }
  const values = Array.from(spec.values as ArrayLike<number | bigint>);
  if (code === OnnxDataType.FLOAT) t.float_data = values.map(Number);
  else if (code === OnnxDataType.DOUBLE) t.double_data = values.map(Number);
  else if (code === OnnxDataType.INT64) t.int64_data = values.map((v) => int64(v));
  else if (code === OnnxDataType.FLOAT16) t.int32_data = values.map((v) => halfBits(Number(v)));
  else t.int32_data = values.map(Number);
  return t;
}

function isIntList(v: readonly number[]): boolean {
  return v.every((x) => Number.isInteger(x));
}

export function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === "number") {
    return Number.isInteger(v)
      ? { name, type: OnnxAttrType.INT, i: v }
      : { name, type: OnnxAttrType.FLOAT, f: v };
  }
  if (typeof v === "string") return { name, type: OnnxAttrType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    const list = v as readonly number[];
    return isIntList(list)
      ? { name, type: OnnxAttrType.INTS, ints: [...list] }
      : { name, type: OnnxAttrType.FLOATS, floats: [...list] };
  }
  const o = v as Exclude<AttrValue, number | string | readonly number[]>;
  if ("float" in o) return { name, type: OnnxAttrType.FLOAT, f: o.float };
  if ("floats" in o) return { name, type: OnnxAttrType.FLOATS, floats: [...o.floats] };
  if ("int" in o) return { name, type: OnnxAttrType.INT, i: int64(o.int) };
  if ("ints" in o) return { name, type: OnnxAttrType.INTS, ints: o.ints.map((x) => int64(x)) };
  return { name, type: OnnxAttrType.TENSOR, t: tensorProto("", o.tensor) };
}

function valueInfo(name: string, dims: readonly Dim[] | undefined, elemType: number): ValueInfoProto {
  const shape = dims
    ? {
        dim: dims.map((d) =>
          typeof d === "number" ? { dim_value: d } : typeof d === "string" ? { dim_param: d } : {},
        ),
      }
    : undefined;
  return { name, type: { tensor_type: { elem_type: elemType, ...(shape ? { shape } : {}) } } };
}

export interface NodeOptions {
  name?: string;
  domain?: string;
}

export interface ModelOptions {
  opset?: number;
  graphName?: string;
  irVersion?: number;
  producer?: string;
}

export class OnnxModelBuilder {
  readonly opset: number;
  private readonly nodes: NodeProto[] = [];
  private readonly inits: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly opts: ModelOptions = {}) {
    this.opset = opts.opset ?? 17;
  }

  input(name: string, dims: readonly Dim[] | undefined, elemType: number = OnnxDataType.FLOAT): string {
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  output(name: string, dims?: readonly Dim[], elemType: number = OnnxDataType.FLOAT): string {
    this.outputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  initializer(name: string, spec: TensorSpec): string {
    this.inits.push(tensorProto(name, spec));
    return name;
  }

  /** Float initializer shortcut. */
  weight(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    return this.initializer(name, { dims, values });
  }

  /** int64 initializer shortcut (shape inputs, axes...). */
  ints(
    name: string,
    values: readonly (number | bigint)[],
    dims: readonly number[] = [values.length],
  ): string {
    return this.initializer(name, {
      dims,
      values: values.map((v) => BigInt(v)),
      dataType: OnnxDataType.INT64,
    });
  }

  /** A Constant node holding `spec`; returns its output name. */
  constant(name: string, spec: TensorSpec): string {
    this.node("Constant", [], [name], { value: { tensor: spec } }, { name: `${name}_const` });
    return name;
  }

  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    opts: NodeOptions = {},
  ): string[] {
    const node: NodeProto = {
      op_type: opType,
      input: [...inputs],
      output: [...outputs],
      name: opts.name ?? `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    };
    if (opts.domain) node.domain = opts.domain;
    this.nodes.push(node);
    return [...outputs];
  }

  /** A single-output node with a generated output name. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    opts: NodeOptions = {},
  ): string {
    const out = `${opts.name ?? opType.toLowerCase()}_${this.counter++}`;
    return this.node(opType, inputs, [out], attrs, opts)[0]!;
  }

  toModel(): ModelProto {
    return {
      ir_version: this.opts.irVersion ?? 8,
      producer_name: this.opts.producer ?? "quart-test",
      opset_import: [{ domain: "", version: this.opset }],
      graph: {
        name: this.opts.graphName ?? "test-graph",
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  encode(): Uint8Array {
    return encodeModel(this.toModel());
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnxType("ModelProto").encode(model).finish();
}
