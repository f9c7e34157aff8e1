/**
 * Constant folding at import time. The IR has static shapes only, so the shape arithmetic exporters
 * emit (Shape → Gather → Unsqueeze → Concat → Reshape, Slice bounds, Resize sizes...) must be
 * evaluated here. Folding also covers cheap elementwise math on constants (weight preprocessing).
 */
import { GraphError } from "../ir/graph.js";
import { broadcastShapes, formatShape, sizeOf, stridesOf } from "../ir/tensor.js";
import type { OnnxAttributes } from "./onnx-attrs.js";
import {
  type ConstKind,
  type ConstTensor,
  constInts,
  constScalar,
  kindOfDataType,
  makeConst,
} from "./onnx-const.js";
import { OnnxDataType } from "./onnx-schema.js";
import {
  flattenTarget,
  gatherIndices,
  normAxes,
  normAxis,
  reshapeTarget,
  sliceShape,
  sliceSpec,
  squeezeTarget,
  unsqueezeTarget,
} from "./onnx-shape-math.js";

/** What the folder knows about one input: its shape always, its value when constant. */
export interface FoldArg {
  readonly shape: readonly number[];
  readonly dataType: number;
  readonly value?: ConstTensor;
}

export interface FoldRequest {
  readonly op: string;
  readonly opset: number;
  /** Undefined entries are absent optional inputs. */
  readonly inputs: readonly (FoldArg | undefined)[];
  readonly attrs: OnnxAttributes;
  readonly outputCount: number;
}

function withData(c: ConstTensor, shape: readonly number[], data: Float32Array | Float64Array): ConstTensor {
  return { kind: c.kind, dataType: c.dataType, shape: [...shape], data };
}

function sameKindArray(c: ConstTensor, n: number): Float32Array | Float64Array {
  return c.kind === "float" ? new Float32Array(n) : new Float64Array(n);
}

/** Maps each flat index of `out` to the flat index of a tensor of `shape` broadcast into it. */
function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const idx = new Int32Array(n);
  if (sizeOf(shape) === n) {
    for (let i = 0; i < n; i++) idx[i] = i;
    return idx;
  }
  if (sizeOf(shape) === 1) return idx;
  const own = stridesOf(shape);
  const lead = out.length - shape.length;
  const strides = out.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]!));
  const outStrides = stridesOf(out);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let p = 0;
    for (let d = 0; d < out.length; d++) {
      const q = Math.floor(rem / outStrides[d]!);
      rem -= q * outStrides[d]!;
      p += q * strides[d]!;
    }
    idx[i] = p;
  }
  return idx;
}

function mapN(
  args: readonly ConstTensor[],
  kind: ConstKind,
  dataType: number,
  fn: (...v: number[]) => number,
): ConstTensor {
  const shape = args.reduce<number[]>((s, a) => broadcastShapes(s, a.shape), []);
  const n = sizeOf(shape);
  const maps = args.map((a) => broadcastIndex(a.shape, shape));
  const out = kind === "float" ? new Float32Array(n) : new Float64Array(n);
  const vals = new Array<number>(args.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < args.length; k++) vals[k] = args[k]!.data[maps[k]![i]!]!;
    out[i] = fn(...vals);
  }
  return { kind, dataType, shape, data: out };
}

const BINARY: Readonly<Record<string, (a: number, b: number, int: boolean) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b, int) => (int ? Math.trunc(a / b) : a / b),
  Pow: (a, b) => a ** b,
};

const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  Equal: (a, b) => a === b,
  Less: (a, b) => a < b,
  Greater: (a, b) => a > b,
  LessOrEqual: (a, b) => a <= b,
  GreaterOrEqual: (a, b) => a >= b,
  And: (a, b) => a !== 0 && b !== 0,
  Or: (a, b) => a !== 0 || b !== 0,
  Xor: (a, b) => (a !== 0) !== (b !== 0),
};

const UNARY: Readonly<Record<string, (a: number) => number>> = {
  Neg: (a) => -a,
  Abs: Math.abs,
  Sqrt: Math.sqrt,
  Reciprocal: (a) => 1 / a,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Exp: Math.exp,
  Log: Math.log,
  Relu: (a) => Math.max(a, 0),
  Sign: Math.sign,
};

/** ONNX Expand of a constant: broadcast against `shape` (numpy rules, either side may grow). */
export function expandConst(c: ConstTensor, shape: readonly number[]): ConstTensor {
  const zeros = makeConst(c.kind, shape, new Array<number>(sizeOf(shape)).fill(0));
  return mapN([c, zeros], c.kind, c.dataType, (a) => a);
}

export function transposeConst(c: ConstTensor, perm: readonly number[]): ConstTensor {
  const rank = c.shape.length;
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw new GraphError(`Transpose perm [${perm}] does not fit shape ${formatShape(c.shape)}`);
  }
  const shape = perm.map((p) => c.shape[p]!);
  const inStrides = stridesOf(c.shape);
  const permStrides = perm.map((p) => inStrides[p]!);
  const n = c.data.length;
  const out = sameKindArray(c, n);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let p = 0;
    for (let d = 0; d < rank; d++) p += idx[d]! * permStrides[d]!;
    out[o] = c.data[p]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return withData(c, shape, out);
}

