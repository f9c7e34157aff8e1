/**
 * The record of a running `quart sim`: written whole or not at all, ignored when its owner is gone or it
 * is malformed, removed only by its owner.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  processAlive,
  readSimState,
  removeSimState,
  runtimeDir,
  SIM_STATE_VERSION,
  type SimState,
  writeSimState,
} from "../../../host/device/sim-state.js";
import { tempDir } from "../../fpga/cpu/cpu-harness.js";

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  const pid = Number(r.stdout);
  assert.ok(pid > 0 && !processAlive(pid));
  return pid;
}

function state(over: Partial<SimState> = {}): SimState {
  return {
    version: SIM_STATE_VERSION,
    pid: process.pid,
    simPid: process.pid,
    // any path that exists stands in for the pty
    pty: process.execPath,
    baud: 115_200,
    speed: 0.05,
    xmemPins: false,
    faults: null,
    tcp: null,
    started: new Date(0).toISOString(),
    ...over,
  };
}

test("a live record is read back; the write leaves no temporary file", () => {
  const dir = tempDir("simstate");
  const path = join(dir, "sub", "sim.json");
  writeSimState(state({ baud: 3_000_000 }), path);
  assert.deepEqual(readdirSync(join(dir, "sub")), ["sim.json"]);
  assert.equal(readSimState(path)?.baud, 3_000_000);
  writeSimState(state({ baud: 1_000_000 }), path);
  assert.equal(readSimState(path)?.baud, 1_000_000);
});

test("stale, malformed or absent records are ignored", () => {
  const dir = tempDir("simstate");
  const path = join(dir, "sim.json");
  assert.equal(readSimState(path), undefined, "absent");
  const dead = deadPid();
  writeSimState(state({ pid: dead }), path);
  assert.equal(readSimState(path), undefined, "owner gone");
  writeSimState(state({ simPid: dead }), path);
  assert.equal(readSimState(path), undefined, "simulator gone");
  writeSimState(state({ pty: join(dir, "no-such-pty") }), path);
  assert.equal(readSimState(path), undefined, "pty gone");
  writeSimState(state({ version: SIM_STATE_VERSION + 1 }), path);
  assert.equal(readSimState(path), undefined, "other version");
  writeFileSync(path, '{"version": 1, "pid": ');
  assert.equal(readSimState(path), undefined, "half a record");
});

test("only the owner removes the record", () => {
  const dir = tempDir("simstate");
  const path = join(dir, "sim.json");
  writeSimState(state(), path);
  removeSimState(process.pid + 1, path);
  assert.ok(readSimState(path), "another pid leaves it");
  removeSimState(process.pid, path);
  assert.equal(readSimState(path), undefined);
});

test("QUART_RUNTIME_DIR places the record", () => {
  const before = process.env.QUART_RUNTIME_DIR;
  try {
    process.env.QUART_RUNTIME_DIR = "/some/where";
    assert.equal(runtimeDir(), "/some/where");
  } finally {
    if (before === undefined) delete process.env.QUART_RUNTIME_DIR;
    else process.env.QUART_RUNTIME_DIR = before;
  }
});
