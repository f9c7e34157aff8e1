/**
 * What can be talked to: serial ports (boards are recognised by USB VID:PID) and the simulator (when
 * Verilator is installed). The list is data so `quart devices` and its test share it.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { SerialPort } from "serialport";

/** USB bridges of the boards quart supports. */
export const KNOWN_BOARDS: readonly { vendorId: string; productId: string; board: string }[] = [
  { vendorId: "0403", productId: "6010", board: "icebreaker (FTDI FT2232H)" },
];

export interface FoundPort {
  path: string;
  manufacturer: string | null;
  vendorId: string | null;
  productId: string | null;
  serialNumber: string | null;
  board: string | null;
}

export function boardOf(vendorId?: string, productId?: string): string | null {
  const v = vendorId?.toLowerCase();
  const p = productId?.toLowerCase();
  return KNOWN_BOARDS.find((b) => b.vendorId === v && b.productId === p)?.board ?? null;
}

/** Serial device nodes by name, for systems where serialport cannot enumerate (no udevadm). */
function devicesByName(): FoundPort[] {
  let names: string[] = [];
  try {
    names = readdirSync("/dev").filter((n) => /^tty(USB|ACM)\d+$/.test(n));
  } catch {
    names = [];
  }
  return names.sort().map((n) => ({
    path: `/dev/${n}`,
    manufacturer: null,
    vendorId: null,
    productId: null,
    serialNumber: null,
    board: null,
  }));
}

export async function listPorts(): Promise<FoundPort[]> {
  let ports: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    ports = await SerialPort.list();
  } catch {
    // serialport enumerates through udev; without it, USB identities are unknown but ports still exist.
    return devicesByName();
  }
  return ports.map((p) => ({
    path: p.path,
    manufacturer: p.manufacturer ?? null,
    vendorId: p.vendorId ?? null,
    productId: p.productId ?? null,
    serialNumber: p.serialNumber ?? null,
    board: boardOf(p.vendorId, p.productId),
  }));
}

/** The simulated device is available when Verilator is on the PATH. */
export function simAvailable(): { available: boolean; verilator: string | null } {
  const r = spawnSync("verilator", ["--version"], { encoding: "utf8" });
  const version = r.status === 0 ? r.stdout.trim() : null;
  return { available: version !== null, verilator: version };
}