function gatherConst(c: ConstTensor, indices: ConstTensor, axis: number): ConstTensor {
  const a = normAxis(axis, c.shape.length, "Gather axis");
  const dim = c.shape[a]!;
  const idx = gatherIndices(constInts(indices, "Gather indices"), dim);

  const outer = sizeOf(c.shape.slice(0, a));
  const inner = sizeOf(c.shape.slice(a + 1));
  const shape = [...c.shape.slice(0, a), ...indices.shape, ...c.shape.slice(a + 1)];
  const out = sameKindArray(c, outer * idx.length * inner);
  let o = 0;
  for (let p = 0; p < outer; p++) {
    for (const j of idx) {
      const base = (p * dim + j) * inner;
      for (let q = 0; q < inner; q++) out[o++] = c.data[base + q]!;
    }
  }
  return withData(c, shape, out);
}

function sliceConst(c: ConstTensor, spec: ReturnType<typeof sliceSpec>): ConstTensor {
  const shape = sliceShape(spec);
  const n = sizeOf(shape);
  const out = sameKindArray(c, n);
  const strides = stridesOf(c.shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let p = 0;
    for (let d = 0; d < rank; d++) p += (spec.starts[d]! + idx[d]! * spec.steps[d]!) * strides[d]!;
    out[o] = c.data[p]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return withData(c, shape, out);
}

function concatConst(parts: readonly ConstTensor[], axis: number): ConstTensor {
  const first = parts[0]!;
  const rank = first.shape.length;
  const a = normAxis(axis, rank, "Concat axis");
  for (const p of parts) {
    if (p.shape.length !== rank || p.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new GraphError(
        `Concat inputs ${formatShape(first.shape)} and ${formatShape(p.shape)} differ off axis ${a}`,
      );
    }
  }
  const shape = [...first.shape];
  shape[a] = parts.reduce((s, p) => s + p.shape[a]!, 0);
  const outer = sizeOf(first.shape.slice(0, a));
  const kind = parts.some((p) => p.kind === "float") ? "float" : first.kind;
  const out = kind === "float" ? new Float32Array(sizeOf(shape)) : new Float64Array(sizeOf(shape));
  let o = 0;
  for (let q = 0; q < outer; q++) {
    for (const p of parts) {
      const chunk = sizeOf(p.shape.slice(a));
      out.set(p.data.subarray(q * chunk, (q + 1) * chunk), o);
      o += chunk;
    }
  }
  return { kind, dataType: first.dataType, shape, data: out };
}

function castConst(c: ConstTensor, to: number): ConstTensor {
  const kind = kindOfDataType(to, "Cast target");
  const n = c.data.length;
  if (kind === "float") return { kind, dataType: to, shape: c.shape, data: Float32Array.from(c.data) };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = c.data[i]!;
    out[i] = kind === "bool" ? (v !== 0 ? 1 : 0) : Number.isFinite(v) ? Math.trunc(v) : v;
  }
  return { kind, dataType: to, shape: c.shape, data: out };
}

function axesFrom(req: FoldRequest, inputIndex: number, attrOpsetBelow: number): number[] | undefined {
  if (req.opset < attrOpsetBelow) return req.attrs.ints("axes");
  const v = req.inputs[inputIndex]?.value;
  return v ? constInts(v, "axes") : undefined;
}

/**
 * The outputs of a node whose inputs are all known, or undefined when the op is not one the folder
 * evaluates (the caller then emits it as a runtime node).
 */
