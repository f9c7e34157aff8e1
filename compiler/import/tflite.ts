/**
 * TFLite → graph IR. TFLite activations are NHWC; the IR is NCHW. Rather than wrapping every NHWC op
 * in transposes and cleaning up afterwards, the importer tracks for each TFLite tensor how its IR value
 * is permuted (`perm`: ir.dim[i] = tflite.dim[perm[i]]). Layout-neutral ops keep the permutation,
 * TRANSPOSE ops only relabel it, and a transpose is emitted only where an op needs a layout the value
 * is not in. On PyDNet-style graphs (NCHW input, NHWC convs) every transpose cancels.
 */

import { concat, slice, transpose as transposeData } from "../exec/layout.js";
import { GraphBuilder } from "../ir/builder.js";
import { type Graph, GraphError, type Pads2d } from "../ir/graph.js";
import { type DType, sizeOf, tensor } from "../ir/tensor.js";
import { BUILTIN_NAMES } from "./tflite-ops.js";
import {
  readTflite,
  TENSOR_TYPE_NAMES,
  TensorType,
  type TfliteModel,
  type TfliteOperator,
  type TfliteTable,
  type TfliteTensor,
} from "./tflite-schema.js";

interface Val {
  ir: string;
  perm: number[];
}

interface ConstVal {
  dtype: DType;
  shape: number[];
  data: Float32Array | Int32Array;
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const identity = (r: number) => Array.from({ length: r }, (_, i) => i);
const invert = (p: readonly number[]) => {
  const inv = new Array<number>(p.length);
  p.forEach((v, i) => {
    inv[v] = i;
  });
  return inv;
};
const isIdentity = (p: readonly number[]) => p.every((v, i) => v === i);

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

/** Decodes a constant buffer into float or int32 data; quantized weights are dequantized. */
function decodeConstant(t: TfliteTensor, bytes: Uint8Array): ConstVal {
  const n = sizeOf(t.shape);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (elem: number) => {
    if (bytes.length < n * elem) {
      throw new GraphError(
        `constant "${t.name}" has ${bytes.length} bytes, shape [${t.shape}] needs ${n * elem}`,
      );
    }
  };
  const q = t.quantization;
  const dequant = (get: (i: number) => number): ConstVal => {
    const data = new Float32Array(n);
    const dim = q!.quantizedDimension;
    const per = q!.scale.length > 1;
    const inner = per ? sizeOf(t.shape.slice(dim + 1)) : 1;
    const channels = per ? t.shape[dim]! : 1;
    if (per && channels !== q!.scale.length) {
      throw new GraphError(`"${t.name}" has ${q!.scale.length} scales for ${channels} channels`);
    }
    for (let i = 0; i < n; i++) {
      const c = per ? Math.floor(i / inner) % channels : 0;
      data[i] = q!.scale[c]! * (get(i) - (q!.zeroPoint[c] ?? q!.zeroPoint[0] ?? 0));
    }
    return { dtype: "float32", shape: t.shape, data };
  };
  switch (t.type) {
    case TensorType.FLOAT32: {
      need(4);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = dv.getFloat32(4 * i, true);
      return { dtype: "float32", shape: t.shape, data };
    }
    case TensorType.FLOAT16: {
      need(2);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = halfToFloat(dv.getUint16(2 * i, true));
      return { dtype: "float32", shape: t.shape, data };
    }
    case TensorType.INT8:
      need(1);
      if (q) return dequant((i) => dv.getInt8(i));
      return {
        dtype: "int32",
        shape: t.shape,
        data: Int32Array.from({ length: n }, (_, i) => dv.getInt8(i)),
      };
    case TensorType.UINT8:
      need(1);
      if (q) return dequant((i) => dv.getUint8(i));
      return {
        dtype: "int32",
        shape: t.shape,
        data: Int32Array.from({ length: n }, (_, i) => dv.getUint8(i)),
      };
    case TensorType.INT16:
      need(2);
      if (q) return dequant((i) => dv.getInt16(2 * i, true));
      return {
        dtype: "int32",
        shape: t.shape,
        data: Int32Array.from({ length: n }, (_, i) => dv.getInt16(2 * i, true)),
      };
    case TensorType.INT32:
      need(4);
      if (q) return dequant((i) => dv.getInt32(4 * i, true));
      return {
        dtype: "int32",
        shape: t.shape,
        data: Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true)),
      };
    case TensorType.INT64: {
      need(8);
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n)
          throw new GraphError(`"${t.name}" holds int64 ${v}, beyond int32`);
        data[i] = Number(v);
      }
      return { dtype: "int32", shape: t.shape, data };
    }
    case TensorType.BOOL:
      need(1);
      return {
        dtype: "bool",
        shape: t.shape,
        data: Int32Array.from(bytes.subarray(0, n), (b) => (b ? 1 : 0)),
      };
    default:
      throw new GraphError(
        `constant "${t.name}" has unsupported type ${TENSOR_TYPE_NAMES[t.type] ?? t.type}`,
      );
  }
}

