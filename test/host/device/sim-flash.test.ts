/**
 * `quart sim --flash FILE`: the simulated SoC keeps its QSPI flash in a file. A model `quart flash` stored
 * is active again after `quart sim` is stopped and started anew on the same file (a power cycle of the
 * board), so `quart run` runs it without an upload, bit-identical to the instruction-level simulator.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import { contentsFromLowered, encodeBlob } from "../../../compiler/blob/writer.js";
import { encodeNpy } from "../../../compiler/data/npy.js";
import { icebreaker } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { region } from "../../../fpga/soc/map.js";
import { uploadImage } from "../../../host/device/run.js";
import { crc32 } from "../../../host/protocol/index.js";
import { FIRMWARE_TOOLS } from "../../../sim/device/firmware.js";
import { fromRoot } from "../../../sim/device/paths.js";
import { SIM_TOOLS } from "../../../sim/device/sim-device.js";
import { skipUnless, tempDir } from "../../fpga/cpu/cpu-harness.js";
import { randomInputCodes, randomQGraph } from "../../helpers/random-qgraph.js";

const skip = skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS]);
const CLI = fromRoot("dist/host/cli.js");

function quart(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** Starts `quart sim --json --flash FILE`; resolves once it printed its record line. */
async function startQuartSim(flashFile: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const sim = spawn(process.execPath, [CLI, "sim", "--json", "--flash", flashFile], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: sim.stdout! });
    rl.once("line", (l) => {
      rl.close();
      resolve(l);
    });
    sim.once("exit", (code) => reject(new Error(`quart sim exited (${code}) before printing its port`)));
  });
  return sim;
}

async function stop(sim: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => sim.once("exit", resolve));
  sim.kill("SIGTERM");
  await exited;
}

describe("quart sim --flash keeps the stored model across restarts", { skip, timeout: 300_000 }, () => {
  test("flash, stop quart sim, start it again on the same file: the model runs without an upload", async () => {
    const dir = tempDir("sim-flash");
    const env = { ...process.env, QUART_RUNTIME_DIR: join(dir, "run") };
    const g = randomQGraph({ seed: 1, input: [1, 3, 10, 10], layers: 3, acc32Output: false });
    const bytes = encodeBlob(contentsFromLowered(lowerQGraph(g, icebreaker)));
    const blobFile = join(dir, "model.bin");
    writeFileSync(blobFile, bytes);
    const inFile = join(dir, "in.npy");
    writeFileSync(inFile, encodeNpy({ dtype: "uint8", shape: [1, 3, 10, 10], data: randomInputCodes(g, 4) }));
    const flashFile = join(dir, "flash.bin");
    // what goes up the link: the blob without the META section only host tools read
    const image = uploadImage(bytes);
    const crc = `0x${crc32(image).toString(16).padStart(8, "0")}`;

    let sim = await startQuartSim(flashFile, env);
    try {
      const flash = await quart(["flash", blobFile, "--sim", "--json"], env);
      assert.equal(flash.code, 0, flash.stderr);
      assert.equal(JSON.parse(flash.stdout).verified, true);
    } finally {
      await stop(sim);
    }
    assert.equal(statSync(flashFile).size, region("FLASH").size, "the whole flash was saved");

    sim = await startQuartSim(flashFile, env);
    try {
      const info = await quart(["info", "--sim", "--json"], env);
      assert.equal(info.code, 0, info.stderr);
      const i = JSON.parse(info.stdout);
      assert.deepEqual(i.active_model, { size: image.length, crc });
      assert.deepEqual(i.stored_model, { size: image.length, crc, commit: 1 });
      const run = await quart(["run", blobFile, inFile, "--sim", "--json", "--check"], env);
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout);
      assert.equal(r.flashed, false, "no upload: the model came back from the flash");
      assert.equal(r.identical_to_simulator, true);
    } finally {
      await stop(sim);
    }
  });
});
