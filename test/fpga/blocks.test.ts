/** Runs the self-checking iverilog testbenches declared in fpga/build/sources.ts. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { RTL_INCLUDE_DIRS, TESTBENCHES } from "../../fpga/build/sources.js";
import { socMapHash } from "../../fpga/soc/map.js";
import { buildFirmware, FIRMWARE_TOOLS } from "../../sim/device/firmware.js";
import { fromRoot } from "../../sim/device/paths.js";
import { run } from "../../sim/device/tools.js";
import { skipUnless, tempDir } from "./cpu/cpu-harness.js";

const skip = skipUnless(["iverilog", "vvp"]);

async function runTb(top: string, files: readonly string[], plusargs: string[] = []): Promise<string> {
  const out = join(tempDir(top), `${top}.vvp`);
  await run("iverilog", [
    "-g2005",
    ...RTL_INCLUDE_DIRS.map((d) => `-I${fromRoot(d)}`),
    "-s",
    top,
    "-o",
    out,
    ...files.map((f) => fromRoot(f)),
  ]);
  const { stdout } = await run("vvp", ["-n", out, ...plusargs], { timeoutMs: 120_000 });
  return stdout;
}

describe("RTL block testbenches (iverilog)", { skip }, () => {
  for (const tb of TESTBENCHES.filter((t) => t.top !== "soc_tb")) {
    test(tb.top, async () => {
      const out = await runTb(tb.top, tb.files);
      assert.match(out, new RegExp(`^PASS ${tb.top}$`, "m"), out);
      assert.doesNotMatch(out, /^FAIL/m, out);
    });
  }

  describe("soc_tb boots the firmware", { skip: skipUnless(FIRMWARE_TOOLS) }, () => {
    let hex = "";
    before(async () => {
      hex = (await buildFirmware()).hex;
    });
    test("banner, map hash and echo", async () => {
      const tb = TESTBENCHES.find((t) => t.top === "soc_tb")!;
      const out = await runTb(tb.top, tb.files, [`+firmware=${hex}`, "+uart_div=8"]);
      assert.match(out, /^PASS soc_tb$/m, out);
      const hash = socMapHash().toString(16).padStart(8, "0");
      assert.match(out, new RegExp(`^BANNER QUART-FW .*map=0x${hash} fw_map=0x${hash}`, "m"), out);
    });
  });
});
