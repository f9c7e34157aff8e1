import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldValue } from "../../../compiler/isa/encode.js";
import { type Instr, opcodeDef } from "../../../compiler/isa/spec.js";
import { emitLayer, FINISH, type Step } from "../../../compiler/lower/pipeline.js";

const QUEUES: Record<string, Record<string, string>> = {
  load: { pop_next: "c2l", push_next: "l2c" },
  compute: { pop_prev: "l2c", pop_next: "s2c", push_prev: "c2l", push_next: "c2s" },
  store: { pop_prev: "c2s", push_prev: "s2c" },
};

/** Token counts in program order: a pop never finds its FIFO empty, nothing is left at the end. */
function checkTokens(program: readonly Instr[]): Record<string, number> {
  const n: Record<string, number> = { l2c: 0, c2l: 0, c2s: 0, s2c: 0 };
  for (const [i, ins] of program.entries()) {
    const q = QUEUES[opcodeDef(ins.op).queue]!;
    for (const f of ["pop_prev", "pop_next"]) {
      if (!fieldValue(ins, f)) continue;
      assert.ok(q[f], `${ins.op} cannot ${f}`);
      assert.ok(n[q[f]!]! > 0, `word ${i}: ${f} on empty ${q[f]}`);
      n[q[f]!]!--;
    }
    for (const f of ["push_prev", "push_next"]) if (fieldValue(ins, f)) n[q[f]!]!++;
  }
  return n;
}

const step = (store: boolean, load = true): Step => ({
  load: load ? [{ op: "LOAD" }] : [],
  compute: [{ op: "CONV" }],
  store: store ? [{ op: "STORE" }] : [],
});

test("double-buffered layers balance their tokens for any number of steps and stores", () => {
  for (const loads of [true, false]) {
    for (let k = 1; k <= 7; k++) {
      for (const splits of [1, 2, 3]) {
        const steps = Array.from({ length: k * splits }, (_, i) => step(i % splits === splits - 1, loads));
        const p = [...emitLayer(steps, false), ...emitLayer(steps, true), FINISH];
        assert.deepEqual(
          checkTokens(p),
          { l2c: 0, c2l: 0, c2s: 0, s2c: 0 },
          `k=${k} splits=${splits} loads=${loads}`,
        );
      }
    }
  }
});

test("load k waits for compute k−2 and compute waits for store s−2", () => {
  const p = emitLayer([step(true), step(true), step(true)], false);
  const loads = p.filter((i) => i.op === "LOAD");
  assert.deepEqual(
    loads.map((i) => fieldValue(i, "pop_next")),
    [0, 0, 1],
  );
  const conv = p.filter((i) => i.op === "CONV");
  assert.deepEqual(
    conv.map((i) => fieldValue(i, "pop_next")),
    [0, 0, 1],
  );
  assert.deepEqual(
    conv.map((i) => fieldValue(i, "push_prev")),
    [1, 0, 0],
  );
});

test("malformed layers are refused", () => {
  assert.throws(() => emitLayer([], false), /at least one step/);
  assert.throws(() => emitLayer([step(true), step(true, false)], false), /every step must load/);
  assert.throws(() => emitLayer([step(false)], false), /end with a store/);
});
