/**
 * The race detector: a program whose tokens do not order a conflicting access between queues must
 * be refused, even though the in-order simulation alone would compute the right answer.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { assemble } from "../../../compiler/isa/asm.js";
import { fieldValue } from "../../../compiler/isa/encode.js";
import type { Instr } from "../../../compiler/isa/spec.js";
import { asic28 } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { HazardChecker, HazardError } from "../../../sim/isa/hazards.js";
import { IsaMachine } from "../../../sim/isa/machine.js";
import { SimError } from "../../../sim/isa/memory.js";
import { runLowered } from "../../../sim/isa/run.js";
import { tinyTarget } from "../../compiler/lower/fixtures.js";
import { randomInputCodes, randomQGraph } from "../../helpers/random-qgraph.js";

test("dropping any single pop from a lowered program is detected", () => {
  const t = tinyTarget();
  for (const seed of [3, 7, 12]) {
    const g = randomQGraph({ seed, layers: 3 });
    const x = randomInputCodes(g, seed);
    const l = lowerQGraph(g, t, { loops: false });
    assert.doesNotThrow(() => runLowered(l, t, x));
    let pops = 0;
    l.program.forEach((ins, i) => {
      for (const flag of ["pop_prev", "pop_next"] as const) {
        if (!fieldValue(ins, flag)) continue;
        pops++;
        const p = l.program.slice();
        p[i] = { ...ins, [flag]: 0 } as Instr;
        assert.throws(
          () => runLowered({ ...l, program: p }, t, x),
          (e: unknown) =>
            e instanceof HazardError || (e instanceof SimError && /tokens left/.test(e.message)),
          `seed ${seed}: word ${i} ${ins.op} without ${flag}`,
        );
      }
    });
    assert.ok(pops > 5);
  }
});

test("a store racing the compute that fills OUT is a hazard naming both sides", () => {
  const program = assemble(`
    VCFG stage=ACC32
    CCFG kh=1 kw=1 sy=1 sx=1 dy=1 dx=1 oc_n=1 oh_n=1 ow_n=1 ic_n=1 ienc=LIN8
    CONV fuse=1
    STORE buf=OUT seg=ACT ebits=E32 n0=1
    FINISH`);
  const m = new IsaMachine(asic28, {
    program,
    weights: new Uint8Array(16),
    tables: new Uint8Array(16),
    actBytes: 16,
  });
  assert.throws(() => m.run(), /hazard: STORE .* reads OUT byte 0 written by compute instruction #3/);
});

test("the checker names the first unordered byte inside partly covered blocks", () => {
  const h = new HazardChecker();
  h.track("INP", 1000);
  h.begin(0, "LOAD a");
  h.access("INP", 70, 130, true, 0); // bytes 70..199: blocks 1..3, block 1 only in part
  const token = h.snapshot(0);
  h.begin(1, "CONV b");
  h.access("INP", 0, 70, false, 1); // the same block 1, other bytes: ordered
  assert.throws(
    () => h.access("INP", 60, 20, false, 1),
    /CONV b \(compute\) reads INP byte 70 written by load/,
  );
  h.join(1, token);
  assert.doesNotThrow(() => h.access("INP", 60, 200, false, 1));
  h.begin(0, "LOAD c");
  assert.doesNotThrow(() => h.access("INP", 300, 20, true, 0));
  assert.throws(
    () => h.access("INP", 250, 20, true, 0),
    /LOAD c \(load\) writes INP byte 250 read by compute instruction #1/,
  );
});
