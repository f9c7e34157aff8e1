/**
 * A compiled model on the simulated SoC (CPU + UART + accelerator core + external PSRAM model) through the
 * serial protocol: a small random graph lowered for the icebreaker target → blob → LOAD over the pty → RUN
 * → the output codes must equal the instruction-level simulator's (sim/isa runBlob) bit for bit, and the
 * MAC and DMA counters its counters. The device's accelerator cycles are compared with the performance
 * model of the icebreaker target (every segment and the program on the SoC's PSRAM timing).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readBlob } from "../../../compiler/blob/reader.js";
import { contentsFromLowered, encodeBlob } from "../../../compiler/blob/writer.js";
import { encodeNpy } from "../../../compiler/data/npy.js";
import { assemble } from "../../../compiler/isa/asm.js";
import { perfModel } from "../../../compiler/isa/perf.js";
import { icebreaker } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import type { QGraph } from "../../../compiler/ptq/qgraph.js";
import { withSession } from "../../../host/device/device.js";
import { runBlobOnDevice } from "../../../host/device/run.js";
import { openSimDevice } from "../../../host/device/sim.js";
import { DeviceError } from "../../../host/protocol/index.js";
import { FIRMWARE_TOOLS } from "../../../sim/device/firmware.js";
import { fromRoot } from "../../../sim/device/paths.js";
import { SIM_TOOLS } from "../../../sim/device/sim-device.js";
import { runBlob } from "../../../sim/isa/run.js";
import { skipUnless, tempDir } from "../../fpga/cpu/cpu-harness.js";
import { randomInputCodes, randomQGraph } from "../../helpers/random-qgraph.js";

const skip = skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS]);

/** A small graph that fits the icebreaker buffers and arena. */
function smallGraph(acc32Output: boolean): QGraph {
  for (let seed = 1; seed <= 40; seed++) {
    const g = randomQGraph({ seed, input: [1, 3, 10, 10], layers: 3, acc32Output });
    const l = lowerQGraph(g, icebreaker, { ignoreArenaLimit: true });
    if (l.actBytes <= icebreaker.segments.ACT.bytes) return g;
  }
  throw new Error("no small graph fits");
}

