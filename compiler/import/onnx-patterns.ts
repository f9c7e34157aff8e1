/**
 * Recognizes the decomposed LayerNorm and Gelu that exporters emit for older opsets and turns them back
 * into single IR ops, which the quantizer and the accelerator's vector unit handle as one step.
 * A pattern only matches when none of its intermediates is read elsewhere.
 */
import { sizeOf } from "../ir/tensor.js";
import { type ConstTensor, constInts, floatConst } from "./onnx-const.js";
import type { OnnxImportContext, OnnxNodeView } from "./onnx-context.js";
import { expandConst } from "./onnx-fold.js";
import { normAxes } from "./onnx-shape-math.js";

interface UseOf {
  node: OnnxNodeView;
  slot: number;
}

function soleUser(ctx: OnnxImportContext, value: string, op?: string): UseOf | undefined {
  const use = ctx.soleUse(value);
  if (!use || ctx.consumed.has(use.node)) return undefined;
  const node = ctx.view(use.node);
  if (op && node.opType !== op) return undefined;
  return { node, slot: use.slot };
}

/** The constant on the other side of a binary node, if any. */
function otherConst(ctx: OnnxImportContext, u: UseOf): ConstTensor | undefined {
  const name = u.node.inputs[1 - u.slot];
  return name ? ctx.constOf(name) : undefined;
}

function scalarNear(c: ConstTensor | undefined, want: number, tol = 1e-4): boolean {
  return !!c && c.data.length === 1 && Math.abs(c.data[0]! - want) <= tol * Math.abs(want);
}

function reduceMeanAxes(ctx: OnnxImportContext, node: OnnxNodeView, rank: number): number[] | undefined {
  if (node.attrs.int("keepdims", 1) !== 1) return undefined;
  let axes: number[] | undefined;
  if (ctx.opset < 18) axes = node.attrs.ints("axes");
  else if (node.inputs[1]) {
    const c = ctx.constOf(node.inputs[1]);
    if (!c) return undefined;
    axes = constInts(c, "axes");
  }
  if (!axes || axes.length === 0) return undefined;
  try {
    return normAxes(axes, rank).sort((a, b) => a - b);
  } catch {
    return undefined;
  }
}

/** Broadcasts a constant to exactly `shape` when it only varies along those trailing dims. */
function expandTrailing(c: ConstTensor, shape: readonly number[]): ConstTensor | undefined {
  const dims = [...c.shape];
  while (dims.length > shape.length && dims[0] === 1) dims.shift();
  if (dims.length > shape.length) return undefined;
  const aligned = dims.map((d, i) => [d, shape[shape.length - dims.length + i]!] as const);
  if (aligned.some(([d, want]) => d !== 1 && d !== want)) return undefined;
  return expandConst({ ...c, shape: dims }, shape);
}

/**
 * ReduceMean(x) → Sub(x, mean) → Pow(d, 2) | Mul(d, d) → ReduceMean → Add(eps) → Sqrt → Div(d, ·)
 * [→ Mul(γ) [→ Add(β)]] over trailing axes becomes one LayerNorm.
 */
