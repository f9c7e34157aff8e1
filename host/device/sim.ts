/**
 * The Verilator sim as a Device: boots the two-stage firmware (ROM loader + protocol app image in RAM,
 * firmware `make boot`), waits for the client to open the pty, and connects through `serialport` exactly
 * like a board. `openSimDevice` starts a fresh SoC that ends with the session; `attachSimDevice` connects
 * to the SoC a running `quart sim` keeps (host/device/sim-state.ts), whose active model survives between
 * commands.
 */
import { SOC_CLOCK_HZ } from "../../fpga/soc/map.js";
import { buildBootImages } from "../../sim/device/firmware.js";
import { type SimDevice, type SimFaults, type SimStats, startSim } from "../../sim/device/sim-device.js";
import { DEFAULT_BAUD, type Device, DeviceOpenError, openSerialDevice } from "./device.js";
import { pauseSim, readSimState, resumeSim, type SimState } from "./sim-state.js";

export const SIM_FRESH_NOTE =
  "sim: fresh device for this command (start `quart sim` to keep one running and the model active between commands)";

export function simAttachedNote(s: SimState): string {
  return `sim: attached to quart sim (pid ${s.pid}); the model stays active between commands`;
}

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

/**
 * Measures the simulator's speed every `periodMs` (simulated cycles over wall time, SIGUSR1 marks) and
 * reports it with a margin for slowdowns in between, as the line speed to use. Returns the stopper.
 */
export function sampleSimSpeed(
  sim: SimDevice,
  onSpeed: (speed: number) => void,
  periodMs = SPEED_SAMPLE_MS,
  /** False while the simulator is paused: no sample, and the next one starts afresh. */
  running: () => boolean = () => true,
): () => void {
  let last: { cycle: number; at: number } | undefined;
  const sampler = setInterval(() => {
    if (!running()) {
      last = undefined;
      return;
    }
    sim.mark().then(
      (m) => {
        const at = performance.now();
        if (last && at > last.at && m.cycle > last.cycle) {
          const measured = (m.cycle - last.cycle) / SOC_CLOCK_HZ / ((at - last.at) / 1000);
          onSpeed(Math.min(1, Math.max(SIM_SPEED_FACTOR / 2, measured * SPEED_MARGIN)));
        }
        last = { cycle: m.cycle, at };
      },
      () => {},
    );
  }, periodMs);
  sampler.unref();
  return () => clearInterval(sampler);
}

export interface SimDeviceOptions {
  /** External memory through the board's QSPI controller and a pin-level PSRAM (sim-device.ts). */
  readonly xmemPins?: boolean;
  /** UART line rate of the simulated SoC (default: its reset rate, as on the board). */
  readonly baud?: number;
  readonly faults?: SimFaults;
  /**
   * File with the QSPI flash's contents: read at boot (the firmware activates the model stored there),
   * written back when the sim stops, so a later sim with the same file is the same board powered up
   * again. Without it every sim starts with an erased flash.
   */
  readonly flashFile?: string;
  /** Firmware profile: cycles per program counter, written when the sim stops (sim/device/pc-profile.ts). */
  readonly pcProfileFile?: string;
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
    flashFile: opts.flashFile,
    pcProfileFile: opts.pcProfileFile,
    onLine: opts.log,
    log: opts.log,
  });
  let stats: SimStats | undefined;
  // The simulator's speed varies with the machine's load: sample it, so the link's timers follow.
  let speed = SIM_SPEED_FACTOR;
  const stopSampling = sampleSimSpeed(sim, (v) => {
    speed = v;
  });
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
      stopSampling();
      process.off("exit", kill);
      stats ??= await sim.stop();
    },
  });
  // Object.assign, not a spread: `baud` is a getter that follows SET_BAUD.
  return Object.assign(device, { sim, simStats: () => stats });
}

/**
 * Connects to the SoC of a running `quart sim`. Closing the device closes the port only; the sim keeps
 * running, its clock paused until the next command attaches (sim-state.ts pauseSim). The link's timers
 * follow the speed `quart sim` last measured (re-read from its record).
 */
export async function attachSimDevice(state: SimState): Promise<Device> {
  let current = state;
  let lastRead = performance.now();
  const speed = () => {
    // The record is small and rewritten only when the speed or rate moves; a read per second suffices.
    const at = performance.now();
    if (at - lastRead > 1000) {
      lastRead = at;
      const s = readSimState();
      if (s && s.pid === state.pid) current = s;
    }
    return current.speed;
  };
  resumeSim(state.simPid);
  const device = await openSerialDevice(state.pty, {
    baud: state.baud,
    kind: "sim",
    label: `sim (${state.pty})`,
    notes: [simAttachedNote(state)],
    lineSpeed: speed,
  });
  // Paused again only by the command that had the port: one that found it busy leaves it running.
  const closePort = device.close.bind(device);
  let closing: Promise<void> | undefined;
  return Object.assign(device, {
    close() {
      closing ??= closePort().then(() => pauseSim(state.simPid));
      return closing;
    },
  });
}

export interface SimRequest extends SimDeviceOptions {
  /** Line rate the command asks for (--baud); must match a running sim's. */
  readonly requestedBaud?: number;
}

/**
 * `--sim` of a command: the running `quart sim` if there is one, else a private fresh SoC. Options that
 * only a fresh SoC can honour (fault injection, the pin-level memory) are refused against a running
 * sim rather than silently ignored.
 */
export async function openSimForCommand(req: SimRequest = {}): Promise<Device> {
  const state = readSimState();
  if (!state) {
    if (req.requestedBaud !== undefined && req.requestedBaud !== DEFAULT_BAUD)
      throw new DeviceOpenError(
        `a fresh sim runs its UART at its reset rate, ${DEFAULT_BAUD} baud (quart sim --baud ${req.requestedBaud} keeps one running at that rate)`,
      );
    return openSimDevice(req);
  }
  const why = (what: string) =>
    new DeviceOpenError(
      `${what} applies to a fresh sim, but quart sim (pid ${state.pid}) is running on ${state.pty}; give it to quart sim, or stop it`,
    );
  if (req.faults) throw why("fault injection");
  if (req.xmemPins && !state.xmemPins) throw why("--xmem-pins");
  if (req.requestedBaud !== undefined && req.requestedBaud !== state.baud)
    throw new DeviceOpenError(
      `quart sim (pid ${state.pid}) runs its UART at ${state.baud} baud, not ${req.requestedBaud}`,
    );
  return attachSimDevice(state);
}
