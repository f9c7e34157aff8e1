/**
 * The Verilator sim as a Device: boots the two-stage firmware (ROM loader + protocol app image in RAM,
 * firmware `make boot`), waits for the client to open the pty, and connects through `serialport` exactly
 * like a board. Each call starts a fresh SoC: nothing survives between sessions (no SPI flash model yet).
 */
import { buildBootImages } from "../../sim/device/firmware.js";
import { type SimDevice, type SimFaults, type SimStats, startSim } from "../../sim/device/sim-device.js";
import { DEFAULT_BAUD, type Device, DeviceOpenError, openSerialDevice } from "./device.js";

export const SIM_FRESH_NOTE = "sim: fresh device per command (the model is not kept between commands yet)";

/**
 * Simulated seconds per wall-clock second, at least (the SoC model runs 3–6 M of its 24 M cycles/s, and
 * 1.5 M on a loaded machine): the line rate seen from the host is the UART rate times this, and the
 * link's retransmission timers allow for it. Erring low only lengthens the timers; erring high makes a
 * window of 1 KiB frames at 3 Mbaud time out while it is still on the line.
 */
export const SIM_SPEED_FACTOR = 0.05;

export interface SimDeviceOptions {
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
  // Last resort if the process ends without close(): never leave a simulator running.
  const kill = () => sim.process.kill("SIGTERM");
  process.once("exit", kill);
  const device = await openSerialDevice(sim.ptyPath, {
    baud,
    kind: "sim",
    label: `sim (${sim.ptyPath})`,
    notes: [SIM_FRESH_NOTE],
    lineSpeed: SIM_SPEED_FACTOR,
    onClose: async () => {
      process.off("exit", kill);
      stats ??= await sim.stop();
    },
  });
  // Object.assign, not a spread: `baud` is a getter that follows SET_BAUD.
  return Object.assign(device, { sim, simStats: () => stats });
}
