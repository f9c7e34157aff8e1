import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../../../compiler/paths.js";
import { boardOf, listPorts } from "../../../host/device/discover.js";

test("boards are recognised by their USB bridge, case-insensitively", () => {
  assert.match(boardOf("0403", "6010") ?? "", /icebreaker/);
  assert.match(boardOf("0403", "6010".toUpperCase()) ?? "", /icebreaker/);
  assert.equal(boardOf("0403", "6001"), null);
  assert.equal(boardOf(undefined, undefined), null);
});

test("quart devices --json lists ports and the simulator", async () => {
  const out = execFileSync(
    process.execPath,
    [join(projectRoot(), "dist", "host", "cli.js"), "devices", "--json"],
    { encoding: "utf8" },
  );
  const j = JSON.parse(out) as { ports: unknown[]; sim: { available: boolean } };
  assert.equal(j.ports.length, (await listPorts()).length);
  assert.equal(typeof j.sim.available, "boolean");
});