function activationDType(t: TfliteTensor): DType {
  switch (t.type) {
    case TensorType.FLOAT32:
    case TensorType.FLOAT16:
      return "float32";
    case TensorType.INT32:
    case TensorType.INT64:
      return "int32";
    case TensorType.INT8:
    case TensorType.UINT8:
      // Quantized activations are carried in float: the importer reproduces the float model.
      return "float32";
    case TensorType.BOOL:
      return "bool";
    default:
      throw new GraphError(`tensor "${t.name}" has unsupported type ${TENSOR_TYPE_NAMES[t.type] ?? t.type}`);
  }
}

interface StridedSliceSpec {
  starts: number[];
  ends: number[];
  steps: number[];
  shrink: boolean[];
}

/** Normalizes TFLite STRIDED_SLICE begin/end/stride with masks to explicit per-dim ranges. */
export function stridedSliceSpec(
  shape: readonly number[],
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
  masks: { begin: number; end: number; shrink: number; ellipsis: number; newAxis: number },
): StridedSliceSpec {
  if (masks.ellipsis || masks.newAxis)
    throw new GraphError("STRIDED_SLICE with ellipsis or new-axis masks is not supported");
  const r = shape.length;
  const spec: StridedSliceSpec = { starts: [], ends: [], steps: [], shrink: [] };
  for (let i = 0; i < r; i++) {
    const d = shape[i]!;
    const step = i < strides.length ? strides[i]! : 1;
    if (step === 0) throw new GraphError("STRIDED_SLICE stride of 0");
    const shrink = i < begin.length && (masks.shrink >> i) & 1;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = i < begin.length && !((masks.begin >> i) & 1) ? begin[i]! : step > 0 ? 0 : d - 1;
    let e = i < end.length && !((masks.end >> i) & 1) ? end[i]! : step > 0 ? d : -d - 1;
    if (s < 0) s += d;
    if (e < 0 && e >= -d) e += d;
    if (shrink) {
      e = s + 1;
    }
    s = step > 0 ? clamp(s, 0, d) : clamp(s, -1, d - 1);
    e = step > 0 ? clamp(e, 0, d) : clamp(e, -1, d - 1);
    spec.starts.push(s);
    spec.ends.push(e);
    spec.steps.push(step);
    spec.shrink.push(Boolean(shrink));
  }
  return spec;
}

/** Leading inputs each supported operator cannot do without (optional ones such as a bias are not counted). */
const REQUIRED_INPUTS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    1: "RELU RELU6 RELU_N1_TO_1 LEAKY_RELU LOGISTIC TANH EXP LOG SQRT RSQRT NEG ABS GELU HARD_SWISH DEQUANTIZE QUANTIZE CAST RESHAPE SQUEEZE SOFTMAX MAX_POOL_2D AVERAGE_POOL_2D CONCATENATION SHAPE PACK",
    2: "CONV_2D DEPTHWISE_CONV_2D FULLY_CONNECTED RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR TRANSPOSE ADD SUB MUL DIV MAXIMUM MINIMUM POW SQUARED_DIFFERENCE FLOOR_DIV PAD PADV2 MIRROR_PAD SPLIT MEAN SUM REDUCE_MAX EXPAND_DIMS",
    3: "TRANSPOSE_CONV SPLIT_V SLICE",
    4: "STRIDED_SLICE",
  }).flatMap(([n, ops]) => ops.split(" ").map((op): [string, number] => [op, Number(n)])),
);

export interface TfliteImportOptions {
  name?: string;
  subgraph?: number;
}

export function importTflite(bytes: Uint8Array, opts: TfliteImportOptions = {}): Graph {
  const model = readTflite(bytes);
  const sgIndex = opts.subgraph ?? 0;
  const sg = model.subgraphs[sgIndex];
  if (!sg) throw new GraphError(`the model has no subgraph ${sgIndex}`);
  return new TfliteImporter(model, sgIndex, opts.name ?? sg.name ?? "tflite").run();
}

class TfliteImporter {
  private readonly b: GraphBuilder;
  private readonly vals = new Map<number, Val>();
  private readonly consts = new Map<number, ConstVal>();
  private readonly permCache = new Map<string, string>();
  private readonly sg;
  private where = "";

  constructor(
    private readonly model: TfliteModel,
    sgIndex: number,
    name: string,
  ) {
    this.sg = model.subgraphs[sgIndex]!;
    this.b = new GraphBuilder(name, {
      source: "tflite",
      schemaVersion: String(model.version),
      ...(model.description ? { producer: model.description } : {}),
    });
  }

