/**
 * The device behind the commands: a board on a serial port or the Verilator sim on a pty, behind one
 * `Device` interface (STYLE.md "Device and host"). Both give a byte `Link`; `openSession()` puts the
 * protocol client on top, and `withSession()` guarantees the port is closed and the sim stopped on every
 * exit path: success, error, Ctrl-C/SIGTERM.
 */
import { existsSync } from "node:fs";
import { SerialPort } from "serialport";
import {
  type ChannelOptions,
  DeviceClient,
  type DeviceInfo,
  type Link,
  ProtocolVersionError,
} from "../protocol/index.js";
import { SerialLink } from "./serial-link.js";

/** How a device was reached, and what the user should know about that. */
export interface Device {
  readonly kind: "serial" | "sim" | "usb";
  /** The port path, or "sim" with its pty. */
  readonly label: string;
  readonly link: Link;
  /** Line rate in bit/s (follows SET_BAUD). */
  readonly baud: number;
  /** Facts to show with the result, e.g. that a sim session is fresh per command. */
  readonly notes: readonly string[];
  /** Protocol channel settings for this transport (e.g. a smaller window on the slow sim). */
  readonly channel?: ChannelOptions;
  /** Closes the port and stops the sim; safe to call twice. */
  close(): Promise<void>;
}

/** A failure to reach the device, with a one-line message. */
export class DeviceOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceOpenError";
  }
}

/** The SoC's UART rate after reset (fpga/soc/map.ts UART_RESET_BAUD); the firmware keeps it. */
export const DEFAULT_BAUD = 115_200;

/** Opens a serial port as a Device. Rejects with a one-line DeviceOpenError when it cannot be opened. */
export async function openSerialDevice(
  path: string,
  opts: {
    baud?: number;
    kind?: Device["kind"];
    label?: string;
    notes?: string[];
    /** Line seconds per wall-clock second, read at each use (default 1; a slow simulation: less). */
    lineSpeed?: () => number;
    channel?: ChannelOptions;
    onClose?: () => Promise<void>;
  } = {},
): Promise<Device> {
  const baud = opts.baud ?? DEFAULT_BAUD;
  if (!existsSync(path)) throw new DeviceOpenError(`serial port ${path} does not exist`);
  const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => {
      if (!err) resolve();
      // serialport takes an exclusive lock on the port: failing it means someone else has it open.
      else if (/cannot lock port|resource temporarily unavailable|EBUSY/i.test(oneLine(err)))
        reject(new DeviceOpenError(`serial port ${path} is busy: another program has it open`));
      else reject(new DeviceOpenError(`cannot open serial port ${path}: ${oneLine(err)}`));
    }),
  ).catch(async (e) => {
    await opts.onClose?.();
    throw e;
  });
  // A SerialPort error after open (unplugged cable) must not crash the process; the client times out.
  port.on("error", () => {});
  const link = new SerialLink(port, baud, opts.lineSpeed);
  let closing: Promise<void> | undefined;
  return {
    kind: opts.kind ?? "serial",
    label: opts.label ?? path,
    link,
    get baud() {
      return link.baud;
    },
    notes: opts.notes ?? [],
    channel: opts.channel,
    close() {
      closing ??= (async () => {
        await Promise.race([link.close(), new Promise((r) => setTimeout(r, 500))]).catch(() => {});
        if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
        await opts.onClose?.();
      })();
      return closing;
    },
  };
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg
    .replace(/^Error:\s*/, "")
    .split("\n")[0]!
    .trim();
}

/** An open protocol session on a device. */
export interface Session {
  readonly device: Device;
  readonly client: DeviceClient;
  /** INFO from the opening HELLO. */
  readonly info: DeviceInfo;
}

/** Connects the protocol client (SYNC + HELLO); closes the device if that fails. */
export async function openSession(device: Device): Promise<Session> {
  try {
    const client = await DeviceClient.connect(device.link, device.channel ?? {});
    return { device, client, info: client.info! };
  } catch (e) {
    await device.close();
    if (e instanceof ProtocolVersionError) throw new DeviceOpenError(`${device.label}: ${oneLine(e)}`);
    throw new DeviceOpenError(`no answer from the device on ${device.label}: ${oneLine(e)}`);
  }
}

/**
 * Opens the device, runs `fn` on a session and always cleans up. A SIGINT/SIGTERM during `fn` closes the
 * device, then exits with 130/143.
 */
export async function withSession<T>(
  open: () => Promise<Device>,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  let device: Device | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    const code = sig === "SIGINT" ? 130 : 143;
    process.stderr.write(`\nquart: interrupted (${sig}); closing the device\n`);
    void (device ? device.close() : Promise.resolve()).finally(() => process.exit(code));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    device = await open();
    const session = await openSession(device);
    try {
      return await fn(session);
    } finally {
      session.client.channel.close();
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await device?.close();
  }
}
