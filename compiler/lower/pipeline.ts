/**
 * Dependency tokens for a double-buffered layer (VTA's scheme). A layer is a list of steps; step k
 * loads into INP/WGT slot k mod 2, computes, and — when it ends an output tile — writes OUT slot
 * s mod 2 which the store queue then drains. Tokens make
 *   load k    wait for compute k−2 (slot free)           c2l
 *   compute k wait for load k (data there)               l2c
 *   compute k wait for store s−2 (OUT slot free)         s2c
 *   store s   wait for compute of its tile               c2s
 * and a NOP barrier between layers waits for the previous layer's last store and frees the load queue,
 * so a layer reads what the previous one wrote. Every pop takes a token pushed earlier in program order.
 */
import type { DepFlag, Instr } from "../isa/spec.js";

export interface Step {
  /** Load queue (LOAD into INP/WGT); every step of a layer has loads, or none does. */
  readonly load: readonly Instr[];
  /** Compute queue; at least one instruction. */
  readonly compute: readonly Instr[];
  /** Store queue; non-empty when the step completes an output tile. */
  readonly store: readonly Instr[];
}

function flag(list: Instr[], at: "first" | "last", f: DepFlag): void {
  const i = at === "first" ? 0 : list.length - 1;
  list[i] = { ...list[i]!, [f]: 1 } as Instr;
}

/**
 * The program words of one layer. `barrier`: a previous layer exists (its last store pushed a token
 * this layer's NOP pops). The layer's last store always pushes a token for the next barrier or FINISH.
 */
export function emitLayer(steps: readonly Step[], barrier: boolean): Instr[] {
  if (steps.length === 0) throw new Error("a layer needs at least one step");
  const hasLoads = steps[0]!.load.length > 0;
  if (steps.some((s) => s.load.length > 0 !== hasLoads)) throw new Error("every step must load, or none");
  if (steps.some((s) => s.compute.length === 0)) throw new Error("every step needs compute instructions");
  const storeCount = steps.filter((s) => s.store.length > 0).length;
  if (storeCount === 0 || steps[steps.length - 1]!.store.length === 0)
    throw new Error("a layer must end with a store");
  const out: Instr[] = [];
  if (barrier) {
    const nop: Instr = { op: "NOP", pop_next: 1, ...(hasLoads ? { push_prev: 1 } : {}) };
    out.push(nop);
  }
  let s = 0;
  steps.forEach((step, k) => {
    const load = step.load.slice();
    const compute = step.compute.slice();
    const store = step.store.slice();
    if (hasLoads) {
      if (k >= 2 || (k === 0 && barrier)) flag(load, "first", "pop_next");
      flag(load, "last", "push_next");
      flag(compute, "first", "pop_prev");
      if (k + 2 < steps.length) flag(compute, "last", "push_prev");
    }
    if (store.length > 0) {
      if (s >= 2) flag(compute, "first", "pop_next");
      flag(compute, "last", "push_next");
      flag(store, "first", "pop_prev");
      if (s + 2 < storeCount || s === storeCount - 1) flag(store, "last", "push_prev");
      s++;
    }
    out.push(...load, ...compute, ...store);
  });
  return out;
}

/** The program's last word: waits for the last store, then raises DONE. */
export const FINISH: Instr = { op: "FINISH", pop_next: 1 };