  run(): Graph {
    const { sg } = this;
    for (const [what, list] of [
      ["input", sg.inputs],
      ["output", sg.outputs],
    ] as const) {
      for (const i of list) {
        if (!sg.tensors[i])
          throw new GraphError(
            `subgraph ${what} refers to tensor ${i}, the subgraph has ${sg.tensors.length}`,
          );
      }
    }
    sg.tensors.forEach((t) => {
      const buf = this.model.buffer(t.buffer);
      if (buf && !sg.inputs.includes(t.index)) this.consts.set(t.index, decodeConstant(t, buf));
    });
    for (const i of sg.inputs) {
      const t = this.tensor(i);
      if (t.shape.some((d) => d <= 0))
        throw new GraphError(`input "${t.name}" has a dynamic shape [${t.shape}]`);
      const ir = this.b.addInput(t.name, { dtype: activationDType(t), shape: t.shape });
      this.vals.set(i, { ir, perm: identity(t.shape.length) });
    }
    for (const op of sg.operators) {
      const code = this.model.operatorCodes[op.opcodeIndex];
      const opName = code
        ? (BUILTIN_NAMES[code.builtinCode] ?? `BUILTIN_${code.builtinCode}`)
        : `opcode ${op.opcodeIndex}`;
      this.where = `tflite op #${op.index} ${code?.customCode ? `CUSTOM "${code.customCode}"` : opName}`;
      try {
        if (!code) {
          throw new GraphError(
            `opcode index ${op.opcodeIndex} is out of range (the model has ${this.model.operatorCodes.length} operator codes)`,
          );
        }
        this.importOp(opName, op);
      } catch (e) {
        if (e instanceof GraphError && e.message.startsWith("tflite op #")) throw e;
        throw new GraphError((e as Error).message, this.where);
      }
    }
    this.where = "subgraph output";
    const outputs = sg.outputs.map((i) => {
      const c = this.consts.get(i);
      if (c) return this.b.addInitializer(this.tensor(i).name, tensor(c.dtype, c.shape, c.data));
      if (!this.vals.has(i))
        throw new GraphError(`tensor ${i} "${this.tensor(i).name}" is never produced`, this.where);
      return this.as(i, identity(this.rank(i)));
    });
    this.b.setOutputs(outputs);
    return this.b.build();
  }

  private tensor(i: number): TfliteTensor {
    const t = this.sg.tensors[i];
    if (!t) throw new GraphError(`refers to tensor ${i}, the subgraph has ${this.sg.tensors.length}`);
    return t;
  }

  private rank(i: number): number {
    const c = this.consts.get(i);
    if (c) return c.shape.length;
    return this.val(i).perm.length;
  }

  private val(i: number): Val {
    const v = this.vals.get(i);
    if (!v) throw new GraphError(`reads tensor ${i} "${this.tensor(i).name}" before any op produces it`);
    return v;
  }

  /** The TFLite shape of tensor i (from the IR value and its permutation, not the file's stale shape). */
  private shape(i: number): number[] {
    const c = this.consts.get(i);
    if (c) return c.shape;
    const v = this.val(i);
    const irShape = this.b.info(v.ir).shape;
    const out = new Array<number>(irShape.length);
    v.perm.forEach((p, k) => {
      out[p] = irShape[k]!;
    });
    return out;
  }

  private constInt(i: number): number[] {
    const c = this.consts.get(i);
    if (!c) throw new GraphError(`expects tensor ${i} "${this.tensor(i).name}" to be constant`);
    return Array.from(c.data);
  }

  /** IR name of tensor i laid out so that ir.dim[k] = tflite.dim[perm[k]]. */
  private as(i: number, perm: readonly number[]): string {
    const key = `${i}:${perm.join(",")}`;
    const cached = this.permCache.get(key);
    if (cached) return cached;
    let name: string;
    const c = this.consts.get(i);
    if (c) {
      const t = tensor(c.dtype, c.shape, c.data);
      const data = isIdentity(perm) || perm.length !== c.shape.length ? t : transposeData(t, perm);
      name = this.b.addInitializer(this.tensor(i).name, data);
    } else {
      const v = this.val(i);
      if (perm.length !== v.perm.length) throw new GraphError(`rank mismatch on "${this.tensor(i).name}"`);
      const inv = invert(v.perm);
      const t = perm.map((p) => inv[p]!);
      name = isIdentity(t) ? v.ir : this.b.add("Transpose", [v.ir], { perm: t }, { origin: this.where });
    }
    this.permCache.set(key, name);
    return name;
  }

  private set(i: number, ir: string, perm: readonly number[]): void {
    this.vals.set(i, { ir, perm: [...perm] });
  }

  private fusedActivation(ir: string, code: number): string {
    switch (code) {
      case 0:
        return ir;
      case 1:
        return this.b.add("Relu", [ir], {}, { origin: this.where });
      case 2:
        return this.b.add("Clip", [ir], { min: -1, max: 1 }, { origin: this.where });
      case 3:
        return this.b.add("Clip", [ir], { min: 0, max: 6 }, { origin: this.where });
      case 4:
        return this.b.add("Tanh", [ir], {}, { origin: this.where });
      default:
        throw new GraphError(`unsupported fused activation ${code}`);
    }
  }

