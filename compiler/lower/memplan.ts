/**
 * Memory planning of the activation arena (ACT segment): every tensor gets a layout; tensors whose
 * lifetimes do not overlap share bytes. Concat is free: its inputs are channel slices of its output
 * (aliases), so their producers write straight into the concatenated tensor.
 */
import { denseLayout, type ElemBits, type TensorLayout } from "./layout.js";

export interface ValueRequest {
  readonly name: string;
  /** NCHW. */
  readonly shape: readonly number[];
  readonly ebits: ElemBits;
  /** Step that writes it (−1: written by the host before the run). */
  readonly def: number;
  /** Last step that reads it (Infinity: read by the host after the run). */
  readonly lastUse: number;
  /** This value is channels [channelOffset, …) of `parent`. */
  readonly alias?: { readonly parent: string; readonly channelOffset: number };
}

export interface MemoryPlan {
  readonly layouts: ReadonlyMap<string, TensorLayout>;
  /** Bytes of the arena. */
  readonly bytes: number;
  /** Sum of the root tensors' sizes: what the plan would need without reuse. */
  readonly unsharedBytes: number;
}

const ALIGN = 16;
const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

interface Root {
  name: string;
  bytes: number;
  start: number;
  end: number;
  offset: number;
}

export function planMemory(values: readonly ValueRequest[]): MemoryPlan {
  const byName = new Map(values.map((v) => [v.name, v]));
  const rootOf = (v: ValueRequest): ValueRequest => {
    let cur = v;
    const seen = new Set<string>();
    while (cur.alias) {
      if (seen.has(cur.name)) throw new Error(`memory plan: alias cycle through "${cur.name}"`);
      seen.add(cur.name);
      const p = byName.get(cur.alias.parent);
      if (!p) throw new Error(`memory plan: "${cur.name}" aliases unknown "${cur.alias.parent}"`);
      cur = p;
    }
    return cur;
  };
  const roots = new Map<string, Root>();
  for (const v of values) {
    const r = rootOf(v);
    let root = roots.get(r.name);
    if (!root) {
      const bytes = alignUp(denseLayout(r.shape, r.ebits).batchBytes * r.shape[0]!);
      root = { name: r.name, bytes, start: r.def, end: r.lastUse, offset: 0 };
      roots.set(r.name, root);
    }
    root.start = Math.min(root.start, v.def);
    root.end = Math.max(root.end, v.lastUse);
  }
  const placed: Root[] = [];
  const order = [...roots.values()].sort((a, b) => b.bytes - a.bytes || a.start - b.start);
  for (const r of order) {
    const clashes = placed
      .filter((p) => p.start <= r.end && r.start <= p.end)
      .sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of clashes) {
      if (offset + r.bytes <= p.offset) break;
      offset = Math.max(offset, p.offset + p.bytes);
    }
    r.offset = offset;
    placed.push(r);
  }
  const layouts = new Map<string, TensorLayout>();
  const layoutOf = (v: ValueRequest): TensorLayout => {
    const done = layouts.get(v.name);
    if (done) return done;
    let l: TensorLayout;
    if (!v.alias) {
      l = denseLayout(v.shape, v.ebits, roots.get(v.name)!.offset);
    } else {
      const parent = layoutOf(byName.get(v.alias.parent)!);
      const [n, c, h, w] = v.shape as [number, number, number, number];
      if (parent.ebits !== v.ebits || parent.h !== h || parent.w !== w || parent.n !== n)
        throw new Error(
          `memory plan: "${v.name}" does not match the layout of its concat "${v.alias.parent}"`,
        );
      if (v.alias.channelOffset + c > parent.c)
        throw new Error(`memory plan: "${v.name}" overruns "${v.alias.parent}"`);
      l = { ...parent, c, base: parent.base + v.alias.channelOffset * parent.planeBytes };
    }
    layouts.set(v.name, l);
    return l;
  };
  for (const v of values) layoutOf(v);
  const bytes = placed.reduce((m, r) => Math.max(m, r.offset + r.bytes), 0);
  const unsharedBytes = placed.reduce((s, r) => s + r.bytes, 0);
  return { layouts, bytes, unsharedBytes };
}
