/**
 * A device reached over USB bulk endpoints (the `usb` package, libusb) as a protocol Link and Device.
 *
 * Only the few calls below are used, described by `UsbBulkDevice` (a subset of the `usb` package's
 * WebUSB-style device), so a test can stand in a fake. Bytes are a plain stream both ways: OUT
 * transfers carry what the protocol writes, IN transfers are read continuously and handed on as they
 * come; the protocol's own framing finds the frames. Devices are recognised by VID:PID (KNOWN_USB_DEVICES)
 * and must have an interface with one bulk IN and one bulk OUT endpoint.
 */
import { type Link, LinkClosedError } from "../protocol/index.js";
import { type Device, DeviceOpenError } from "./device.js";

export interface UsbEndpointInfo {
  endpointNumber: number;
  direction: "in" | "out";
  type: "bulk" | "interrupt" | "isochronous";
  packetSize: number;
}

export interface UsbInterfaceInfo {
  interfaceNumber: number;
  alternate: { interfaceClass: number; endpoints: readonly UsbEndpointInfo[] };
}

export interface UsbInResult {
  data?: DataView;
  status: "ok" | "stall" | "babble";
}

export interface UsbOutResult {
  bytesWritten: number;
  status: "ok" | "stall";
}

/** The calls of the `usb` package's device this transport relies on. */
export interface UsbBulkDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly bus?: string;
  readonly address?: number;
  readonly speed?: string;
  readonly manufacturerName?: string | null;
  readonly productName?: string | null;
  readonly serialNumber?: string | null;
  readonly configuration?: { interfaces: readonly UsbInterfaceInfo[] } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  transferIn(endpointNumber: number, length: number, timeout?: number): Promise<UsbInResult>;
  transferOut(endpointNumber: number, data: Uint8Array, timeout?: number): Promise<UsbOutResult>;
}

/** Where devices come from: the `usb` package, or a test's fakes. */
export interface UsbBackend {
  getDevices(): Promise<readonly UsbBulkDevice[]>;
}

/** USB identities of quart devices with a bulk interface. */
export const KNOWN_USB_DEVICES: readonly { vendorId: number; productId: number; name: string }[] = [
  // pid.codes' test PID until the board's USB device core has an identity of its own.
  { vendorId: 0x1209, productId: 0x0001, name: "quart accelerator (USB bulk)" },
];

const hex4 = (v: number) => v.toString(16).padStart(4, "0");
export const usbId = (d: { vendorId: number; productId: number }) =>
  `${hex4(d.vendorId)}:${hex4(d.productId)}`;

export function knownUsbDevice(d: { vendorId: number; productId: number }): string | null {
  return (
    KNOWN_USB_DEVICES.find((k) => k.vendorId === d.vendorId && k.productId === d.productId)?.name ?? null
  );
}

export interface BulkPair {
  interfaceNumber: number;
  in: UsbEndpointInfo;
  out: UsbEndpointInfo;
}

/** The first interface with a bulk IN and a bulk OUT endpoint. */
export function findBulkPair(d: UsbBulkDevice): BulkPair | null {
  for (const iface of d.configuration?.interfaces ?? []) {
    const eps = iface.alternate.endpoints;
    const inEp = eps.find((e) => e.type === "bulk" && e.direction === "in");
    const outEp = eps.find((e) => e.type === "bulk" && e.direction === "out");
    if (inEp && outEp) return { interfaceNumber: iface.interfaceNumber, in: inEp, out: outEp };
  }
  return null;
}

/** Loads the `usb` package; a one-line reason when it (or libusb's native part) cannot be loaded. */
export async function loadUsbBackend(): Promise<UsbBackend | { error: string }> {
  try {
    const mod = (await import("usb")) as unknown as { usb: UsbBackend };
    return { getDevices: () => mod.usb.getDevices() };
  } catch (e) {
    return { error: oneLine(e) };
  }
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!.trim();
}

export interface FoundUsb {
  id: string;
  bus: string | null;
  address: number | null;
  manufacturer: string | null;
  product: string | null;
  serialNumber: string | null;
  name: string;
  bulk: { interface: number; in: number; out: number; packet_size: number };
}

