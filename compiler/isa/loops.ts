/**
 * Micro-op loops: the fetch unit's expansion of LOOP/LPATCH (the one definition the simulator and the
 * performance model use) and the compiler's rerolling of a flat instruction list into loops.
 */
import { fieldValue, IsaError } from "./encode.js";
import { DEP_FLAGS, EV, type Instr, opcodeDef } from "./spec.js";

export interface Dispatched {
  readonly instr: Instr;
  /** Index of the program word this instruction came from. */
  readonly word: number;
}

function patchField(instr: Instr, patch: Instr, iter: number, where: number): Instr {
  const op = opcodeDef(instr.op);
  const fd = op.fields[fieldValue(patch, "field")];
  if (!fd)
    throw new IsaError(
      `word ${where}: LPATCH field ${fieldValue(patch, "field")} does not exist in ${op.name}`,
    );
  const step = fieldValue(patch, "mode") === EV.pmode.TOGGLE ? iter & 1 : iter;
  const v = fieldValue(instr, fd.name) + step * fieldValue(patch, "stride");
  if (v < fd.min || v > fd.max)
    throw new IsaError(
      `word ${where}: LPATCH moves ${op.name}.${fd.name} to ${v}, outside [${fd.min}, ${fd.max}]`,
    );
  return { ...instr, [fd.name]: v } as Instr;
}

function* walk(words: readonly Instr[], ids: readonly number[]): Generator<Dispatched> {
  let i = 0;
  while (i < words.length) {
    const w = words[i]!;
    if (w.op === "LPATCH") throw new IsaError(`word ${ids[i]}: LPATCH outside a LOOP header`);
    if (w.op !== "LOOP") {
      yield { instr: w, word: ids[i]! };
      i++;
      continue;
    }
    const np = fieldValue(w, "patches");
    const nb = fieldValue(w, "body");
    const first = i + 1 + np;
    if (first + nb > words.length)
      throw new IsaError(`word ${ids[i]}: LOOP body runs past the end of its block`);
    const patches = words.slice(i + 1, first);
    patches.forEach((p, k) => {
      if (p.op !== "LPATCH") throw new IsaError(`word ${ids[i + 1 + k]}: LOOP expects ${np} LPATCH words`);
      if (fieldValue(p, "index") >= nb)
        throw new IsaError(`word ${ids[i + 1 + k]}: LPATCH index past the body`);
    });
    const body = words.slice(first, first + nb);
    const bodyIds = ids.slice(first, first + nb);
    const count = fieldValue(w, "count");
    for (let it = 0; it < count; it++) {
      const copy = body.slice();
      for (const p of patches) {
        const k = fieldValue(p, "index");
        copy[k] = patchField(copy[k]!, p, it, bodyIds[k]!);
      }
      yield* walk(copy, bodyIds);
    }
    i = first + nb;
  }
}

/** The dispatched instruction stream of a program, in order (LOOP and LPATCH words consumed). */
export function expandLoops(program: readonly Instr[]): Generator<Dispatched> {
  return walk(
    program,
    program.map((_, i) => i),
  );
}

export function expandedList(program: readonly Instr[]): Instr[] {
  return Array.from(expandLoops(program), (d) => d.instr);
}

// ---------------------------------------------------------------------------------------------
// Rerolling: find runs of blocks that repeat with fields advancing linearly or toggling.

const MAX_BODY = 256;
const MAX_COUNT = 65536;
const MAX_PATCHES = 63;

/** A unit is one instruction or a whole LOOP block (header, patches, body). */
type Unit = readonly Instr[];

interface FieldRef {
  word: number;
  field: number;
  name: string;
}

function splitUnits(program: readonly Instr[]): Unit[] {
  const units: Unit[] = [];
  let i = 0;
  while (i < program.length) {
    const w = program[i]!;
    const len = w.op === "LOOP" ? 1 + fieldValue(w, "patches") + fieldValue(w, "body") : 1;
    units.push(program.slice(i, i + len));
    i += len;
  }
  return units;
}

function sameShape(a: Unit, b: Unit): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.op !== b[i]!.op) return false;
  return true;
}

/** Fields of a block (units flattened to words) that may be patched: not in LOOP/LPATCH words, not enums. */
function patchable(words: readonly Instr[]): FieldRef[] {
  const refs: FieldRef[] = [];
  words.forEach((w, word) => {
    if (w.op === "LOOP" || w.op === "LPATCH") return;
    opcodeDef(w.op).fields.forEach((fd, field) => {
      if (!fd.enum) refs.push({ word, field, name: fd.name });
    });
  });
  return refs;
}

/** Every field and dep flag of each opcode, looked up once (the comparisons below run millions of times). */
const FIELD_NAMES = new Map<string, readonly string[]>();
function fieldNames(op: Instr["op"]): readonly string[] {
  let names = FIELD_NAMES.get(op);
  if (!names) {
    names = [...DEP_FLAGS, ...opcodeDef(op).fields.map((fd) => fd.name)];
    FIELD_NAMES.set(op, names);
  }
  return names;
}

