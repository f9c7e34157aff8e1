/**
 * Reverse-mode gradients through a float graph, for the ops of the depth CNNs we quantize.
 *
 * Given every forward value (`runGraph(..., { keepAll: true })`) and the gradient of a scalar loss
 * with respect to the single graph output, propagates gradients back to the tensors asked for. Only
 * activation gradients are computed (no weight gradients). Gradients are float32 and flat (the
 * tensor's shape is the value's shape in the graph).
 */

import { defaultGemmBackend, type GemmBackend } from "../exec/float.js";
import { type Conv2dGeometry, conv2dGeometry } from "../exec/kernels/conv-params.js";
import type { ConvTransposeGeometry } from "../exec/kernels/conv-transpose.js";
import { bilinearTaps, nearestIndex } from "../exec/resize.js";
import type { CoordinateTransform, ResizeMode } from "../ir/graph.js";
import { describeNode, type Graph, GraphError, type Node } from "../ir/graph.js";
import { sizeOf, stridesOf, type Tensor } from "../ir/tensor.js";

export interface BackwardOptions {
  backend?: GemmBackend;
  /**
   * Called once per target tensor, as soon as its gradient is complete (in reverse topological
   * order). Targets that get no gradient (not on a path to the output) are reported as zeros.
   */
  onGradient?: (name: string, grad: Float32Array) => void | Promise<void>;
  /** Keep target gradients in the returned map (default true). */
  retain?: boolean;
}

/** The ops `backpropagate` can differentiate through. */
export const DIFFERENTIABLE_OPS: ReadonlySet<string> = new Set([
  "Conv2d",
  "ConvTranspose2d",
  "Relu",
  "LeakyRelu",
  "Clip",
  "Sigmoid",
  "Tanh",
  "Neg",
  "Resize",
  "Concat",
  "Split",
  "Reshape",
  "Identity",
  "Add",
  "Sub",
  "Mul",
]);

/**
 * Gradients of the targets, from `outputGrad` = ∂L/∂(graph output). `values` holds every forward
 * value by name (initializers are read from the graph).
 */
export async function backpropagate(
  graph: Graph,
  values: Readonly<Record<string, Tensor>>,
  outputGrad: Float32Array,
  targets: Iterable<string>,
  opts: BackwardOptions = {},
): Promise<Map<string, Float32Array>> {
  const backend = opts.backend ?? defaultGemmBackend();
  const retain = opts.retain ?? true;
  if (graph.outputs.length !== 1)
    throw new GraphError(`backpropagate needs a single graph output, the graph has ${graph.outputs.length}`);
  const output = graph.outputs[0]!;
  const outInfo = graph.values.get(output)!;
  if (outputGrad.length !== sizeOf(outInfo.shape)) {
    throw new GraphError(
      `output gradient has ${outputGrad.length} elements, output "${output}" has ${sizeOf(outInfo.shape)}`,
    );
  }
  const targetSet = new Set(targets);
  for (const t of targetSet) if (!graph.values.has(t)) throw new GraphError(`unknown target tensor "${t}"`);

  // needed(t): the gradient of t is required to reach a target, i.e. t is a target or downstream of one.
  const needed = new Set<string>(targetSet);
  for (const node of graph.nodes) {
    if (node.inputs.some((i) => i && needed.has(i))) for (const o of node.outputs) needed.add(o);
  }

  const value = (name: string): Tensor => {
    const t = values[name] ?? graph.initializers.get(name);
    if (!t) throw new GraphError(`forward value "${name}" is missing (run the graph with keepAll)`);
    return t;
  };

  const grads = new Map<string, Float32Array>();
  // Buffers we allocated and may add into in place; others are shared with a forward value or another
  // gradient and are copied before accumulation.
  const owned = new Set<Float32Array>();
  const accumulate = (name: string, g: Float32Array, own: boolean) => {
    const prev = grads.get(name);
    if (!prev) {
      grads.set(name, g);
      if (own) owned.add(g);
      return;
    }
    let dst = prev;
    if (!owned.has(prev)) {
      dst = Float32Array.from(prev);
      owned.add(dst);
      grads.set(name, dst);
    }
    for (let i = 0; i < dst.length; i++) dst[i]! += g[i]!;
  };
  accumulate(output, outputGrad, false);

  const result = new Map<string, Float32Array>();
  const finish = async (name: string) => {
    if (!targetSet.has(name)) return;
    const g = grads.get(name) ?? new Float32Array(sizeOf(graph.values.get(name)!.shape));
    if (opts.onGradient) await opts.onGradient(name, g);
    if (retain) result.set(name, g);
  };

  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    for (const o of node.outputs) await finish(o);
    const wantInputs = node.inputs.map((n) => !!n && needed.has(n) && !graph.initializers.has(n));
    const outGrads = node.outputs.map((o) => grads.get(o));
    for (const o of node.outputs) grads.delete(o);
    if (!wantInputs.some(Boolean) || outGrads.every((g) => g === undefined)) continue;
    let inGrads: (Float32Array | undefined)[];
    try {
      inGrads = await backwardNode(node, outGrads, wantInputs, value, graph, backend);
    } catch (e) {
      if (e instanceof GraphError) throw e;
      throw new GraphError((e as Error).message, describeNode(node));
    }
    for (const [k, g] of inGrads.entries()) {
      const name = node.inputs[k];
      if (g && name && wantInputs[k]) accumulate(name, g, true);
    }
  }
  for (const inp of graph.inputs) await finish(inp);
  return result;
}

