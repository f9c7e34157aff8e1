/** How long a RUN may take: the firmware's and host's defaults for small models, 4× the estimate for big ones. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FIRMWARE_RUN_TIMEOUT_S, runBudget } from "../../../host/device/run.js";
import { replyTimeoutMs } from "../../../host/protocol/policy.js";

test("small models keep the defaults; larger ones get 4× the performance model's cycles on both ends", () => {
  const clock = 24e6;
  assert.deepEqual(runBudget(30_211, clock), {});
  assert.deepEqual(runBudget((FIRMWARE_RUN_TIMEOUT_S * clock) / 4, clock), {}, "exactly the default");
  const big = runBudget(200e6, clock);
  assert.equal(big.maxCycles, 800e6);
  assert.equal(big.replyTimeoutMs, replyTimeoutMs("RUN") + (1000 * 800e6) / clock);
  assert.ok(big.replyTimeoutMs! > replyTimeoutMs("RUN"), "the host waits longer than the default too");
  const huge = runBudget(5e9, clock);
  assert.equal(huge.maxCycles, 0xffffffff, "RUN.max_cycles is a u32");
  assert.deepEqual(runBudget(1e9, 0), {}, "no clock from the device: defaults");
});