export function matchLayerNorm(ctx: OnnxImportContext, rm: OnnxNodeView): boolean {
  const xName = rm.inputs[0];
  if (!xName) return false;
  const xv = ctx.get(xName, rm.where);
  if (xv.kind !== "runtime") return false;
  const shape = ctx.shapeOfValue(xv);
  const axes = reduceMeanAxes(ctx, rm, shape.length);
  if (!axes || axes.some((a, i) => a !== shape.length - axes.length + i)) return false;
  const sub = soleUser(ctx, rm.outputs[0]!, "Sub");
  if (sub?.slot !== 1 || sub.node.inputs[0] !== xName) return false;
  const d = sub.node.outputs[0]!;
  const userIndices = new Set((ctx.uses.get(d) ?? []).map((u) => u.node));
  if (userIndices.size !== 2 || ctx.graphOutputs.has(d)) return false;
  const users = [...userIndices].map((i) => ctx.view(i));
  const square = users.find(
    (v) =>
      (v.opType === "Pow" && v.inputs[0] === d && scalarNear(ctx.constOf(v.inputs[1] ?? ""), 2, 0)) ||
      (v.opType === "Mul" && v.inputs[0] === d && v.inputs[1] === d),
  );
  const div = users.find((v) => v.opType === "Div" && v.inputs[0] === d && v.inputs[1] !== d);
  if (!square || !div) return false;
  const rm2 = soleUser(ctx, square.outputs[0]!, "ReduceMean");
  if (!rm2) return false;
  const axes2 = reduceMeanAxes(ctx, rm2.node, shape.length);
  if (!axes2 || axes2.join() !== axes.join()) return false;
  const addEps = soleUser(ctx, rm2.node.outputs[0]!, "Add");
  const eps = addEps && otherConst(ctx, addEps);
  if (!addEps || !eps || eps.kind !== "float" || eps.data.length !== 1) return false;
  const sqrt = soleUser(ctx, addEps.node.outputs[0]!, "Sqrt");
  if (!sqrt) return false;
  const div2 = soleUser(ctx, sqrt.node.outputs[0]!, "Div");
  if (!div2 || div2.node.index !== div.index || div2.slot !== 1) return false;
  const matched = [sub.node, square, rm2.node, addEps.node, sqrt.node, div];
  let last = div;
  const normShape = shape.slice(shape.length - axes.length);
  let gamma: ConstTensor | undefined;
  let beta: ConstTensor | undefined;
  const mul = soleUser(ctx, last.outputs[0]!, "Mul");
  const g = mul && otherConst(ctx, mul);
  if (mul && g && g.kind === "float") {
    gamma = expandTrailing(g, normShape);
    if (gamma) {
      matched.push(mul.node);
      last = mul.node;
      const add = soleUser(ctx, last.outputs[0]!, "Add");
      const b = add && otherConst(ctx, add);
      if (add && b && b.kind === "float") {
        beta = expandTrailing(b, normShape);
        if (beta) {
          matched.push(add.node);
          last = add.node;
        }
      }
    }
  }
  const x = ctx.irName(xv, xName);
  const scale = ctx.constant(
    gamma ?? floatConst(normShape, new Array<number>(sizeOf(normShape)).fill(1)),
    `${rm.name}/ln_scale`,
  );
  const inputs = [x, scale];
  if (beta) inputs.push(ctx.constant(beta, `${rm.name}/ln_bias`));
  for (const m of matched) ctx.consumed.add(m.index);
  const target: OnnxNodeView = {
    ...rm,
    outputs: last.outputs,
    where: `${rm.where}..#${last.index} (decomposed LayerNorm)`,
  };
  ctx.emit(
    target,
    "LayerNorm",
    inputs,
    { axis: shape.length - axes.length, epsilon: eps.data[0]! },
    { output: 0 },
  );
  return true;
}

/**
 * x / √2 (or x · 1/√2) → Erf → Add(1) → Mul(x, ·) → Mul(0.5) — PyTorch's exact Gelu before opset 20 —
 * becomes one Gelu. The variant that multiplies x by 0.5 first is accepted too.
 */
export function matchGelu(ctx: OnnxImportContext, scaleNode: OnnxNodeView): boolean {
  const xName = scaleNode.inputs[0];
  if (!xName || !scaleNode.inputs[1]) return false;
  const c = ctx.constOf(scaleNode.inputs[1]);
  const ok = scaleNode.opType === "Div" ? scalarNear(c, Math.SQRT2) : scalarNear(c, Math.SQRT1_2);
  if (!ok) return false;
  const xv = ctx.get(xName, scaleNode.where);
  if (xv.kind !== "runtime") return false;
  const erf = soleUser(ctx, scaleNode.outputs[0]!, "Erf");
  if (!erf) return false;
  const add = soleUser(ctx, erf.node.outputs[0]!, "Add");
  if (!add || !scalarNear(otherConst(ctx, add), 1)) return false;
  const mul = soleUser(ctx, add.node.outputs[0]!, "Mul");
  if (!mul) return false;
  const other = mul.node.inputs[1 - mul.slot]!;
  const matched = [erf.node, add.node, mul.node];
  let last = mul.node;
  if (other === xName) {
    const half = soleUser(ctx, mul.node.outputs[0]!, "Mul");
    if (!half || !scalarNear(otherConst(ctx, half), 0.5)) return false;
    matched.push(half.node);
    last = half.node;
  } else {
    // Mul(Mul(x, 0.5), 1 + erf): the halving node ran already and is pruned once unused.
    const producer = ctx.nodes.findIndex((n) => (n.output ?? []).includes(other));
    const p = producer >= 0 ? ctx.view(producer) : undefined;
    if (p?.opType !== "Mul" || !p.inputs.includes(xName)) return false;
    const halfConst = ctx.constOf(p.inputs[p.inputs[0] === xName ? 1 : 0]!);
    if (!scalarNear(halfConst, 0.5) || (ctx.uses.get(other)?.length ?? 0) !== 1) return false;
  }
  for (const m of matched) ctx.consumed.add(m.index);
  const target: OnnxNodeView = {
    ...scaleNode,
    outputs: last.outputs,
    where: `${scaleNode.where}..#${last.index} (decomposed Gelu)`,
  };
  ctx.emit(target, "Gelu", [ctx.irName(xv, xName)], { approximate: "none" }, { output: 0 });
  return true;
}

/** Tries the patterns that start at `node`; true when it (and the rest of the pattern) was converted. */
export function matchPatterns(ctx: OnnxImportContext, node: OnnxNodeView): boolean {
  if (node.opType === "ReduceMean") return matchLayerNorm(ctx, node);
  if (node.opType === "Div" || node.opType === "Mul") return matchGelu(ctx, node);
  return false;
}