/**
 * Known devices with a bulk interface. Never throws: without libusb, without a USB bus (containers) or
 * without permission, the list is empty and `error` says why.
 */
export async function listUsbDevices(
  backend?: UsbBackend | { error: string },
): Promise<{ devices: FoundUsb[]; error: string | null }> {
  const b = backend ?? (await loadUsbBackend());
  if ("error" in b) return { devices: [], error: `usb unavailable: ${b.error}` };
  let all: readonly UsbBulkDevice[];
  try {
    all = await b.getDevices();
  } catch (e) {
    return { devices: [], error: `cannot list USB devices: ${oneLine(e)}` };
  }
  const devices: FoundUsb[] = [];
  for (const d of all) {
    try {
      const name = knownUsbDevice(d);
      const pair = name ? findBulkPair(d) : null;
      if (!name || !pair) continue;
      devices.push({
        id: usbId(d),
        bus: d.bus ?? null,
        address: d.address ?? null,
        manufacturer: d.manufacturerName ?? null,
        product: d.productName ?? null,
        serialNumber: d.serialNumber ?? null,
        name,
        bulk: {
          interface: pair.interfaceNumber,
          in: pair.in.endpointNumber,
          out: pair.out.endpointNumber,
          packet_size: pair.in.packetSize,
        },
      });
    } catch {
      // A device whose descriptors cannot be read (permissions) is not one we could open either.
    }
  }
  return { devices, error: null };
}

/** `--usb <vid:pid | bus-address>`: which device the selector names. */
export function matchUsbSelector(selector: string): (d: UsbBulkDevice) => boolean {
  const id = /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(selector.trim());
  if (id) {
    const v = Number.parseInt(id[1]!, 16);
    const p = Number.parseInt(id[2]!, 16);
    return (d) => d.vendorId === v && d.productId === p;
  }
  const at = /^(.+)-(\d+)$/.exec(selector.trim());
  if (at) {
    // Bus ids are numbers on Linux ("1", or "001" as lsusb prints them), names elsewhere.
    const sameBus = (bus: string | undefined) =>
      bus !== undefined &&
      (bus === at[1] || (/^\d+$/.test(bus) && /^\d+$/.test(at[1]!) && Number(bus) === Number(at[1])));
    return (d) => sameBus(d.bus) && d.address === Number(at[2]);
  }
  throw new DeviceOpenError(
    `bad --usb "${selector}": give VID:PID (e.g. 1209:0001) or BUS-ADDRESS (e.g. 1-4)`,
  );
}

/** Signalling rates by bus speed, reported as the link's nominal rate. */
const SPEED_BITS: Record<string, number> = {
  low: 1.5e6,
  full: 12e6,
  high: 480e6,
  super: 5e9,
  superPlus: 10e9,
};

/** Time an IN transfer waits for data before it is reissued (it ends early as soon as bytes come). */
const IN_POLL_MS = 200;
/** Largest OUT transfer: long writes are split so a stall is noticed within one piece. */
const OUT_PIECE = 16 * 1024;
const OUT_TIMEOUT_MS = 5000;

/**
 * An IN poll that ended without data: the `usb` package (nusb) cancels a transfer at its timeout and
 * reports "transferIn error: Cancelled"; libusb-based bindings say TIMEOUT. A packet in flight at that
 * moment can be lost; the protocol's retransmission covers it, and the poll is long next to a frame.
 */
const isTimeout = (e: unknown) => /time[d ]?\s*out|TIMEOUT|Cancelled/i.test(oneLine(e));

export class UsbLink implements Link {
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private closed = false;
  private failure: Error | undefined;
  private readonly reader: Promise<void>;
  readonly baud: number;
  readonly bytesPerSecond: number | undefined;

  constructor(
    private readonly dev: UsbBulkDevice,
    private readonly pair: BulkPair,
  ) {
    this.baud = SPEED_BITS[dev.speed ?? "full"] ?? 12e6;
    // Bulk gets at most ~80 % of the bus; the protocol's timers only need the order of magnitude.
    this.bytesPerSecond = (this.baud / 8) * 0.8;
    this.reader = this.readLoop();
  }

