/**
 * Synthesis of the accelerator blocks for the iCE40UP5K (cached under build/rtl/): the primitives land
 * where the RTL puts them (8 accumulating SB_MAC16 and the 2-EBR accumulator bank in the matrix unit, one EBR per
 * decode lane, nothing but LUTs in the output stage), the LUT counts stay within the recorded budget
 * (a design that grows back fails), and decode -> matrix unit -> output stage places, routes and
 * meets the 24 MHz SoC clock. First run ~2 min, cached runs ~1 s.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { missingTools } from "../../../sim/device/tools.js";
import { ICE40_SIM_DEFINES, ice40SimLib, lintBlock } from "../../../sim/rtl/iverilog.js";
import { ACCEL_BLOCKS, SYNTH_TOOLS, synthBlock } from "../../../sim/rtl/synth.js";

const missing = missingTools(SYNTH_TOOLS);
const skip = missing.length > 0 ? `missing tools: ${missing.join(", ")}` : false;

function block(name: string) {
  const b = ACCEL_BLOCKS.find((x) => x.name === name);
  if (!b) throw new Error(`no block ${name}`);
  return b;
}

/** LUT4 budgets: the recorded counts (yosys 0.23) plus ~3 %. */
const BUDGET = {
  macArray: 2010, // recorded 1945: 16 Booth multipliers of 55, 16 LUT partials of 17 bits, spill unit
  decode: 241, // recorded 234 (219 before lut4 tables and lin8 zeros shared the lane memory from 0)
  outStage: 440, // recorded 423
  chain: 2680, // recorded 2600 (harness: its shift register and threshold table add ~20)
  macArrayDsp: 395, // recorded 380: 2×8 in the DSPs, the spill unit and its bank addressing only
  chainDsp: 1075, // recorded 1040
};

describe("accelerator blocks on the iCE40UP5K (yosys, nextpnr)", { skip, timeout: 600_000 }, () => {
  test("matrix unit: 8 SB_MAC16, 2 EBR (accumulator bank), LUT4 within budget", async () => {
    const r = await synthBlock(block("mac_array 4x8, 8 DSP"));
    assert.equal(r.sb_mac16, 8);
    assert.equal(r.ebr, 2);
    assert.ok(r.lut4 > 1500 && r.lut4 <= BUDGET.macArray, `lut4 ${r.lut4}`);
  });

  test("2×8 matrix unit in the 8 SB_MAC16 alone: no LUT multiplier", async () => {
    const r = await synthBlock(block("mac_array 2x8, 8 DSP"));
    assert.equal(r.sb_mac16, 8);
    assert.equal(r.ebr, 2);
    assert.equal(r.lut4_by_module.quart_mul, undefined);
    assert.ok(r.lut4 <= BUDGET.macArrayDsp, `lut4 ${r.lut4}`);
  });

  test("input decode: one EBR per lane, few LUTs", async () => {
    const r = await synthBlock(block("lut_decode 8 lanes"));
    assert.equal(r.ebr, 8);
    assert.ok(r.lut4 <= BUDGET.decode, `lut4 ${r.lut4}`);
  });

  test("output stage: LUTs only, no multiplier", async () => {
    const r = await synthBlock(block("out_stage"));
    assert.equal(r.sb_mac16, 0);
    assert.equal(r.ebr, 0);
    assert.ok(r.lut4 <= BUDGET.outStage, `lut4 ${r.lut4}`);
  });

  test("synthesis harness is verilator -Wall clean", {
    skip: missingTools(["verilator"]).length > 0,
  }, async () => {
    const b = block("harness: decode -> mac_array -> out_stage");
    await lintBlock({ top: b.top, files: b.files, libs: [ice40SimLib()!], defines: ICE40_SIM_DEFINES });
  });

  test("decode -> matrix unit -> output stage: within budget, placed and routed at >= 24 MHz", async () => {
    const r = await synthBlock(block("harness: decode -> mac_array -> out_stage"), { pnr: true });
    assert.equal(r.sb_mac16, 8);
    assert.ok(r.lut4 <= BUDGET.chain, `lut4 ${r.lut4}`);
    assert.equal(r.pnr_error, undefined, r.pnr_error);
    assert.ok(r.pnr!.fmax_mhz >= 24, `fmax ${r.pnr!.fmax_mhz} MHz`);
  });

  test("decode -> 2×8 DSP matrix unit -> output stage: placed and routed at >= 24 MHz", async () => {
    const r = await synthBlock(block("harness: decode -> mac_array 2x8 -> out_stage"), { pnr: true });
    assert.equal(r.sb_mac16, 8);
    assert.ok(r.lut4 <= BUDGET.chainDsp, `lut4 ${r.lut4}`);
    assert.equal(r.pnr_error, undefined, r.pnr_error);
    assert.ok(r.pnr!.fmax_mhz >= 24, `fmax ${r.pnr!.fmax_mhz} MHz`);
  });
});