/** Same opcode assumed (sameShape): equal in every field outside `allowed`. */
function fixedEqual(a: Instr, b: Instr, allowed: ReadonlySet<string>): boolean {
  for (const k of fieldNames(a.op)) {
    if (allowed.has(k)) continue;
    if (fieldValue(a, k) !== fieldValue(b, k)) return false;
  }
  return true;
}

interface Candidate {
  units: number;
  count: number;
  patches: Array<{ ref: FieldRef; mode: number; stride: number }>;
}

function tryPeriod(units: readonly Unit[], at: number, p: number): Candidate | undefined {
  if (at + 2 * p > units.length) return undefined;
  for (let k = 0; k < p; k++) if (!sameShape(units[at + k]!, units[at + p + k]!)) return undefined;
  const block = (j: number): Instr[] => units.slice(at + j * p, at + (j + 1) * p).flat();
  const b0 = block(0);
  if (b0.length > MAX_BODY) return undefined;
  const refs = patchable(b0);
  const allowed = new Map<number, Set<string>>();
  for (const r of refs) {
    if (!allowed.has(r.word)) allowed.set(r.word, new Set());
    allowed.get(r.word)!.add(r.name);
  }
  const none = new Set<string>();
  const fixedOk = (b: Instr[]): boolean => b.every((w, i) => fixedEqual(b0[i]!, w, allowed.get(i) ?? none));
  // Cheap rejection: the first words of the two blocks already differ where no patch may act.
  if (!fixedEqual(b0[0]!, units[at + p]![0]!, allowed.get(0) ?? none)) return undefined;
  const b1 = block(1);
  if (!fixedOk(b1)) return undefined;
  const v = (b: Instr[], r: FieldRef): number => fieldValue(b[r.word]!, r.name);
  const deltas = refs.map((r) => v(b1, r) - v(b0, r));
  // Linear unless the third block shows the value back at block 0's (toggle).
  const modes = refs.map(() => EV.pmode.LINEAR);
  let count = 2;
  while (count < MAX_COUNT && at + (count + 1) * p <= units.length) {
    const next = units.slice(at + count * p, at + (count + 1) * p);
    if (!next.every((u, k) => sameShape(u, units[at + k]!))) break;
    const b = next.flat();
    if (!fixedOk(b)) break;
    let ok = true;
    for (let r = 0; r < refs.length && ok; r++) {
      const d = deltas[r]!;
      const got = v(b, refs[r]!) - v(b0, refs[r]!);
      if (count === 2 && d !== 0 && got === 0) modes[r] = EV.pmode.TOGGLE;
      const want = modes[r] === EV.pmode.TOGGLE ? (count & 1) * d : count * d;
      ok = got === want;
    }
    if (!ok) {
      // A failed third block must not leave toggles decided from it.
      if (count === 2) modes.fill(EV.pmode.LINEAR);
      break;
    }
    count++;
  }
  const patches = refs
    .map((ref, r) => ({ ref, mode: modes[r]!, stride: deltas[r]! }))
    .filter((x) => x.stride !== 0);
  if (patches.length > MAX_PATCHES) return undefined;
  if (patches.some((x) => x.stride < -(2 ** 31) || x.stride >= 2 ** 31)) return undefined;
  return { units: p, count, patches };
}

function savings(c: Candidate, words: number): number {
  return (c.count - 1) * words - 1 - c.patches.length;
}

function rerollUnits(units: readonly Unit[], maxPeriod: number): Instr[] {
  const out: Instr[] = [];
  let i = 0;
  while (i < units.length) {
    let best: Candidate | undefined;
    let bestSave = 0;
    for (let p = 1; p <= maxPeriod && i + 2 * p <= units.length; p++) {
      const c = tryPeriod(units, i, p);
      if (!c) continue;
      const words = units.slice(i, i + p).reduce((s, u) => s + u.length, 0);
      const save = savings(c, words);
      if (save > bestSave) {
        best = c;
        bestSave = save;
      }
    }
    if (!best) {
      out.push(...units[i]!);
      i++;
      continue;
    }
    const body = units.slice(i, i + best.units).flat();
    out.push({ op: "LOOP", count: best.count, body: body.length, patches: best.patches.length });
    for (const x of best.patches)
      out.push({ op: "LPATCH", index: x.ref.word, field: x.ref.field, mode: x.mode, stride: x.stride });
    out.push(...body);
    i += best.units * best.count;
  }
  return out;
}

/**
 * Compresses a program into (up to `levels` nested) loops; `expandedList(reroll(p))` equals
 * `expandedList(p)`. `maxPeriod` bounds the body length (in units) tried at each position.
 */
export function reroll(
  program: readonly Instr[],
  opts: { levels?: number; maxPeriod?: number } = {},
): Instr[] {
  let cur: Instr[] = program.slice();
  for (let l = 0; l < (opts.levels ?? 2); l++) {
    const next = rerollUnits(splitUnits(cur), opts.maxPeriod ?? 24);
    if (next.length === cur.length) break;
    cur = next;
  }
  return cur;
}
