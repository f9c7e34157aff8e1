/**
 * Synthesis of the accelerator blocks for the iCE40UP5K (cached under build/rtl/): the primitives land
 * where the RTL puts them (8 SB_MAC16 in the matrix unit, one EBR per decode lane), the LUT counts stay
 * within the recorded budget (regressions fail), and the decode -> matrix unit path places, routes and
 * meets the 24 MHz SoC clock. First run ~75 s, cached runs ~1 s.
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

describe("accelerator blocks on the iCE40UP5K (yosys, nextpnr)", { skip, timeout: 300_000 }, () => {
  test("matrix unit: 8 SB_MAC16, LUT4 within the recorded budget", async () => {
    const r = await synthBlock(block("mac_array 4x8, 8 DSP"));
    assert.equal(r.sb_mac16, 8);
    assert.equal(r.ebr, 0);
    // recorded 3590 (yosys 0.23); 16 LUT multipliers of 96 LUT4 + 32 accumulators + drain mux
    assert.ok(r.lut4 > 2000 && r.lut4 <= 3700, `lut4 ${r.lut4}`);
  });

  test("input decode: one EBR per lane, few LUTs", async () => {
    const r = await synthBlock(block("lut_decode 8 lanes"));
    assert.equal(r.ebr, 8);
    assert.ok(r.lut4 <= 300, `lut4 ${r.lut4}`);
  });

  test("output stage: wide multipliers map to 6 SB_MAC16 with -dsp", async () => {
    const r = await synthBlock(block("out_stage, DSP multipliers"));
    assert.equal(r.sb_mac16, 6);
    assert.ok(r.lut4 <= 1700, `lut4 ${r.lut4}`);
  });

  test("synthesis harness is verilator -Wall clean", {
    skip: missingTools(["verilator"]).length > 0,
  }, async () => {
    const b = block("harness: decode -> mac_array (8 DSP)");
    await lintBlock({ top: b.top, files: b.files, libs: [ice40SimLib()!], defines: ICE40_SIM_DEFINES });
  });

  test("decode -> matrix unit placed and routed at >= 24 MHz", async () => {
    const r = await synthBlock(block("harness: decode -> mac_array (8 DSP)"), { pnr: true });
    assert.equal(r.pnr_error, undefined, r.pnr_error);
    assert.ok(r.pnr!.fmax_mhz >= 24, `fmax ${r.pnr!.fmax_mhz} MHz`);
  });
});
