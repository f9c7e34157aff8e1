/**
 * The demo's last stage: the quantized model lowered for the icebreaker SoC and run on the simulated
 * device (the Verilator SoC behind its serial port, the running `quart sim` if there is one), exactly as
 * a board would run it: flashed over the framed protocol at 3 Mbaud, one frame in, depth codes and the
 * device's counters out. The codes must be the golden model's; the figures are the device's own.
 */
import { packModel } from "../../compiler/blob/pack.js";
import { perfOfBlob } from "../../compiler/blob/perf.js";
import { readBlob } from "../../compiler/blob/reader.js";
import { deviceImageOf } from "../../compiler/blob/writer.js";
import type { QGraph } from "../../compiler/ptq/qgraph.js";
import { switchBaud } from "../commands/device.js";
import { openSimForCommand } from "../device/sim.js";
import { openDeviceExecutor } from "./device-executor.js";
import { progress } from "./progress.js";

export const DEVICE_TARGET = "icebreaker";
const FLASH_BAUD = 3_000_000;

export interface DeviceStageResult {
  target: string;
  device: string;
  image_bytes: number;
  flashed: boolean;
  flash_seconds: number;
  bit_exact_with_golden: boolean;
  accel_cycles: number | null;
  /** The whole RUN on the device: input into the arena, the core, output gathered. */
  run_cycles: number | null;
  model_cycles: number;
  clock_hz: number | null;
  compute_fps: number | null;
  fps_with_firmware: number | null;
  /** Host wall clock of the RUN exchange on the simulator (not the board's speed). */
  sim_run_seconds: number;
}

export async function runDemoOnSimDevice(
  q: QGraph,
  input: Float32Array,
  goldenRaw: Uint8Array,
  opts: { quiet: boolean },
): Promise<DeviceStageResult> {
  const blob = readBlob(packModel(q, { target: DEVICE_TARGET }));
  const bytes = deviceImageOf(blob);
  const bar = progress(`flash ${DEVICE_TARGET} image to the simulated SoC`, bytes.length, {
    quiet: opts.quiet,
  });
  const t0 = Date.now();
  const dev = await openDeviceExecutor({
    name: `${q.name} (${DEVICE_TARGET})`,
    bytes,
    blob,
    open: () => openSimForCommand(),
    prepare: async (session) => {
      await switchBaud(session, { switchBaud: String(FLASH_BAUD) });
    },
    onFlashProgress: (p) => bar.update(p.bytes, `${(p.rate / 1024).toFixed(1)} KiB/s`),
  });
  bar.done();
  const flashSeconds = (Date.now() - t0) / 1000;
  try {
    const t1 = Date.now();
    const out = await dev.executor.run(input);
    const runSeconds = (Date.now() - t1) / 1000;
    const m = dev.lastFrame();
    const perSecond = (cycles: number | null) => (cycles && m.clockHz ? m.clockHz / cycles : null);
    return {
      target: DEVICE_TARGET,
      device: dev.label,
      image_bytes: bytes.length,
      flashed: !dev.load.skipped,
      flash_seconds: flashSeconds,
      bit_exact_with_golden: Buffer.from(out.raw).equals(Buffer.from(goldenRaw)),
      accel_cycles: m.deviceCycles,
      run_cycles: m.firmwareCycles ?? null,
      model_cycles: perfOfBlob(blob).cycles,
      clock_hz: m.clockHz ?? null,
      compute_fps: perSecond(m.deviceCycles),
      fps_with_firmware: perSecond(m.firmwareCycles ?? null),
      sim_run_seconds: runSeconds,
    };
  } finally {
    await dev.close();
  }
}
