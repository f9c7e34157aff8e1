/**
 * The firmware profile of the simulated SoC (`--pc-profile`, sim/device/pc-profile.ts): every simulated
 * cycle lands at one program counter, and the ELFs' symbols name the functions they belong to.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { withSession } from "../../host/device/device.js";
import { openSimDevice } from "../../host/device/sim.js";
import { buildBootImages, FIRMWARE_TOOLS } from "../../sim/device/firmware.js";
import {
  attribute,
  PC_PROFILE_TOOLS,
  parsePcProfile,
  profileByFunction,
} from "../../sim/device/pc-profile.js";
import { SIM_TOOLS } from "../../sim/device/sim-device.js";
import { skipUnless, tempDir } from "../fpga/cpu/cpu-harness.js";

test("profile lines: parsed, a malformed one named; cycles attributed to the symbol at or below", () => {
  const p = parsePcProfile("00000000 5\n00010004 7\n00010010 11\nother 2\n");
  assert.deepEqual(
    [...p],
    [
      [0, 5],
      [0x10004, 7],
      [0x10010, 11],
      [-1, 2],
    ],
  );
  assert.throws(() => parsePcProfile("00000000 5\n0001 x\n"), /line 2: "0001 x"/);
  const syms = [
    { addr: 0x10000, name: "main" },
    { addr: 0x10010, name: "poll" },
  ];
  assert.deepEqual(attribute(p, syms), [
    { name: "poll", cycles: 11 },
    { name: "main", cycles: 7 },
    { name: "(below the first symbol: 0x0)", cycles: 5 },
    { name: "(outside ROM and RAM)", cycles: 2 },
  ]);
});

describe("firmware profile of the simulated SoC", {
  skip: skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS, ...PC_PROFILE_TOOLS]),
  timeout: 300_000,
}, () => {
  test("every cycle at a program counter of the loader or the app; the boot and the main loop named", async () => {
    const file = join(tempDir("pc-profile"), "pc.prof");
    const dev = await openSimDevice({ pcProfileFile: file });
    await withSession(
      async () => dev,
      async (s) => {
        await s.client.hello();
      },
    );
    const stats = dev.simStats();
    assert.ok(stats, "the simulator reported its statistics");
    const profile = parsePcProfile(readFileSync(file, "utf8"));
    const total = [...profile.values()].reduce((a, c) => a + c, 0);
    assert.equal(total, stats.cycles, "one program counter per simulated cycle");
    assert.equal(profile.get(-1) ?? 0, 0, "the CPU runs from ROM and RAM only");
    const images = await buildBootImages();
    const fns = await profileByFunction(file, [images.loaderElf, images.appElf]);
    const cycles = new Map(fns.map((f) => [f.name, f.cycles]));
    for (const name of ["_start", "main", "qp_link_poll"])
      assert.ok((cycles.get(name) ?? 0) > 0, `${name} has cycles`);
    assert.ok(
      fns.every((f) => !f.name.startsWith("(")),
      `every pc inside a named function: ${fns.filter((f) => f.name.startsWith("(")).map((f) => f.name)}`,
    );
  });
});
