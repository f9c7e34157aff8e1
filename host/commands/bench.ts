/**
 * `quart bench`: a model run frame after frame on a device, with its figures kept apart — device
 * cycles per frame, the compute FPS they give at the board's clock, the end-to-end FPS the host sees
 * (link and firmware included), and the link's byte rate.
 */
import type { Command } from "commander";
import { perfOfBlob } from "../../compiler/blob/perf.js";
import type { Blob } from "../../compiler/blob/reader.js";
import { prng } from "../../compiler/prng.js";
import type { Codes } from "../../compiler/ptq/qgraph.js";
import { UserError } from "../app/output.js";
import { withSession } from "../device/device.js";
import { runBlobOnDevice } from "../device/run.js";
import {
  addDeviceOptions,
  checkDeviceIsa,
  type DeviceOptions,
  deviceOpener,
  inputCodesFor,
  readBlobFile,
  switchBaud,
} from "./device.js";

/** Input codes for a bench: a file as `quart run` takes it, or seeded random codes of the input's size. */
function benchInput(blob: Blob, file: string | undefined): Codes {
  if (file) return inputCodesFor(blob, file);
  const d = blob.io.input;
  const n = d.shape.reduce((a, b) => a * b, 1);
  const rand = prng(7);
  if (d.layout.ebits === 4) return Uint8Array.from({ length: n }, () => Math.floor(rand() * 16));
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

export function registerBench(program: Command): void {
  addDeviceOptions(
    program
      .command("bench <blob>")
      .description(
        "run a model repeatedly on a device: device cycles/frame, compute FPS at the board clock, end-to-end FPS and link rate (kept separate)",
      ),
  )
    .option("--frames <n>", "frames to run", "5")
    .option("--input <file>", "input as quart run takes it (default: random codes)")
    .action(
      async (blobFile: string, opts: DeviceOptions & { json?: boolean; frames: string; input?: string }) => {
        const frames = Number(opts.frames);
        if (!Number.isInteger(frames) || frames < 1)
          throw new UserError(`--frames must be a positive integer`);
        const { bytes, blob } = readBlobFile(blobFile);
        const codes = benchInput(blob, opts.input);
        await withSession(deviceOpener(opts), async (session) => {
          const baud = await switchBaud(session, opts);
          const { device, client } = session;
          checkDeviceIsa(session.info, blob, blobFile);
          await client.load(bytes);
          const cycles: number[] = [];
          const runCycles: number[] = [];
          let linkBytes = 0;
          const t0 = performance.now();
          for (let f = 0; f < frames; f++) {
            const r = await runBlobOnDevice(client, blob, codes);
            cycles.push(r.cycles);
            runCycles.push(r.counters.run_cycles ?? r.cycles);
            linkBytes += r.run.output.length + (codes instanceof Int32Array ? 4 : 1) * codes.length;
          }
          const seconds = (performance.now() - t0) / 1000;
          const clockHz = session.info.clockHz;
          const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
          const deviceCycles = mean(cycles);
          const model = perfOfBlob(blob).cycles;
          const out = {
            blob: blobFile,
            port: device.label,
            baud,
            frames,
            device_cycles_per_frame: deviceCycles,
            device_cycles_min: Math.min(...cycles),
            device_cycles_max: Math.max(...cycles),
            model_cycles_per_frame: model,
            clock_hz: clockHz ?? null,
            compute_fps: clockHz ? clockHz / deviceCycles : null,
            device_fps_with_firmware: clockHz ? clockHz / mean(runCycles) : null,
            end_to_end_fps: frames / seconds,
            link_kb_per_s: linkBytes / 1000 / seconds,
            wall_seconds: seconds,
            notes: device.notes,
          };
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
            return;
          }
          const f2 = (x: number | null) => (x === null ? "n/a" : x.toFixed(2));
          process.stdout.write(
            `${frames} frames of ${blobFile} on ${device.label}\n` +
              `  device:      ${deviceCycles.toFixed(0)} accelerator cycles/frame (model ${model})\n` +
              `  compute:     ${f2(out.compute_fps)} FPS at ${clockHz ? (clockHz / 1e6).toFixed(0) : "?"} MHz` +
              ` (${f2(out.device_fps_with_firmware)} FPS with the firmware's data movement)\n` +
              `  end to end:  ${out.end_to_end_fps.toFixed(2)} FPS (host wall clock, link included)\n` +
              `  link:        ${out.link_kb_per_s.toFixed(2)} kB/s of frames\n` +
              device.notes.map((n) => `note: ${n}\n`).join(""),
          );
        });
      },
    );
}
