/**
 * The Verilator sim as a Device: boots the two-stage firmware (ROM loader + protocol app image in RAM,
 * firmware `make boot`), waits for the client to open the pty, and connects through `serialport` exactly
 * like a board. Each call starts a fresh SoC: nothing survives between sessions (no SPI flash model yet).
 */
import { SOC_CLOCK_HZ } from "../../fpga/soc/map.js";
import { buildBootImages } from "../../sim/device/firmware.js";
import { type SimDevice, type SimFaults, type SimStats, startSim } from "../../sim/device/sim-device.js";
import { DEFAULT_BAUD, type Device, DeviceOpenError, openSerialDevice } from "./device.js";

export const SIM_FRESH_NOTE = "sim: fresh device per command (the model is not kept between commands yet)";

/**
 * Simulated seconds per wall-clock second assumed until the simulator's speed is measured (the SoC
 * model runs 3–6 M of its 24 M cycles/s, 1.5 M on a loaded machine). The line rate seen from the host
 * is the UART rate times the speed, and the link's timers stretch by its inverse: erring low only
 * lengthens them, erring high makes a window of 1 KiB frames time out while it is still on the line.
 */
export const SIM_SPEED_FACTOR = 0.05;
/** The measured speed is sampled this often, and used with this margin for slowdowns in between. */
const SPEED_SAMPLE_MS = 250;
const SPEED_MARGIN = 0.6;

export interface SimDeviceOptions {
  /** External memory through the board's QSPI controller and a pin-level PSRAM (sim-device.ts). */
  readonly xmemPins?: boolean;
  /** UART line rate of the simulated SoC (default: its reset rate, as on the board). */
  readonly baud?: number;
  readonly faults?: SimFaults;
  /** Build progress and simulator lines. */
  readonly log?: (line: string) => void;
}

/** A started sim device; `sim` gives its halts and, after close(), its statistics. */
export interface SimBackedDevice extends Device {
  readonly sim: SimDevice;
  /** Set once the device is closed. */
  readonly simStats: () => SimStats | undefined;
}

export async function openSimDevice(opts: SimDeviceOptions = {}): Promise<SimBackedDevice> {
  const baud = opts.baud ?? DEFAULT_BAUD;
  let images: Awaited<ReturnType<typeof buildBootImages>>;
  try {
    images = await buildBootImages();
  } catch (e) {
    throw new DeviceOpenError(
      `cannot build the firmware for the sim: ${String((e as Error).message).split("\n")[0]}`,
    );
  }
  const sim = await startSim({
    xmemPins: opts.xmemPins,
    firmwareHex: images.loaderHex,
    ramImage: images.appImage,
    baud,
    waitClientMs: 20,
    checkHostBaud: true,
    faults: opts.faults,
    onLine: opts.log,
    log: opts.log,
  });
  let stats: SimStats | undefined;
  // The simulator's speed varies with the machine's load: sample it, so the link's timers follow.
  let speed = SIM_SPEED_FACTOR;
  let last: { cycle: number; at: number } | undefined;
  const sampler = setInterval(() => {
    sim.mark().then(
      (m) => {
        const at = performance.now();
        if (last && at > last.at && m.cycle > last.cycle) {
          const measured = (m.cycle - last.cycle) / SOC_CLOCK_HZ / ((at - last.at) / 1000);
          speed = Math.min(1, Math.max(SIM_SPEED_FACTOR / 2, measured * SPEED_MARGIN));
        }
        last = { cycle: m.cycle, at };
      },
      () => {},
    );
  }, SPEED_SAMPLE_MS);
  sampler.unref();
  // Last resort if the process ends without close(): never leave a simulator running.
  const kill = () => sim.process.kill("SIGTERM");
  process.once("exit", kill);
  const device = await openSerialDevice(sim.ptyPath, {
    baud,
    kind: "sim",
    label: `sim (${sim.ptyPath})`,
    notes: [SIM_FRESH_NOTE],
    lineSpeed: () => speed,
    onClose: async () => {
      clearInterval(sampler);
      process.off("exit", kill);
      stats ??= await sim.stop();
    },
  });
  // Object.assign, not a spread: `baud` is a getter that follows SET_BAUD.
  return Object.assign(device, { sim, simStats: () => stats });
}