type Lookup = (name: string) => Tensor;

async function backwardNode(
  node: Node,
  outGrads: readonly (Float32Array | undefined)[],
  want: readonly boolean[],
  value: Lookup,
  graph: Graph,
  backend: GemmBackend,
): Promise<(Float32Array | undefined)[]> {
  const shapeOf = (name: string) => graph.values.get(name)!.shape;
  const zerosFor = (name: string) => new Float32Array(sizeOf(shapeOf(name)));
  const dy = outGrads[0] ?? zerosFor(node.outputs[0]!);
  switch (node.op) {
    case "Conv2d": {
      if (!want[0]) return [];
      const x = value(node.inputs[0]!);
      const w = value(node.inputs[1]!);
      const geo = conv2dGeometry(x.shape, w.shape, node.attrs);
      return [await conv2dInputGradient(dy, w.data as Float32Array, geo, backend)];
    }
    case "ConvTranspose2d": {
      if (!want[0]) return [];
      const x = value(node.inputs[0]!);
      const w = value(node.inputs[1]!);
      const [n, c, h, wd] = x.shape as [number, number, number, number];
      const [, og, kh, kw] = w.shape as [number, number, number, number];
      const [, , oh, ow] = shapeOf(node.outputs[0]!) as [number, number, number, number];
      const { strides, pads, group } = node.attrs;
      // dx[c][iy] = Σ W[c][o][ky][kx]·dy[o][iy·s − pad + ky]: a convolution of dy whose OIHW weights are W.
      const geo: Conv2dGeometry = {
        n,
        c: og * group,
        h: oh,
        w: ow,
        o: c,
        kh,
        kw,
        strideH: strides[0],
        strideW: strides[1],
        padTop: pads[0],
        padLeft: pads[1],
        dilationH: 1,
        dilationW: 1,
        group,
        oh: h,
        ow: wd,
      };
      return [await backend.conv2d(dy, w.data as Float32Array, undefined, geo)];
    }
    case "Relu": {
      const x = value(node.inputs[0]!).data;
      const dx = new Float32Array(dy.length);
      for (let i = 0; i < dx.length; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
      return [dx];
    }
    case "LeakyRelu": {
      const x = value(node.inputs[0]!).data;
      const alpha = node.attrs.alpha;
      const dx = new Float32Array(dy.length);
      for (let i = 0; i < dx.length; i++) dx[i] = x[i]! > 0 ? dy[i]! : dy[i]! * alpha;
      return [dx];
    }
    case "Clip": {
      const x = value(node.inputs[0]!).data;
      const { min, max } = node.attrs;
      const dx = new Float32Array(dy.length);
      for (let i = 0; i < dx.length; i++) dx[i] = x[i]! > min && x[i]! < max ? dy[i]! : 0;
      return [dx];
    }
    case "Sigmoid": {
      const y = value(node.outputs[0]!).data;
      const dx = new Float32Array(dy.length);
      for (let i = 0; i < dx.length; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
      return [dx];
    }
    case "Tanh": {
      const y = value(node.outputs[0]!).data;
      const dx = new Float32Array(dy.length);
      for (let i = 0; i < dx.length; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
      return [dx];
    }
    case "Neg":
      return [dy.map((v) => -v)];
    case "Resize": {
      const x = value(node.inputs[0]!);
      return [resizeAdjoint(dy, x.shape, node.attrs.mode, node.attrs.coordinateTransform, node.attrs.size)];
    }
    case "Concat":
      return splitGradient(
        dy,
        shapeOf(node.outputs[0]!),
        node.inputs.map((n) => shapeOf(n)),
        node.attrs.axis,
      );
    case "Split": {
      const outShapes = node.outputs.map((o) => shapeOf(o));
      const parts = outGrads.map((g, k) => g ?? new Float32Array(sizeOf(outShapes[k]!)));
      return [concatGradient(parts, outShapes, shapeOf(node.inputs[0]!), node.attrs.axis)];
    }
    case "Reshape":
    case "Identity":
      // Shared buffer: the caller copies before accumulating into it.
      return [Float32Array.from(dy)];
    case "Add":
    case "Sub":
    case "Mul": {
      const outShape = shapeOf(node.outputs[0]!);
      const [an, bn] = [node.inputs[0]!, node.inputs[1]!];
      const res: (Float32Array | undefined)[] = [undefined, undefined];
      if (want[0]) {
        res[0] =
          node.op === "Mul"
            ? reduceBroadcast(dy, outShape, shapeOf(an), value(bn))
            : reduceBroadcast(dy, outShape, shapeOf(an));
      }
      if (want[1]) {
        const g =
          node.op === "Mul"
            ? reduceBroadcast(dy, outShape, shapeOf(bn), value(an))
            : reduceBroadcast(dy, outShape, shapeOf(bn));
        if (node.op === "Sub") for (let i = 0; i < g.length; i++) g[i] = -g[i]!;
        res[1] = g;
      }
      return res;
    }
    default:
      throw new GraphError(
        `no backward pass for op ${node.op} (differentiable: ${[...DIFFERENTIABLE_OPS].join(", ")})`,
        describeNode(node),
      );
  }
}

/**
 * ∂L/∂x of a convolution from ∂L/∂y: the transposed convolution with the same weights. With the
 * conv's output as the transposed conv's input, an input pixel iy is reached from output pixel oy via
 * tap ky exactly when iy = oy·stride − padTop + ky·dilation, which is the transposed kernel's rule
 * with the conv's top/left padding; bottom/right padding and floor truncation are implied by
 * cropping to the conv's input size. OIHW conv weights (O × C/group × kh × kw) are already the
 * transposed kernel's C_in × O_out/group × kh × kw layout, so grouped convs need no reshuffle.
 */
export async function conv2dInputGradient(
  dy: Float32Array,
  w: Float32Array,
  g: Conv2dGeometry,
  backend: GemmBackend,
): Promise<Float32Array> {
  const geo: ConvTransposeGeometry = {
    n: g.n,
    c: g.o,
    h: g.oh,
    w: g.ow,
    o: g.c,
    kh: g.kh,
    kw: g.kw,
    strideH: g.strideH,
    strideW: g.strideW,
    padTop: g.padTop,
    padLeft: g.padLeft,
    dilationH: g.dilationH,
    dilationW: g.dilationW,
    group: g.group,
    oh: g.h,
    ow: g.w,
  };
  return backend.convTranspose2d(dy, w, undefined, geo);
}

/** The same gradient as {@link conv2dInputGradient} by direct loops (reference for tests). */
export function conv2dInputGradientLoop(dy: Float32Array, w: Float32Array, g: Conv2dGeometry): Float32Array {
  const dx = new Float32Array(g.n * g.c * g.h * g.w);
  const cg = g.c / g.group;
  const og = g.o / g.group;
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < g.o; o++) {
      const gi = Math.floor(o / og);
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          const d = dy[((n * g.o + o) * g.oh + oy) * g.ow + ox]!;
          if (d === 0) continue;
          for (let ci = 0; ci < cg; ci++) {
            const c = gi * cg + ci;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
                if (ix < 0 || ix >= g.w) continue;
                dx[((n * g.c + c) * g.h + iy) * g.w + ix]! += d * w[((o * cg + ci) * g.kh + ky) * g.kw + kx]!;
              }
            }
          }
        }
      }
    }
  }
  return dx;
}

