/**
 * Parsing of yosys 0.23's `stat -json` for a synthesis with the hierarchy kept (synth.js --modules): the
 * instance tree it writes as text inside the JSON is dropped, and each module's LUT4 are counted over
 * all its instances (a kept sub-module is a cell type of its parent).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseBlockStat, splitStatJson } from "../../../sim/rtl/synth.js";

// The shape yosys 0.23 writes: modules, the instance tree as text, then the design totals.
const STAT = `{
   "creator": "Yosys 0.23",
   "modules": {
      "$paramod$3f\\\\quart_pe": {
         "num_cells": 20,
         "num_cells_by_type": {
            "SB_LUT4": 18,
            "quart_mul": 1
         }
      },
      "$paramod\\\\quart_dma\\\\W=s32'00000000000000000000000000001000": {
         "num_cells": 100,
         "num_cells_by_type": {
            "SB_LUT4": 100
         }
      },
      "\\\\quart_mul": {
         "num_cells": 55,
         "num_cells_by_type": {
            "SB_LUT4": 55
         }
      },
      "\\\\top": {
         "num_cells": 12,
         "num_cells_by_type": {
            "$paramod$3f\\\\quart_pe": 4,
            "$paramod\\\\quart_dma\\\\W=s32'00000000000000000000000000001000": 3,
            "SB_LUT4": 7
         }
      }
   },
       $paramod$3f\\quart_pe      4
         quart_mul                 1
       $paramod\\quart_dma\\W=s32'00000000000000000000000000001000      3
      "design": {
         "num_cells_by_type": {
            "SB_LUT4": 599,
            "SB_DFF": 3
         }
      }
}
`;

describe("synth.js: yosys stat of a kept hierarchy", () => {
  test("instance counts multiply down the tree; LUT4 per module over its instances", () => {
    const { stat, instances } = splitStatJson(STAT, "top");
    assert.equal(instances.get("top"), 1);
    assert.equal(instances.get("$paramod$3f\\quart_pe"), 4);
    assert.equal(instances.get("quart_mul"), 4);
    assert.equal(instances.get("$paramod\\quart_dma\\W=s32'00000000000000000000000000001000"), 3);
    const r = parseBlockStat(stat, instances);
    assert.deepEqual(r.lut4_by_module, { quart_pe: 72, quart_dma: 300, quart_mul: 220, top: 7 });
    // the per-module counts add up to the design total
    assert.equal(
      Object.values(r.lut4_by_module).reduce((a, b) => a + b, 0),
      r.lut4,
    );
    assert.equal(r.dff, 3);
  });

  test("a top with parameters set (its module is a $paramod variant) is found as the uninstantiated module", () => {
    const { stat, instances } = splitStatJson(STAT.replace('"\\\\top"', '"$paramod\\\\top\\\\N=1"'), "top");
    assert.equal(instances.get("$paramod\\top\\N=1"), 1);
    assert.equal(instances.get("quart_mul"), 4);
    assert.equal(parseBlockStat(stat, instances).lut4_by_module.quart_dma, 300);
  });
});
