/**
 * ONNX shape semantics as pure functions, shared by the constant folder and the op converters so a
 * folded Reshape and a runtime Reshape can never disagree.
 */
import { GraphError } from "../ir/graph.js";
import { formatShape, sizeOf } from "../ir/tensor.js";

export function normAxis(axis: number, rank: number, what = "axis"): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new GraphError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

export function normAxes(axes: readonly number[], rank: number, what = "axes"): number[] {
  const out = axes.map((a) => normAxis(a, rank, what));
  if (new Set(out).size !== out.length) throw new GraphError(`${what} [${axes}] repeat an axis`);
  return out;
}

/** Gather indices made non-negative; out-of-range ones are an error. */
export function gatherIndices(indices: readonly number[], dim: number): number[] {
  return indices.map((i) => {
    const j = i < 0 ? i + dim : i;
    if (j < 0 || j >= dim) throw new GraphError(`Gather index ${i} is out of range for a dim of ${dim}`);
    return j;
  });
}

/** ONNX Reshape: 0 copies the input dim (unless allowzero), one -1 is inferred. */
export function reshapeTarget(
  input: readonly number[],
  spec: readonly number[],
  allowZero: boolean,
): number[] {
  const out = spec.map((d, i) => {
    if (!Number.isInteger(d) || d < -1)
      throw new GraphError(`Reshape target [${spec}] has invalid entry ${d}`);
    if (d === 0 && !allowZero) {
      if (i >= input.length)
        throw new GraphError(`Reshape target [${spec}] copies dim ${i} of a rank-${input.length} input`);
      return input[i]!;
    }
    return d;
  });
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1) throw new GraphError(`Reshape target [${spec}] has more than one -1`);
  const total = sizeOf(input);
  if (unknown === 1) {
    const known = out.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (known === 0 || total % known !== 0) {
      throw new GraphError(
        `Reshape of ${formatShape(input)} to [${spec}]: ${total} elements do not divide by ${known}`,
      );
    }
    out[out.indexOf(-1)] = total / known;
  }
  if (sizeOf(out) !== total)
    throw new GraphError(`Reshape of ${formatShape(input)} to [${spec}] changes the element count`);
  return out;
}

export function flattenTarget(input: readonly number[], axis: number): number[] {
  const a = axis < 0 ? axis + input.length : axis;
  if (a < 0 || a > input.length)
    throw new GraphError(`Flatten axis ${axis} is out of range for rank ${input.length}`);
  return [sizeOf(input.slice(0, a)), sizeOf(input.slice(a))];
}

export function squeezeTarget(input: readonly number[], axes: readonly number[] | undefined): number[] {
  if (!axes || axes.length === 0) return input.filter((d) => d !== 1);
  const drop = new Set(normAxes(axes, input.length));
  for (const a of drop) {
    if (input[a] !== 1) throw new GraphError(`Squeeze axis ${a} of ${formatShape(input)} is not 1`);
  }
  return input.filter((_, i) => !drop.has(i));
}

export function unsqueezeTarget(input: readonly number[], axes: readonly number[]): number[] {
  const rank = input.length + axes.length;
  const at = new Set(normAxes(axes, rank));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : input[k++]!);
  return out;
}

export interface SliceSpec {
  starts: number[];
  ends: number[];
  steps: number[];
}

/**
 * ONNX Slice normalized to every dim: starts/ends clamped as the spec says (ends may be -1 for a
 * negative step that runs through index 0). Infinite starts/ends (INT64 sentinels) clamp too.
 */
export function sliceSpec(
  shape: readonly number[],
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[] | undefined,
  steps: readonly number[] | undefined,
): SliceSpec {
  const rank = shape.length;
  const ax = axes ?? starts.map((_, i) => i);
  if (
    starts.length !== ends.length ||
    ax.length !== starts.length ||
    (steps && steps.length !== starts.length)
  ) {
    throw new GraphError(
      `Slice starts/ends/axes/steps have different lengths (${starts.length}/${ends.length}/${ax.length}/${steps?.length ?? "-"})`,
    );
  }
  const out: SliceSpec = { starts: shape.map(() => 0), ends: [...shape], steps: shape.map(() => 1) };
  const seen = new Set<number>();
  ax.forEach((axis, i) => {
    const a = normAxis(axis, rank, "Slice axis");
    if (seen.has(a)) throw new GraphError(`Slice axis ${axis} given twice`);
    seen.add(a);
    const dim = shape[a]!;
    const step = steps?.[i] ?? 1;
    if (step === 0 || !Number.isFinite(step))
      throw new GraphError(`Slice step ${step} on axis ${axis} is invalid`);
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    out.starts[a] = s;
    out.ends[a] = e;
    out.steps[a] = step;
  });
  return out;
}

export function sliceShape(spec: SliceSpec): number[] {
  return spec.starts.map((s, i) => Math.max(0, Math.ceil((spec.ends[i]! - s) / spec.steps[i]!)));
}

/** Split sizes: explicit, or `count` equal parts (opset 18 allows a smaller last part). */
export function splitSizes(
  dim: number,
  split: readonly number[] | undefined,
  count: number,
  allowUneven: boolean,
): number[] {
  if (split && split.length > 0) {
    if (split.length !== count) throw new GraphError(`Split has ${split.length} sizes for ${count} outputs`);
    if (split.reduce((s, v) => s + v, 0) !== dim)
      throw new GraphError(`Split sizes [${split}] do not sum to ${dim}`);
    return [...split];
  }
  if (dim % count === 0) return new Array<number>(count).fill(dim / count);
  if (!allowUneven) throw new GraphError(`Split of ${dim} into ${count} equal parts is not possible`);
  const part = Math.ceil(dim / count);
  const sizes = new Array<number>(count).fill(part);
  sizes[count - 1] = dim - part * (count - 1);
  if (sizes[count - 1]! <= 0)
    throw new GraphError(`Split of ${dim} into ${count} parts leaves an empty part`);
  return sizes;
}

/** Begin/end padding per spatial dim for ONNX auto_pad (SAME_UPPER puts the odd pixel at the end). */
export function autoPads(
  mode: string,
  inSizes: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  explicit: readonly number[] | undefined,
): number[] {
  const r = inSizes.length;
  if (mode === "NOTSET" || mode === "") {
    const p = explicit ?? new Array<number>(2 * r).fill(0);
    if (p.length !== 2 * r) throw new GraphError(`pads [${p}] need ${2 * r} values`);
    if (p.some((v) => v < 0)) throw new GraphError(`negative pads [${p}] are not supported`);
    return [...p];
  }
  if (mode === "VALID") return new Array<number>(2 * r).fill(0);
  if (mode !== "SAME_UPPER" && mode !== "SAME_LOWER")
    throw new GraphError(`auto_pad "${mode}" is not supported`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(inSizes[i]! / strides[i]!);
    const span = (kernel[i]! - 1) * dilations[i]! + 1;
    const total = Math.max((out - 1) * strides[i]! + span - inSizes[i]!, 0);
    const small = Math.floor(total / 2);
    begin.push(mode === "SAME_UPPER" ? small : total - small);
    end.push(mode === "SAME_UPPER" ? total - small : small);
  }
  return [...begin, ...end];
}