/** Adjoint of `resize`: every output gradient is scattered back with its interpolation weights. */
export function resizeAdjoint(
  dy: Float32Array,
  inShape: readonly number[],
  mode: ResizeMode,
  ct: CoordinateTransform,
  size: readonly [number, number],
): Float32Array {
  const [n, c, h, w] = inShape as [number, number, number, number];
  const [oh, ow] = size;
  const dx = new Float32Array(n * c * h * w);
  if (mode === "nearest") {
    const near = (o: number, inSize: number, outSize: number) => nearestIndex(o, inSize, outSize, ct);
    const rows = Int32Array.from({ length: oh }, (_, o) => near(o, h, oh));
    const cols = Int32Array.from({ length: ow }, (_, o) => near(o, w, ow));
    for (let p = 0; p < n * c; p++) {
      for (let y = 0; y < oh; y++) {
        const rowBase = p * h * w + rows[y]! * w;
        const outBase = (p * oh + y) * ow;
        for (let xo = 0; xo < ow; xo++) dx[rowBase + cols[xo]!]! += dy[outBase + xo]!;
      }
    }
    return dx;
  }
  const ty = bilinearTaps(h, oh, ct);
  const tx = bilinearTaps(w, ow, ct);
  for (let p = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let y = 0; y < oh; y++) {
      const r0 = plane + ty.lo[y]! * w;
      const r1 = plane + ty.hi[y]! * w;
      const fy = ty.frac[y]!;
      const outBase = (p * oh + y) * ow;
      for (let xo = 0; xo < ow; xo++) {
        const g = dy[outBase + xo]!;
        const x0 = tx.lo[xo]!;
        const x1 = tx.hi[xo]!;
        const fx = tx.frac[xo]!;
        const top = g * (1 - fy);
        const bot = g * fy;
        dx[r0 + x0]! += top * (1 - fx);
        dx[r0 + x1]! += top * fx;
        dx[r1 + x0]! += bot * (1 - fx);
        dx[r1 + x1]! += bot * fx;
      }
    }
  }
  return dx;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Splits the gradient of a concatenation into its inputs' gradients. */
