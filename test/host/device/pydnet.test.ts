/**
 * Hardware in the loop with the real model: PyDNet-mobile quantized to W4A4 (cached quantized graph,
 * test/helpers/pydnet-qgraph.ts) at a 128×320 input, lowered for the icebreaker target (the SoC as
 * built: program, weights and tables in a model slot of the external PSRAM, activations in its ACT
 * arena), then `quart run --sim` uploads it at 3 Mbaud into the simulated SoC and runs one real
 * mosd-test frame. The depth codes must be the integer golden executor's, bit for bit, and the core's
 * cycles within 5 % of the performance model of the same target.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { qgraphOfBlob } from "../../../compiler/blob/pack.js";
import { perfOfBlob } from "../../../compiler/blob/perf.js";
import { readBlob } from "../../../compiler/blob/reader.js";
import { readNpy } from "../../../compiler/data/npy.js";
import { openRgbdFolder } from "../../../compiler/data/rgbd-folder.js";
import { icebreaker } from "../../../compiler/isa/targets.js";
import { missingShared, pydnetModelPath, sharedPath } from "../../../compiler/paths.js";
import { runGolden } from "../../../compiler/ptq/golden.js";
import { constant } from "../../../fpga/soc/map.js";
import { inputCodesFor } from "../../../host/commands/device.js";
import { uploadImage } from "../../../host/device/run.js";
import { FIRMWARE_TOOLS } from "../../../sim/device/firmware.js";
import { SIM_TOOLS } from "../../../sim/device/sim-device.js";
import { skipUnless, tempDir } from "../../fpga/cpu/cpu-harness.js";
import { cachedPydnetQGraph, quartCli } from "../../helpers/pydnet-qgraph.js";

const testSet = sharedPath("data", "mosd-test");
const skip =
  skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS]) ||
  missingShared([pydnetModelPath(), sharedPath("data", "mosd-learn"), testSet]);

/** A multiple of the network's 64-pixel stride that keeps the simulated run short (the arena takes 192×640). */
const INPUT_SIZE = "128x320";

describe("PyDNet-mobile W4A4 on the simulated device", { skip, timeout: 1_800_000 }, () => {
  test("quart run --sim on a mosd-test frame = the golden executor, cycles within 5 % of the model", async () => {
    const t0 = performance.now();
    const qgraphFile = await cachedPydnetQGraph({
      inputSize: INPUT_SIZE,
      recipe: "w4a4",
      method: "rtn",
      images: 2,
    });
    const dir = tempDir("pydnet-hil");
    const blobFile = join(dir, "pydnet.bin");
    await quartCli(["compile", qgraphFile, "--target", "icebreaker", "-o", blobFile, "--json"]);
    const bytes = new Uint8Array(readFileSync(blobFile));
    const blob = readBlob(bytes);
    assert.equal(blob.target, "icebreaker");
    // what goes up the link: the device image, without the META only host tools read
    const image = uploadImage(bytes);
    assert.ok(image.length < bytes.length);
    assert.ok(image.length <= constant("XMEM_SLOT_SIZE"), `device image ${image.length} B fits a model slot`);
    assert.ok(blob.header.actBytes <= constant("XMEM_ACT_SIZE"));
    const tCompile = performance.now();

    const frame = openRgbdFolder(testSet).samples[0]!;
    const codes = inputCodesFor(blob, frame.rgbPath);
    assert.ok(codes instanceof Uint8Array, "the network input is 8-bit codes");
    const gold = await runGolden(qgraphOfBlob(blob), codes);
    const model = perfOfBlob(blob, icebreaker);
    const tGolden = performance.now();

    const outFile = join(dir, "depth.npy");
    const stdout = await quartCli(
      ["run", blobFile, frame.rgbPath, "--sim", "--switch-baud", "3000000", "-o", outFile, "--json"],
      1_500_000,
    );
    const tRun = performance.now();
    const out = JSON.parse(stdout) as {
      flashed: boolean;
      flash_seconds: number;
      accel_cycles: number;
      model_cycles: number;
      macs: number;
      host_seconds: number;
      counters: Record<string, number>;
    };
    assert.equal(out.flashed, true);
    const depth = readNpy(outFile);
    assert.deepEqual(depth.shape, blob.io.output.shape);
    assert.equal(depth.data.length, gold.codes.length);
    const first = gold.codes.findIndex((v, i) => v !== depth.data[i]);
    assert.equal(first, -1, `first depth code that differs from the golden executor: ${first}`);
    // Padding taps are the only MACs the array runs beyond the model's.
    assert.ok(out.macs >= model.macs, `device MACs ${out.macs} < model MACs ${model.macs}`);
    assert.equal(out.model_cycles, model.cycles, "quart run reports the same performance model");
    const ratio = out.accel_cycles / model.cycles;
    const c = out.counters;
    console.log(
      `PyDNet ${INPUT_SIZE}: blob ${bytes.length} B (device image ${image.length} B), device ${out.accel_cycles} accelerator cycles ` +
        `(whole RUN ${c.run_cycles}), perf model ${model.cycles} → ${ratio.toFixed(4)}×; xmem busy ${c.xmem_busy}, ` +
        `wait ${c.xmem_wait}; wall: quantize+lower ${((tCompile - t0) / 1000).toFixed(1)} s, golden ` +
        `${((tGolden - tCompile) / 1000).toFixed(1)} s, quart run ${((tRun - tGolden) / 1000).toFixed(1)} s ` +
        `(flash ${out.flash_seconds.toFixed(1)} s, run ${out.host_seconds.toFixed(1)} s)`,
    );
    assert.ok(Math.abs(ratio - 1) <= 0.05, `device/model cycle ratio ${ratio}`);

    // The live view headless on the real frame folder (issue 7): the same blob on a device, per-frame
    // device cycles and the three rates kept apart, the depth the golden executor's.
    const tLive = performance.now();
    const live = JSON.parse(
      await quartCli(
        [
          "live",
          "--frames",
          join(testSet, "rgb"),
          "--sim",
          "--switch-baud",
          "3000000",
          "--model",
          blobFile,
        ].concat(["--limit", "1", "--json"]),
        1_500_000,
      ),
    ) as {
      per_frame: Array<{
        name: string | null;
        device_cycles: number;
        firmware_cycles: number;
        compute_fps: number;
        device_fps_with_firmware: number;
        end_to_end_fps: number;
      }>;
      outputs_sha256: string;
    };
    assert.equal(live.per_frame.length, 1);
    const f = live.per_frame[0]!;
    assert.equal(f.name, "test0.png", "natural name order starts at the frame run above");
    assert.equal(f.device_cycles, out.accel_cycles, "the same frame takes the same cycles");
    assert.ok(f.firmware_cycles > f.device_cycles);
    assert.ok(Math.abs(f.compute_fps - 24e6 / f.device_cycles) < 1e-6 * f.compute_fps);
    assert.ok(f.compute_fps > f.device_fps_with_firmware && f.device_fps_with_firmware > f.end_to_end_fps);
    const goldRaw = new Uint8Array(gold.codes.buffer, gold.codes.byteOffset, gold.codes.byteLength);
    assert.equal(live.outputs_sha256, createHash("sha256").update(goldRaw).digest("hex"));
    console.log(
      `quart live (${f.name}): ${f.device_cycles} device cycles, ${f.compute_fps.toFixed(3)} FPS compute, ` +
        `${f.device_fps_with_firmware.toFixed(3)} FPS with the firmware, ${f.end_to_end_fps.toFixed(4)} FPS end to end ` +
        `(simulator wall clock); ${((performance.now() - tLive) / 1000).toFixed(1)} s`,
    );
  });
});
