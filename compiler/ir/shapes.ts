/** Static shape and dtype inference for every IR operator. */
import { GraphError, type Node, type ValueInfo } from "./graph.js";
import { broadcastShapes, type DType, formatShape, sizeOf } from "./tensor.js";

function need(cond: boolean, msg: string): void {
  if (!cond) throw new GraphError(msg);
}

export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  need(a >= 0 && a < rank, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function convOutSize(
  inSize: number,
  k: number,
  stride: number,
  padA: number,
  padB: number,
  dil: number,
) {
  return Math.floor((inSize + padA + padB - dil * (k - 1) - 1) / stride) + 1;
}

function reduceShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const set = new Set(axes.map((a) => normalizeAxis(a, shape.length)));
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (set.has(i)) {
      if (keepDims) out.push(1);
    } else out.push(d);
  });
  return out;
}

/** Output value infos of `node` given its input infos (missing optional inputs are undefined). */
export function inferNode(node: Node, ins: readonly (ValueInfo | undefined)[]): ValueInfo[] {
  const x = ins[0];
  need(x !== undefined, `${node.op} needs an input`);
  const f = (shape: readonly number[], dtype: DType = x!.dtype): ValueInfo => ({ shape: [...shape], dtype });
  switch (node.op) {
    case "Conv2d": {
      const w = ins[1];
      need(w !== undefined, "Conv2d needs a weight");
      need(x!.shape.length === 4 && w!.shape.length === 4, "Conv2d needs 4-D input and weight");
      const [n, c, h, wd] = x!.shape as [number, number, number, number];
      const [o, ci, kh, kw] = w!.shape as [number, number, number, number];
      const { strides, pads, dilations, group } = node.attrs;
      need(
        ci * group === c,
        `Conv2d weight ${formatShape(w!.shape)} with group ${group} does not fit input channels ${c}`,
      );
      need(o % group === 0, `Conv2d output channels ${o} not divisible by group ${group}`);
      const oh = convOutSize(h, kh, strides[0], pads[0], pads[2], dilations[0]);
      const ow = convOutSize(wd, kw, strides[1], pads[1], pads[3], dilations[1]);
      need(oh > 0 && ow > 0, `Conv2d output would be empty (${oh}×${ow})`);
      return [f([n, o, oh, ow])];
    }
    case "ConvTranspose2d": {
      const w = ins[1];
      need(
        w !== undefined && w.shape.length === 4 && x!.shape.length === 4,
        "ConvTranspose2d needs 4-D tensors",
      );
      const [n, c, h, wd] = x!.shape as [number, number, number, number];
      const [ci, og, kh, kw] = w!.shape as [number, number, number, number];
      need(ci === c, `ConvTranspose2d weight ${formatShape(w!.shape)} does not fit input channels ${c}`);
      const { strides, pads, outputPadding, group } = node.attrs;
      const oh = (h - 1) * strides[0] + kh - pads[0] - pads[2] + outputPadding[0];
      const ow = (wd - 1) * strides[1] + kw - pads[1] - pads[3] + outputPadding[1];
      return [f([n, og * group, oh, ow])];
    }
    case "MatMul": {
      const b = ins[1];
      need(b !== undefined, "MatMul needs two inputs");
      const a = x!.shape;
      const bs = b!.shape;
      need(a.length >= 2 && bs.length >= 2, "MatMul inputs must be at least 2-D");
      const k = a[a.length - 1]!;
      need(k === bs[bs.length - 2], `MatMul inner dims differ: ${formatShape(a)} × ${formatShape(bs)}`);
      const batch = broadcastShapes(a.slice(0, -2), bs.slice(0, -2));
      return [f([...batch, a[a.length - 2]!, bs[bs.length - 1]!])];
    }
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
    case "Pow":
    case "Maximum":
    case "Minimum": {
      const b = ins[1];
      need(b !== undefined, `${node.op} needs two inputs`);
      return [f(broadcastShapes(x!.shape, b!.shape))];
    }
    case "Relu":
    case "LeakyRelu":
    case "Clip":
    case "Sigmoid":
    case "Tanh":
    case "Gelu":
    case "Erf":
    case "Sqrt":
    case "Exp":
    case "Log":
    case "Neg":
    case "Abs":
    case "Identity":
      return [f(x!.shape)];
    case "Softmax":
      normalizeAxis(node.attrs.axis, x!.shape.length);
      return [f(x!.shape)];
    case "LayerNorm":
      normalizeAxis(node.attrs.axis, x!.shape.length);
      return [f(x!.shape)];
    case "ChannelLayerNorm":
      need(x!.shape.length === 4, `ChannelLayerNorm needs an NCHW input, got rank ${x!.shape.length}`);
      return [f(x!.shape)];
    case "Attention": {
      const [n, c, h, w] = x!.shape;
      const { heads } = node.attrs;
      need(x!.shape.length === 4, `Attention needs an NCHW input, got rank ${x!.shape.length}`);
      need(c! % 3 === 0, `Attention input has ${c} channels, not 3·D`);
      need(heads >= 1 && (c! / 3) % heads === 0, `${c! / 3} channels do not split into ${heads} heads`);
      return [f([n!, c! / 3, h!, w!])];
    }
    case "ReduceMean":
    case "ReduceSum":
    case "ReduceMax":
      return [f(reduceShape(x!.shape, node.attrs.axes, node.attrs.keepDims))];
    case "Transpose": {
      const { perm } = node.attrs;
      need(
        perm.length === x!.shape.length,
        `Transpose perm [${perm}] does not match rank ${x!.shape.length}`,
      );
      need(
        new Set(perm).size === perm.length && perm.every((p) => p >= 0 && p < perm.length),
        `bad perm [${perm}]`,
      );
      return [f(perm.map((p) => x!.shape[p]!))];
    }
    case "Reshape": {
      need(
        sizeOf(node.attrs.shape) === sizeOf(x!.shape),
        `Reshape ${formatShape(x!.shape)} → ${formatShape(node.attrs.shape)} changes the element count`,
      );
      return [f(node.attrs.shape)];
    }
    case "Concat": {
      const rank = x!.shape.length;
      const axis = normalizeAxis(node.attrs.axis, rank);
      const out = [...x!.shape];
      out[axis] = 0;
      for (const v of ins) {
        need(v !== undefined && v.shape.length === rank, "Concat inputs must have equal rank");
        v!.shape.forEach((d, i) => {
          if (i !== axis) need(d === x!.shape[i], `Concat shapes differ off-axis: ${formatShape(v!.shape)}`);
        });
        out[axis]! += v!.shape[axis]!;
      }
      return [f(out)];
    }
    case "Split": {
      const axis = normalizeAxis(node.attrs.axis, x!.shape.length);
      const total = node.attrs.sizes.reduce((s, v) => s + v, 0);
      need(total === x!.shape[axis], `Split sizes [${node.attrs.sizes}] do not sum to ${x!.shape[axis]}`);
      return node.attrs.sizes.map((s) => {
        const sh = [...x!.shape];
        sh[axis] = s;
        return f(sh);
      });
    }
    case "Slice": {
      const { starts, ends, steps } = node.attrs;
      need(starts.length === x!.shape.length, "Slice needs begin/end/step for every dim");
      return [
        f(
          x!.shape.map((_, i) => {
            const st = steps[i]!;
            const n =
              st > 0 ? Math.ceil((ends[i]! - starts[i]!) / st) : Math.ceil((ends[i]! - starts[i]!) / st);
            return Math.max(0, n);
          }),
        ),
      ];
    }
    case "Pad": {
      const r = x!.shape.length;
      need(node.attrs.pads.length === 2 * r, `Pad needs ${2 * r} pad values`);
      return [f(x!.shape.map((d, i) => d + node.attrs.pads[i]! + node.attrs.pads[i + r]!))];
    }
    case "Resize": {
      need(x!.shape.length === 4, "Resize expects NCHW input");
      return [f([x!.shape[0]!, x!.shape[1]!, node.attrs.size[0], node.attrs.size[1]])];
    }
    case "MaxPool":
    case "AvgPool": {
      need(x!.shape.length === 4, `${node.op} expects NCHW input`);
      const [n, c, h, w] = x!.shape as [number, number, number, number];
      const { kernel, strides, pads } = node.attrs;
      return [
        f([
          n,
          c,
          convOutSize(h, kernel[0], strides[0], pads[0], pads[2], 1),
          convOutSize(w, kernel[1], strides[1], pads[1], pads[3], 1),
        ]),
      ];
    }
    case "Cast":
      return [f(x!.shape, node.attrs.to)];
  }
}

export function macsOf(
  node: Node,
  ins: readonly (ValueInfo | undefined)[],
  outs: readonly ValueInfo[],
): number {
  switch (node.op) {
    case "Conv2d": {
      const w = ins[1]!.shape;
      return sizeOf(outs[0]!.shape) * w[1]! * w[2]! * w[3]!;
    }
    case "ConvTranspose2d": {
      const w = ins[1]!.shape;
      return sizeOf(ins[0]!.shape) * w[1]! * node.attrs.group * w[2]! * w[3]!;
    }
    case "MatMul": {
      const a = ins[0]!.shape;
      return sizeOf(outs[0]!.shape) * a[a.length - 1]!;
    }
    default:
      return 0;
  }
}