describe("a compiled model on the simulated SoC", { skip, timeout: 300_000 }, () => {
  test("LOAD + RUN over the serial protocol = sim/isa runBlob, with device counters", async () => {
    const cases = [false, true].map((acc32) => {
      const g = smallGraph(acc32);
      const lowered = lowerQGraph(g, icebreaker);
      const bytes = encodeBlob(contentsFromLowered(lowered));
      const blob = readBlob(bytes);
      const input = randomInputCodes(g, 5);
      const ref = runBlob(blob, input);
      return { name: `${g.name}${acc32 ? " (acc32 output)" : ""}`, lowered, bytes, blob, input, ref };
    });
    await withSession(
      () => openSimDevice(),
      async ({ client }) => {
        await client.setBaud(3_000_000);
        for (const c of cases) {
          const load = await client.load(c.bytes);
          assert.equal(load.verified, true);
          const r = await runBlobOnDevice(client, c.blob, c.input);
          assert.deepEqual(Array.from(r.codes), Array.from(c.ref.codes), `${c.name}: output codes`);
          assert.equal(r.macs, c.ref.counters.macs, `${c.name}: MACs`);
          const dma = c.ref.counters.dmaBytes;
          assert.equal(r.counters.load_bytes, dma.LOAD, `${c.name}: LOAD bytes`);
          assert.equal(r.counters.loadt_bytes, dma.LOADT, `${c.name}: LOADT bytes`);
          assert.equal(r.counters.store_bytes, dma.STORE, `${c.name}: STORE bytes`);
          assert.equal(r.counters.tokens, 0, `${c.name}: tokens left`);
          const model = perfModel(c.lowered.program, icebreaker).cycles;
          const ratio = r.cycles / model;
          console.log(
            `${c.name}: ${c.bytes.length} B blob, device ${r.cycles} accelerator cycles (whole RUN ${r.counters.run_cycles}); ` +
              `perf model ${model} (icebreaker) → ${ratio.toFixed(3)}×; xmem busy ${r.counters.xmem_busy}, wait ${r.counters.xmem_wait}`,
          );
          // The model knows the PSRAM's latency and rate but not the arbitration between the ports.
          assert.ok(ratio > 0.8 && ratio < 1.6, `${c.name}: device/PSRAM-model cycle ratio ${ratio}`);
        }

        // A program the core refuses (LOADT into INP) and one that never finishes (a NOP waiting for a
        // token nobody pushes): RUN_FAILED, the core is reset, and the device runs the model again.
        const good = cases[0]!;
        const variant = (text: string) => {
          const bytes = encodeBlob(contentsFromLowered({ ...good.lowered, program: assemble(text) }));
          return { bytes, blob: readBlob(bytes) };
        };
        const bad = variant("LOADT buf=INP seg=TBL ebits=E8 n0=64\nFINISH");
        await client.load(bad.bytes);
        await assert.rejects(runBlobOnDevice(client, bad.blob, good.input), (e: unknown) => {
          assert.ok(e instanceof DeviceError && e.is("RUN_FAILED"), String(e));
          assert.equal((e.detail ?? 0) & 0xff0000, 0x450000, "APP_ST_ACCEL_ERROR with STATUS bits 15:8");
          return true;
        });
        const hang = variant("NOP pop_prev\nFINISH");
        await client.load(hang.bytes);
        await assert.rejects(
          runBlobOnDevice(client, hang.blob, good.input, { maxCycles: 200_000 }),
          (e: unknown) => {
            assert.ok(e instanceof DeviceError && e.is("RUN_FAILED"), String(e));
            assert.equal(e.detail, 0x5254, "APP_ST_RUN_TIMEOUT");
            return true;
          },
        );
        await client.load(good.bytes);
        const again = await runBlobOnDevice(client, good.blob, good.input);
        assert.deepEqual(Array.from(again.codes), Array.from(good.ref.codes), "after the failures");
      },
    );
  });

  test("with the board's QSPI controller and a pin-level PSRAM in place of the timed model", async () => {
    const g = smallGraph(false);
    const lowered = lowerQGraph(g, icebreaker);
    const bytes = encodeBlob(contentsFromLowered(lowered));
    const blob = readBlob(bytes);
    const input = randomInputCodes(g, 11);
    const ref = runBlob(blob, input);
    await withSession(
      () => openSimDevice({ xmemPins: true }),
      async ({ client }) => {
        await client.setBaud(3_000_000);
        assert.equal((await client.load(bytes)).verified, true);
        const r = await runBlobOnDevice(client, blob, input);
        assert.deepEqual(Array.from(r.codes), Array.from(ref.codes), "output codes");
        assert.equal(r.macs, ref.counters.macs);
        console.log(
          `QSPI controller (SCLK = clk / 2): ${r.cycles} accelerator cycles, whole RUN ${r.counters.run_cycles}`,
        );
      },
    );
  });

  test("quart run <blob> <npy> --sim --check", async () => {
    const g = smallGraph(false);
    const dir = tempDir("run");
    const blobFile = join(dir, "model.bin");
    const inFile = join(dir, "in.npy");
    const outFile = join(dir, "out.npy");
    writeFileSync(blobFile, encodeBlob(contentsFromLowered(lowerQGraph(g, icebreaker))));
    const input = randomInputCodes(g, 9);
    writeFileSync(inFile, encodeNpy({ dtype: "uint8", shape: [1, 3, 10, 10], data: Uint8Array.from(input) }));
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [
          fromRoot("dist/host/cli.js"),
          "run",
          blobFile,
          inFile,
          "--sim",
          "--switch-baud",
          "3000000",
          "--check",
          "--json",
          "-o",
          outFile,
        ],
        { timeout: 120_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.identical_to_simulator, true);
    assert.ok(out.accel_cycles > 0 && out.macs > 0, r.stdout);
  });

  test("quart bench reports device cycles, compute FPS, end-to-end FPS and link rate, each on its own", async () => {
    const g = smallGraph(false);
    const dir = tempDir("quart-bench-");
    const blobFile = join(dir, "model.bin");
    writeFileSync(blobFile, encodeBlob(contentsFromLowered(lowerQGraph(g, icebreaker))));
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [fromRoot("dist/host/cli.js"), "bench", blobFile, "--sim", "--frames", "3", "--json"],
        { timeout: 180_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.frames, 3);
    assert.ok(out.device_cycles_min > 0 && out.device_cycles_min <= out.device_cycles_max, r.stdout);
    // The same program on the same input takes the same cycles every frame.
    assert.equal(out.device_cycles_min, out.device_cycles_max);
    assert.ok(Math.abs(out.compute_fps - out.clock_hz / out.device_cycles_per_frame) < 1e-6);
    assert.ok(out.device_fps_with_firmware < out.compute_fps, "RUN adds the firmware's data movement");
    assert.ok(out.end_to_end_fps > 0 && out.end_to_end_fps < out.compute_fps, "the link costs time");
    assert.ok(out.link_kb_per_s > 0);
  });
});