  private node(op: Parameters<GraphBuilder["add"]>[0], inputs: string[], attrs: object, out: number): string {
    return this.b.add(op, inputs, attrs as never, { name: this.tensor(out).name, origin: this.where });
  }

  private samePads(inSize: number, k: number, stride: number, dil: number): [number, number] {
    const out = Math.ceil(inSize / stride);
    const total = Math.max((out - 1) * stride + (k - 1) * dil + 1 - inSize, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }

  private importOp(name: string, op: TfliteOperator): void {
    const o = op.options;
    const ins = op.inputs;
    const out = op.outputs[0]!;
    const need = REQUIRED_INPUTS.get(name);
    if (need !== undefined) {
      const given = ins.slice(0, need).filter((i) => i >= 0).length;
      if (given < need)
        throw new GraphError(`needs ${need} input${need > 1 ? "s" : ""}, the file gives ${given}`);
      if (out === undefined) throw new GraphError("has no outputs");
    }
    if (this.tryFold(name, op)) return;
    switch (name) {
      case "CONV_2D":
      case "DEPTHWISE_CONV_2D": {
        const [n, h, w, c] = this.shape(ins[0]!) as [number, number, number, number];
        const ws = this.shape(ins[1]!);
        const depthwise = name === "DEPTHWISE_CONV_2D";
        const opt = readConvOptions(o, depthwise);
        const kh = ws[1]!;
        const kw = ws[2]!;
        const [pt, pb] = opt.padding === 0 ? this.samePads(h, kh, opt.strideH, opt.dilH) : [0, 0];
        const [pl, pr] = opt.padding === 0 ? this.samePads(w, kw, opt.strideW, opt.dilW) : [0, 0];
        const x = this.as(ins[0]!, NHWC_TO_NCHW);
        const weight = this.as(ins[1]!, depthwise ? [3, 0, 1, 2] : NHWC_TO_NCHW);
        const inputs = [x, weight];
        if (ins[2] !== undefined && ins[2] >= 0) inputs.push(this.as(ins[2], [0]));
        void n;
        const y = this.node(
          "Conv2d",
          inputs,
          {
            strides: [opt.strideH, opt.strideW],
            pads: [pt, pl, pb, pr] as Pads2d,
            dilations: [opt.dilH, opt.dilW],
            group: depthwise ? c : 1,
          },
          out,
        );
        this.set(out, this.fusedActivation(y, opt.activation), NHWC_TO_NCHW);
        return;
      }
      case "TRANSPOSE_CONV": {
        const outShape = this.constInt(ins[0]!);
        const ws = this.shape(ins[1]!);
        const [, h, w] = this.shape(ins[2]!) as [number, number, number, number];
        const padding = o?.int8(0) ?? 0;
        const strideW = o?.int32(1, 1) || 1;
        const strideH = o?.int32(2, 1) || 1;
        const kh = ws[1]!;
        const kw = ws[2]!;
        const totalH = Math.max((h - 1) * strideH + kh - outShape[1]!, 0);
        const totalW = Math.max((w - 1) * strideW + kw - outShape[2]!, 0);
        const pt = padding === 0 ? Math.floor(totalH / 2) : 0;
        const pl = padding === 0 ? Math.floor(totalW / 2) : 0;
        const fullH = (h - 1) * strideH + kh - pt;
        const fullW = (w - 1) * strideW + kw - pl;
        const inputs = [this.as(ins[2]!, NHWC_TO_NCHW), this.as(ins[1]!, [3, 0, 1, 2])];
        if (ins[3] !== undefined && ins[3] >= 0) inputs.push(this.as(ins[3], [0]));
        const y = this.node(
          "ConvTranspose2d",
          inputs,
          {
            strides: [strideH, strideW],
            pads: [pt, pl, Math.max(fullH - outShape[1]!, 0), Math.max(fullW - outShape[2]!, 0)],
            outputPadding: [Math.max(outShape[1]! - fullH, 0), Math.max(outShape[2]! - fullW, 0)],
            group: 1,
          },
          out,
        );
        this.set(out, this.fusedActivation(y, o?.int8(3) ?? 0), NHWC_TO_NCHW);
        return;
      }
      case "RESIZE_BILINEAR":
      case "RESIZE_NEAREST_NEIGHBOR": {
        const size = this.constInt(ins[1]!);
        // ResizeBilinearOptions starts with two deprecated size fields; ResizeNearestNeighborOptions does not.
        const slot = name === "RESIZE_BILINEAR" ? 2 : 0;
        const alignCorners = o?.bool(slot) ?? false;
        const halfPixel = o?.bool(slot + 1) ?? false;
        const y = this.node(
          "Resize",
          [this.as(ins[0]!, NHWC_TO_NCHW)],
          {
            mode: name === "RESIZE_BILINEAR" ? "bilinear" : "nearest",
            coordinateTransform: alignCorners ? "align_corners" : halfPixel ? "half_pixel" : "asymmetric",
            size: [size[0]!, size[1]!],
          },
          out,
        );
        this.set(out, y, NHWC_TO_NCHW);
        return;
      }
      case "MAX_POOL_2D":
      case "AVERAGE_POOL_2D": {
        const [, h, w] = this.shape(ins[0]!) as [number, number, number, number];
        const padding = o?.int8(0) ?? 0;
        const sw = o?.int32(1, 1) || 1;
        const sh = o?.int32(2, 1) || 1;
        const fw = o?.int32(3, 1) || 1;
        const fh = o?.int32(4, 1) || 1;
        const [pt, pb] = padding === 0 ? this.samePads(h, fh, sh, 1) : [0, 0];
        const [pl, pr] = padding === 0 ? this.samePads(w, fw, sw, 1) : [0, 0];
        const common = { kernel: [fh, fw], strides: [sh, sw], pads: [pt, pl, pb, pr] };
        const y =
          name === "MAX_POOL_2D"
            ? this.node("MaxPool", [this.as(ins[0]!, NHWC_TO_NCHW)], common, out)
            : this.node(
                "AvgPool",
                [this.as(ins[0]!, NHWC_TO_NCHW)],
                { ...common, countIncludePad: false },
                out,
              );
        this.set(out, this.fusedActivation(y, o?.int8(5) ?? 0), NHWC_TO_NCHW);
        return;
      }
      case "TRANSPOSE": {
        const q = this.constInt(ins[1]!);
        if (this.consts.has(ins[0]!)) {
          this.set(out, this.as(ins[0]!, q), identity(q.length));
          return;
        }
        const v = this.val(ins[0]!);
        const qinv = invert(q);
        this.set(
          out,
          v.ir,
          v.perm.map((p) => qinv[p]!),
        );
        return;
      }
      case "PAD":
      case "PADV2":
      case "MIRROR_PAD": {
        const v = this.val(ins[0]!);
        const pads = this.constInt(ins[1]!);
        const r = v.perm.length;
        const irPads = [...v.perm.map((p) => pads[2 * p]!), ...v.perm.map((p) => pads[2 * p + 1]!)];
        const value = name === "PADV2" && ins[2] !== undefined && ins[2] >= 0 ? this.constInt(ins[2])[0]! : 0;
        const mode = name === "MIRROR_PAD" ? ((o?.int8(0) ?? 0) === 0 ? "reflect" : "edge") : "constant";
        if (name === "MIRROR_PAD" && mode === "edge")
          throw new GraphError("MIRROR_PAD SYMMETRIC is not supported");
        void r;
        this.set(out, this.node("Pad", [v.ir], { pads: irPads, mode, value }, out), v.perm);
        return;
      }
      case "SPLIT":
      case "SPLIT_V": {
        const xi = name === "SPLIT" ? ins[1]! : ins[0]!;
        const axisT = name === "SPLIT" ? ins[0]! : ins[2]!;
        const v = this.val(xi);
        const shape = this.shape(xi);
        let axis = this.constInt(axisT)[0]!;
        if (axis < 0) axis += shape.length;
        const count = op.outputs.length;
        let sizes: number[];
        if (name === "SPLIT") sizes = new Array(count).fill(shape[axis]! / count);
        else {
          sizes = this.constInt(ins[1]!);
          const known = sizes.filter((s) => s >= 0).reduce((a, b) => a + b, 0);
          sizes = sizes.map((s) => (s < 0 ? shape[axis]! - known : s));
        }
        if (count === 1) {
          this.set(op.outputs[0]!, v.ir, v.perm);
          return;
        }
        const outs = this.b.addNode(
          "Split",
          [v.ir],
          { axis: v.perm.indexOf(axis), sizes },
          { outputs: op.outputs.map((k) => this.tensor(k).name), origin: this.where },
        );
        for (const [j, k] of op.outputs.entries()) this.set(k, outs[j]!, v.perm);
        return;
      }
      case "CONCATENATION": {
        const lead = ins.find((i) => !this.consts.has(i));
        const perm = lead === undefined ? identity(this.rank(ins[0]!)) : this.val(lead).perm;
        let axis = o?.int32(0) ?? 0;
        if (axis < 0) axis += perm.length;
        const y = this.node(
          "Concat",
          ins.map((i) => this.as(i, perm)),
          { axis: perm.indexOf(axis) },
          out,
        );
        this.set(out, this.fusedActivation(y, o?.int8(1) ?? 0), perm);
        return;
      }
      case "ADD":
      case "SUB":
      case "MUL":
      case "DIV":
      case "MAXIMUM":
      case "MINIMUM":
      case "POW":
      case "SQUARED_DIFFERENCE": {
        const [a, b2] = [ins[0]!, ins[1]!];
        const perm = this.binaryPerm(a, b2);
        const xa = this.asBroadcast(a, perm);
        const xb = this.asBroadcast(b2, perm);
        const irOp = {
          ADD: "Add",
          SUB: "Sub",
          MUL: "Mul",
          DIV: "Div",
          MAXIMUM: "Maximum",
          MINIMUM: "Minimum",
          POW: "Pow",
        } as const;
        let y: string;
        if (name === "SQUARED_DIFFERENCE") {
          const d = this.b.add("Sub", [xa, xb], {}, { origin: this.where });
          y = this.node("Mul", [d, d], {}, out);
        } else y = this.node(irOp[name as keyof typeof irOp], [xa, xb], {}, out);
        const act = ["ADD", "SUB", "MUL", "DIV"].includes(name) ? (o?.int8(0) ?? 0) : 0;
        this.set(out, this.fusedActivation(y, act), perm);
        return;
      }
      case "RELU":
      case "RELU6":
      case "RELU_N1_TO_1":
      case "LEAKY_RELU":
      case "LOGISTIC":
      case "TANH":
      case "EXP":
      case "LOG":
      case "SQRT":
      case "RSQRT":
      case "NEG":
      case "ABS":
      case "GELU":
      case "HARD_SWISH":
      case "DEQUANTIZE":
      case "QUANTIZE": {
        const v = this.val(ins[0]!);
        this.set(out, this.unary(name, v.ir, o, out), v.perm);
        return;
      }
      case "CAST": {
        const v = this.val(ins[0]!);
        const to = activationDType(this.tensor(out));
        this.set(out, this.node("Cast", [v.ir], { to }, out), v.perm);
        return;
      }
      case "RESHAPE":
      case "SQUEEZE":
      case "EXPAND_DIMS": {
        const inShape = this.shape(ins[0]!);
        let target: number[];
        if (name === "RESHAPE") {
          target =
            ins[1] !== undefined && ins[1] >= 0 && this.consts.has(ins[1]) ? this.constInt(ins[1]) : [];
          if (!target.length) target = readReshapeOption(o);
          const known = target.filter((d) => d >= 0).reduce((a, b2) => a * b2, 1);
          target = target.map((d) => (d < 0 ? sizeOf(inShape) / known : d));
        } else if (name === "SQUEEZE") {
          const dims = readSqueezeDims(o).map((d) => (d < 0 ? d + inShape.length : d));
          target = inShape.filter((d, k) => (dims.length ? !dims.includes(k) : d !== 1));
        } else {
          let axis = this.constInt(ins[1]!)[0]!;
          if (axis < 0) axis += inShape.length + 1;
          target = [...inShape.slice(0, axis), 1, ...inShape.slice(axis)];
        }
        const x = this.as(ins[0]!, identity(inShape.length));
        this.set(out, this.node("Reshape", [x], { shape: target }, out), identity(target.length));
        return;
      }
      case "MEAN":
      case "SUM":
      case "REDUCE_MAX": {
        const shape = this.shape(ins[0]!);
        const axes = this.constInt(ins[1]!).map((a) => (a < 0 ? a + shape.length : a));
        const keepDims = o?.bool(0) ?? false;
        const irOp = name === "MEAN" ? "ReduceMean" : name === "SUM" ? "ReduceSum" : "ReduceMax";
        const x = this.as(ins[0]!, identity(shape.length));
        const y = this.node(irOp, [x], { axes, keepDims }, out);
        this.set(out, y, identity(keepDims ? shape.length : shape.length - new Set(axes).size));
        return;
      }
      case "SOFTMAX": {
        const shape = this.shape(ins[0]!);
        let x = this.as(ins[0]!, identity(shape.length));
        // schema default (and TFLite's value when the field or table is absent) is 0
        const beta = o?.float32(0) ?? 0;
        if (beta !== 1) {
          const bname = this.b.addInitializer("softmax_beta", tensor("float32", [1], [beta]));
          x = this.b.add("Mul", [x, bname], {}, { origin: this.where });
        }
        this.set(out, this.node("Softmax", [x], { axis: -1 }, out), identity(shape.length));
        return;
      }
      case "FULLY_CONNECTED": {
        const shape = this.shape(ins[0]!);
        const ws = this.shape(ins[1]!);
        const k = ws[1]!;
        const keepDims = o?.bool(2) ?? false;
        const x = this.as(ins[0]!, identity(shape.length));
        const flat = this.b.add("Reshape", [x], { shape: [sizeOf(shape) / k, k] }, { origin: this.where });
        const wt = this.as(ins[1]!, [1, 0]);
        let y = this.b.add("MatMul", [flat, wt], {}, { origin: this.where });
        if (ins[2] !== undefined && ins[2] >= 0)
          y = this.b.add("Add", [y, this.as(ins[2], [0])], {}, { origin: this.where });
        y = this.fusedActivation(y, o?.int8(0) ?? 0);
        const outShape = keepDims ? [...shape.slice(0, -1), ws[0]!] : [sizeOf(shape) / k, ws[0]!];
        this.set(out, this.node("Reshape", [y], { shape: outShape }, out), identity(outShape.length));
        return;
      }
      case "STRIDED_SLICE":
      case "SLICE": {
        const shape = this.shape(ins[0]!);
        const spec = this.sliceSpec(name, op, shape);
        const x = this.as(ins[0]!, identity(shape.length));
        let y = this.b.add(
          "Slice",
          [x],
          { starts: spec.starts, ends: spec.ends, steps: spec.steps },
          { origin: this.where },
        );
        const sliced = this.b.info(y).shape;
        const target = sliced.filter((_, k) => !spec.shrink[k]);
        if (target.length !== sliced.length) y = this.node("Reshape", [y], { shape: target }, out);
        this.set(out, y, identity(target.length));
        return;
      }
      default:
        throw new GraphError(
          `unsupported TFLite operator ${name} (inputs: ${ins.map((i) => (i >= 0 ? `"${this.tensor(i).name}"` : "-")).join(", ")})`,
        );
    }
  }

  private sliceSpec(name: string, op: TfliteOperator, shape: number[]): StridedSliceSpec {
    const ins = op.inputs;
    if (name === "SLICE") {
      const begin = this.constInt(ins[1]!);
      const size = this.constInt(ins[2]!);
      return {
        starts: begin,
        ends: begin.map((b2, k) => (size[k]! < 0 ? shape[k]! : b2 + size[k]!)),
        steps: begin.map(() => 1),
        shrink: begin.map(() => false),
      };
    }
    const o = op.options;
    return stridedSliceSpec(shape, this.constInt(ins[1]!), this.constInt(ins[2]!), this.constInt(ins[3]!), {
      begin: o?.int32(0) ?? 0,
      end: o?.int32(1) ?? 0,
      ellipsis: o?.int32(2) ?? 0,
      newAxis: o?.int32(3) ?? 0,
      shrink: o?.int32(4) ?? 0,
    });
  }

  private binaryPerm(a: number, b: number): number[] {
    const ca = this.consts.has(a);
    const cb = this.consts.has(b);
    if (!ca && !cb) {
      const pa = this.val(a).perm;
      const pb = this.val(b).perm;
      return pa.length === pb.length && pa.every((v, k) => v === pb[k])
        ? pa
        : identity(Math.max(pa.length, pb.length));
    }
    if (!ca) return this.rank(a) >= this.rank(b) ? this.val(a).perm : identity(this.rank(b));
    if (!cb) return this.rank(b) >= this.rank(a) ? this.val(b).perm : identity(this.rank(a));
    return identity(Math.max(this.rank(a), this.rank(b)));
  }

  /** Operand of a broadcasting op in layout `perm` (constants of lower rank are expanded first). */
  private asBroadcast(i: number, perm: number[]): string {
    const c = this.consts.get(i);
    if (c && c.shape.length < perm.length) {
      const shape = [...new Array(perm.length - c.shape.length).fill(1), ...c.shape];
      const t = transposeData(tensor(c.dtype, shape, c.data), perm);
      return this.b.addInitializer(this.tensor(i).name, t);
    }
    if (!c && this.rank(i) !== perm.length) return this.as(i, identity(this.rank(i)));
    return this.as(i, perm);
  }

  private unary(name: string, x: string, o: TfliteTable | undefined, out: number): string {
    switch (name) {
      case "RELU":
        return this.node("Relu", [x], {}, out);
      case "RELU6":
        return this.node("Clip", [x], { min: 0, max: 6 }, out);
      case "RELU_N1_TO_1":
        return this.node("Clip", [x], { min: -1, max: 1 }, out);
      case "LEAKY_RELU":
        return this.node("LeakyRelu", [x], { alpha: o?.float32(0) ?? 0 }, out);
      case "LOGISTIC":
        return this.node("Sigmoid", [x], {}, out);
      case "TANH":
        return this.node("Tanh", [x], {}, out);
      case "EXP":
        return this.node("Exp", [x], {}, out);
      case "LOG":
        return this.node("Log", [x], {}, out);
      case "SQRT":
        return this.node("Sqrt", [x], {}, out);
      case "RSQRT": {
        const s = this.b.add("Sqrt", [x], {}, { origin: this.where });
        const one = this.b.addInitializer("one", tensor("float32", [1], [1]));
        return this.node("Div", [one, s], {}, out);
      }
      case "NEG":
        return this.node("Neg", [x], {}, out);
      case "ABS":
        return this.node("Abs", [x], {}, out);
      case "GELU":
        return this.node("Gelu", [x], { approximate: o?.bool(0) ? "tanh" : "none" }, out);
      case "HARD_SWISH": {
        const three = this.b.addInitializer("three", tensor("float32", [1], [3]));
        const sixth = this.b.addInitializer("sixth", tensor("float32", [1], [1 / 6]));
        const s = this.b.add("Add", [x, three], {}, { origin: this.where });
        const c = this.b.add("Clip", [s], { min: 0, max: 6 }, { origin: this.where });
        const m = this.b.add("Mul", [x, c], {}, { origin: this.where });
        return this.node("Mul", [m, sixth], {}, out);
      }
      default:
        // QUANTIZE / DEQUANTIZE of activations: the float model carries real values throughout.
        return this.node("Identity", [x], {}, out);
    }
  }

  /** Evaluates ops whose inputs are all known at import time (shape arithmetic, constant dequantize). */
  private tryFold(name: string, op: TfliteOperator): boolean {
    const ins = op.inputs.filter((i) => i >= 0);
    const out = op.outputs[0]!;
    if (name === "SHAPE") {
      const shape = this.shape(ins[0]!);
      this.consts.set(out, { dtype: "int32", shape: [shape.length], data: Int32Array.from(shape) });
      return true;
    }
    if (!ins.every((i) => this.consts.has(i))) return false;
    const c = ins.map((i) => this.consts.get(i)!);
    const o = op.options;
    const put = (v: ConstVal) => this.consts.set(out, v);
    const elementwise = (fn: (a: number, b: number) => number) => {
      const [a, b2] = [c[0]!, c[1]!];
      const n = Math.max(a.data.length, b2.data.length);
      if (a.data.length !== n && a.data.length !== 1) return false;
      if (b2.data.length !== n && b2.data.length !== 1) return false;
      const dtype = a.dtype === "float32" || b2.dtype === "float32" ? "float32" : "int32";
      const data = dtype === "float32" ? new Float32Array(n) : new Int32Array(n);
      for (let k = 0; k < n; k++)
        data[k] = fn(a.data[a.data.length === 1 ? 0 : k]!, b2.data[b2.data.length === 1 ? 0 : k]!);
      put({ dtype, shape: a.data.length === n ? a.shape : b2.shape, data });
      return true;
    };
    switch (name) {
      case "DEQUANTIZE":
      case "QUANTIZE":
        put({ ...c[0]!, dtype: "float32", data: Float32Array.from(c[0]!.data) });
        return true;
      case "CAST": {
        const to = activationDType(this.tensor(out));
        put({
          dtype: to,
          shape: c[0]!.shape,
          data: to === "float32" ? Float32Array.from(c[0]!.data) : Int32Array.from(c[0]!.data, Math.trunc),
        });
        return true;
      }
      case "MUL":
        return elementwise((a, b2) => a * b2);
      case "ADD":
        return elementwise((a, b2) => a + b2);
      case "SUB":
        return elementwise((a, b2) => a - b2);
      case "DIV":
        return elementwise((a, b2) => a / b2);
      case "FLOOR_DIV":
        return elementwise((a, b2) => Math.floor(a / b2));
      case "STRIDED_SLICE":
      case "SLICE": {
        const x = c[0]!;
        const spec = this.sliceSpec(name, op, x.shape);
        const t = tensor(x.dtype, x.shape, x.data);
        const r = slice(t, spec.starts, spec.ends, spec.steps);
        put({ dtype: x.dtype, shape: r.shape.filter((_, k) => !spec.shrink[k]), data: r.data });
        return true;
      }
      case "CONCATENATION": {
        let axis = o?.int32(0) ?? 0;
        if (axis < 0) axis += c[0]!.shape.length;
        const r = concat(
          c.map((v) => tensor(v.dtype, v.shape, v.data)),
          axis,
        );
        put({ dtype: r.dtype, shape: [...r.shape], data: r.data });
        return true;
      }
      case "PACK": {
        const data = c[0]!.dtype === "float32" ? new Float32Array(c.length) : new Int32Array(c.length);
        if (c.some((v) => v.data.length !== 1)) return false;
        c.forEach((v, k) => {
          data[k] = v.data[0]!;
        });
        put({ dtype: c[0]!.dtype, shape: [c.length], data });
        return true;
      }
      default:
        return false;
    }
  }
}

interface ConvOptions {
  padding: number;
  strideW: number;
  strideH: number;
  dilW: number;
  dilH: number;
  activation: number;
}

/** Conv2DOptions: padding, stride_w, stride_h, fused_activation, dilation_w, dilation_h.
 * DepthwiseConv2DOptions has depth_multiplier at slot 3, shifting activation and dilations. */
function readConvOptions(o: TfliteTable | undefined, depthwise: boolean): ConvOptions {
  const act = depthwise ? 4 : 3;
  return {
    padding: o?.int8(0) ?? 0,
    strideW: o?.int32(1, 1) || 1,
    strideH: o?.int32(2, 1) || 1,
    activation: o?.int8(act) ?? 0,
    dilW: o?.int32(act + 1, 1) || 1,
    dilH: o?.int32(act + 2, 1) || 1,
  };
}

function readReshapeOption(o: TfliteTable | undefined): number[] {
  const v = o?.int32s(0) ?? [];
  if (!v.length) throw new GraphError("RESHAPE has neither a constant shape input nor new_shape");
  return v;
}

function readSqueezeDims(o: TfliteTable | undefined): number[] {
  return o?.int32s(0) ?? [];
}