  private async readLoop(): Promise<void> {
    // Several packets per transfer: fewer round trips into libusb at full rate.
    const length = this.pair.in.packetSize * 8;
    while (!this.closed) {
      let r: UsbInResult;
      try {
        r = await this.dev.transferIn(this.pair.in.endpointNumber, length, IN_POLL_MS);
      } catch (e) {
        if (this.closed) return;
        if (isTimeout(e)) continue;
        // Unplugged or reset: later writes fail at once; pending requests end by their own timeouts.
        this.failure = new LinkClosedError(`usb ${usbId(this.dev)}: ${oneLine(e)}`);
        return;
      }
      if (this.closed) return;
      if (r.status !== "ok") {
        this.failure = new LinkClosedError(`usb ${usbId(this.dev)}: IN endpoint ${r.status}`);
        return;
      }
      if (r.data && r.data.byteLength > 0) {
        const bytes = new Uint8Array(
          r.data.buffer.slice(r.data.byteOffset, r.data.byteOffset + r.data.byteLength),
        );
        for (const cb of this.listeners) cb(bytes);
      }
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new LinkClosedError("usb link closed");
    if (this.failure) throw this.failure;
    for (let at = 0; at < bytes.length; at += OUT_PIECE) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + OUT_PIECE));
      const r = await this.dev.transferOut(this.pair.out.endpointNumber, piece, OUT_TIMEOUT_MS);
      if (r.status !== "ok" || r.bytesWritten !== piece.length)
        throw new LinkClosedError(
          `usb ${usbId(this.dev)}: OUT endpoint ${r.status}, ${r.bytesWritten} of ${piece.length} bytes taken`,
        );
    }
  }

  onData(cb: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    // The IN transfer in flight ends by its poll timeout at the latest.
    await this.reader;
  }
}

/** Opens a USB device by selector as a Device; one-line DeviceOpenError when it cannot be. */
export async function openUsbDevice(
  selector: string,
  opts: { backend?: UsbBackend | { error: string } } = {},
): Promise<Device> {
  const match = matchUsbSelector(selector);
  const backend = opts.backend ?? (await loadUsbBackend());
  if ("error" in backend) throw new DeviceOpenError(`usb unavailable: ${backend.error}`);
  let all: readonly UsbBulkDevice[];
  try {
    all = await backend.getDevices();
  } catch (e) {
    throw new DeviceOpenError(`cannot list USB devices: ${oneLine(e)}`);
  }
  const found = all.filter(match);
  if (found.length === 0) throw new DeviceOpenError(`no USB device ${selector}`);
  if (found.length > 1)
    throw new DeviceOpenError(
      `${found.length} USB devices match ${selector}; name one by BUS-ADDRESS (${found.map((d) => `${d.bus}-${d.address}`).join(", ")})`,
    );
  const dev = found[0]!;
  let pair: BulkPair | null;
  try {
    // Reading the configuration opens the device: the first place a missing permission shows.
    pair = findBulkPair(dev);
  } catch (e) {
    throw new DeviceOpenError(
      `cannot read the descriptors of usb ${usbId(dev)}: ${oneLine(e)} (permission? see udev rules)`,
    );
  }
  if (!pair)
    throw new DeviceOpenError(`USB device ${usbId(dev)} has no interface with bulk IN and OUT endpoints`);
  const label = `usb ${usbId(dev)}${dev.bus !== undefined ? ` (${dev.bus}-${dev.address})` : ""}`;
  try {
    await dev.open();
  } catch (e) {
    throw new DeviceOpenError(`cannot open ${label}: ${oneLine(e)} (permission? see udev rules)`);
  }
  try {
    await dev.claimInterface(pair.interfaceNumber);
  } catch (e) {
    await dev.close().catch(() => {});
    throw new DeviceOpenError(
      `${label} is busy: interface ${pair.interfaceNumber} cannot be claimed (${oneLine(e)})`,
    );
  }
  const link = new UsbLink(dev, pair);
  let closing: Promise<void> | undefined;
  return {
    kind: "usb",
    label,
    link,
    baud: link.baud,
    notes: [],
    close() {
      closing ??= (async () => {
        await link.close();
        await dev.releaseInterface(pair.interfaceNumber).catch(() => {});
        await dev.close().catch(() => {});
      })();
      return closing;
    },
  };
}