export function foldNode(req: FoldRequest): ConstTensor[] | undefined {
  const { op, attrs, inputs } = req;
  const present = inputs.filter((i): i is FoldArg => i !== undefined);
  if (op === "Shape") {
    const x = inputs[0];
    if (!x) return undefined;
    const rank = x.shape.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const dims = x.shape.slice(clamp(attrs.int("start", 0)), clamp(attrs.int("end", rank)));
    return [makeConst("int", [dims.length], dims)];
  }
  if (op === "Size") {
    const x = inputs[0];
    return x ? [makeConst("int", [], [sizeOf(x.shape)])] : undefined;
  }
  if (op === "ConstantOfShape") {
    const shapeArg = inputs[0]?.value;
    if (!shapeArg) return undefined;
    const shape = constInts(shapeArg, "ConstantOfShape shape");
    const v = attrs.tensor("value");
    const proto = v ?? makeConst("float", [1], [0]);
    const fill = constScalar(proto, "ConstantOfShape value");
    const data = proto.kind === "float" ? new Float32Array(sizeOf(shape)) : new Float64Array(sizeOf(shape));
    data.fill(fill);
    return [{ kind: proto.kind, dataType: proto.dataType, shape, data }];
  }
  if (present.some((i) => !i.value)) return undefined;
  const vals = inputs.map((i) => i?.value);
  const x = vals[0];
  if (!x) return undefined;
  if (op in BINARY) {
    const y = vals[1]!;
    const int = x.kind !== "float" && y.kind !== "float";
    const fn = BINARY[op]!;
    return [mapN([x, y], int ? "int" : "float", x.dataType, (a, b) => fn(a, b, int))];
  }
  if (op in COMPARE) {
    const fn = COMPARE[op]!;
    return [mapN([x, vals[1]!], "bool", OnnxDataType.BOOL, (a, b) => (fn(a, b) ? 1 : 0))];
  }
  if (op in UNARY) {
    if (x.kind !== "float" && (op === "Sqrt" || op === "Exp" || op === "Log" || op === "Reciprocal"))
      return undefined;
    return [mapN([x], x.kind, x.dataType, UNARY[op]!)];
  }
  switch (op) {
    case "Identity":
      return [x];
    case "Dropout":
      return req.outputCount === 1 ? [x] : undefined;
    case "Not":
      return [mapN([x], "bool", OnnxDataType.BOOL, (a) => (a === 0 ? 1 : 0))];
    case "Max":
    case "Min": {
      const fn = op === "Max" ? Math.max : Math.min;
      return [mapN(vals as ConstTensor[], x.kind, x.dataType, fn)];
    }
    case "Mod": {
      const fmod = attrs.int("fmod", 0) === 1;
      return [
        mapN([x, vals[1]!], x.kind, x.dataType, (a, b) => {
          const r = a % b;
          return fmod || r === 0 || Math.sign(r) === Math.sign(b) ? r : r + b;
        }),
      ];
    }
    case "Cast":
      return [castConst(x, attrs.int("to", OnnxDataType.FLOAT))];
    case "Reshape": {
      const spec = req.opset < 5 ? attrs.ints("shape", []) : constInts(vals[1]!, "Reshape shape");
      return [withData(x, reshapeTarget(x.shape, spec, attrs.int("allowzero", 0) === 1), x.data)];
    }
    case "Flatten":
      return [withData(x, flattenTarget(x.shape, attrs.int("axis", 1)), x.data)];
    case "Squeeze":
      return [withData(x, squeezeTarget(x.shape, axesFrom(req, 1, 13)), x.data)];
    case "Unsqueeze": {
      const axes = axesFrom(req, 1, 13);
      if (!axes) throw new GraphError("Unsqueeze needs axes");
      return [withData(x, unsqueezeTarget(x.shape, axes), x.data)];
    }
    case "Concat":
      return [
        concatConst(
          vals.filter((v): v is ConstTensor => v !== undefined),
          attrs.int("axis", 0),
        ),
      ];
    case "Gather":
      return [gatherConst(x, vals[1]!, attrs.int("axis", 0))];
    case "Transpose":
      return [
        transposeConst(
          x,
          attrs.ints(
            "perm",
            x.shape.map((_, i) => x.shape.length - 1 - i),
          ),
        ),
      ];
    case "Slice": {
      const spec =
        req.opset < 10
          ? sliceSpec(
              x.shape,
              attrs.ints("starts", []),
              attrs.ints("ends", []),
              attrs.ints("axes"),
              undefined,
            )
          : sliceSpec(
              x.shape,
              constInts(vals[1]!, "Slice starts"),
              constInts(vals[2]!, "Slice ends"),
              vals[3] ? constInts(vals[3], "Slice axes") : undefined,
              vals[4] ? constInts(vals[4], "Slice steps") : undefined,
            );
      return [sliceConst(x, spec)];
    }
    case "Expand":
      return [expandConst(x, constInts(vals[1]!, "Expand shape"))];
    case "Where":
      return [
        mapN([x, vals[1]!, vals[2]!], vals[1]!.kind, vals[1]!.dataType, (c, a, b) => (c !== 0 ? a : b)),
      ];
    case "Range": {
      const start = constScalar(x, "Range start");
      const limit = constScalar(vals[1]!, "Range limit");
      const delta = constScalar(vals[2]!, "Range delta");
      if (delta === 0) throw new GraphError("Range delta is 0");
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      return [
        makeConst(
          x.kind,
          [n],
          Array.from({ length: n }, (_, i) => start + i * delta),
          x.dataType,
        ),
      ];
    }
    case "ReduceProd":
    case "ReduceSum": {
      // Only the whole-tensor form shows up in shape math (numel); others are emitted at runtime.
      const axes = axesFrom(req, 1, op === "ReduceSum" ? 13 : 18);
      if (axes && axes.length > 0 && normAxes(axes, x.shape.length).length !== x.shape.length)
        return undefined;
      const keep = attrs.int("keepdims", 1) === 1;
      const acc = Array.from(x.data).reduce(
        (p, v) => (op === "ReduceProd" ? p * v : p + v),
        op === "ReduceProd" ? 1 : 0,
      );
      return [makeConst(x.kind, keep ? x.shape.map(() => 1) : [], [acc], x.dataType)];
    }
    default:
      return undefined;
  }
}
