/** Bitstream build: report parsing, and the full yosys/nextpnr/icepack flow (cached by its inputs). */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { buildIce40, ICE40_TOOLS, parseNextpnrReport, parseYosysStat } from "../../fpga/build/ice40.js";
import { BOARD_PCF } from "../../fpga/build/sources.js";
import { FIRMWARE_TOOLS } from "../../sim/device/firmware.js";
import { fromRoot } from "../../sim/device/paths.js";
import { skipUnless } from "./cpu/cpu-harness.js";

test("nextpnr report: utilisation and the slowest clock", () => {
  const r = parseNextpnrReport({
    utilization: {
      ICESTORM_LC: { used: 2500, available: 5280 },
      ICESTORM_RAM: { used: 20, available: 30 },
      ICESTORM_SPRAM: { used: 2, available: 4 },
      ICESTORM_DSP: { used: 0, available: 8 },
    },
    fmax: { a: { achieved: 30.5, constraint: 24 }, b: { achieved: 25.1, constraint: 24 } },
  });
  assert.deepEqual(
    [r.lc, r.lcTotal, r.ebr, r.spram, r.dsp, r.fmaxMhz],
    [2500, 5280, [20, 30], [2, 4], [0, 8], 25.1],
  );
  assert.throws(() => parseNextpnrReport({ utilization: {} }), /no clock/);
});

test("yosys stat: LUT4 and flip-flop counts", () => {
  const s = parseYosysStat({
    modules: { "\\top": { num_cells_by_type: { SB_LUT4: 100, SB_DFF: 3, SB_DFFESR: 4, SB_CARRY: 9 } } },
  });
  assert.deepEqual(s, { lut4: 100, dff: 7 });
  const d = parseYosysStat({ design: { num_cells_by_type: { SB_LUT4: 5, SB_DFFE: 2 } }, modules: {} });
  assert.deepEqual(d, { lut4: 5, dff: 2 });
});

describe("iCEBreaker bitstream", { skip: skipUnless([...ICE40_TOOLS, ...FIRMWARE_TOOLS]) }, () => {
  test("synthesises, places, routes and packs; fits the UP5K", { timeout: 300_000 }, async () => {
    const r = await buildIce40({ log: () => {} });
    process.stderr.write(`ice40: ${JSON.stringify(r)}\n`);
    assert.ok(existsSync(r.bitstream));
    assert.ok(r.bitstream_bytes > 100_000);
    assert.equal(r.lut4_total, 5280);
    assert.ok(r.lut4 > 500 && r.lut4 <= r.lut4_total, `lut4 ${r.lut4}`);
    assert.equal(r.spram, 2);
    assert.ok(r.ebr <= 24, `ebr ${r.ebr}`);
    assert.ok(r.fmax_mhz > 12, `fmax ${r.fmax_mhz}`);
    // every pin of the constraints file reaches the placed design (the flash's SB_IO cells among them)
    const log = readFileSync(join(dirname(r.bitstream), "nextpnr.log"), "utf8");
    const pins = [
      ...readFileSync(fromRoot(BOARD_PCF), "utf8").matchAll(/^set_io\s+(?:-\S+\s+)*([\w[\]]+)/gm),
    ];
    assert.ok(
      pins.some((m) => m[1] === "FLASH_IO[3]"),
      "the flash pins are in the constraints",
    );
    for (const [, pin] of pins) assert.ok(log.includes(`constrained '${pin}'`), `${pin} placed`);
  });
});