function splitGradient(
  dy: Float32Array,
  outShape: readonly number[],
  inShapes: readonly (readonly number[])[],
  axisIn: number,
): Float32Array[] {
  const axis = normAxis(axisIn, outShape.length);
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const total = outShape[axis]! * inner;
  let offset = 0;
  return inShapes.map((s) => {
    const len = s[axis]! * inner;
    const g = new Float32Array(outer * len);
    for (let o = 0; o < outer; o++) g.set(dy.subarray(o * total + offset, o * total + offset + len), o * len);
    offset += len;
    return g;
  });
}

/** Joins the gradients of a split's outputs into the gradient of its input. */
function concatGradient(
  parts: readonly Float32Array[],
  partShapes: readonly (readonly number[])[],
  inShape: readonly number[],
  axisIn: number,
): Float32Array {
  const axis = normAxis(axisIn, inShape.length);
  const outer = sizeOf(inShape.slice(0, axis));
  const inner = sizeOf(inShape.slice(axis + 1));
  const total = inShape[axis]! * inner;
  const dx = new Float32Array(sizeOf(inShape));
  let offset = 0;
  parts.forEach((g, k) => {
    const len = partShapes[k]![axis]! * inner;
    for (let o = 0; o < outer; o++) dx.set(g.subarray(o * len, (o + 1) * len), o * total + offset);
    offset += len;
  });
  return dx;
}

/**
 * Σ over the broadcast dims of dy (· other, for Mul), shaped like an operand of shape `inShape`
 * broadcast to `outShape` (numpy rules).
 */
function reduceBroadcast(
  dy: Float32Array,
  outShape: readonly number[],
  inShape: readonly number[],
  other?: Tensor,
): Float32Array {
  const rank = outShape.length;
  const same = (s: readonly number[]) => s.length === rank && s.every((d, i) => d === outShape[i]);
  if (same(inShape) && (!other || same(other.shape))) {
    if (!other) return Float32Array.from(dy);
    const od = other.data;
    const g = new Float32Array(dy.length);
    for (let i = 0; i < g.length; i++) g[i] = dy[i]! * od[i]!;
    return g;
  }
  const bstrides = (s: readonly number[]) => {
    const st = stridesOf(s);
    const lead = rank - s.length;
    return outShape.map((_, i) => (i < lead || s[i - lead] === 1 ? 0 : st[i - lead]!));
  };
  const sIn = bstrides(inShape);
  const sOther = other ? bstrides(other.shape) : undefined;
  const od = other?.data;
  const g = new Float32Array(sizeOf(inShape));
  const idx = new Array<number>(rank).fill(0);
  let pIn = 0;
  let pOther = 0;
  for (let i = 0; i < dy.length; i++) {
    g[pIn]! += od ? dy[i]! * od[pOther]! : dy[i]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      pIn += sIn[d]!;
      if (sOther) pOther += sOther[d]!;
      if (idx[d]! < outShape[d]!) break;
      pIn -= sIn[d]! * outShape[d]!;
      if (sOther) pOther -= sOther[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return g;
}
