/** Building the firmware image (firmware/Makefile) that the SoC boots, in the sim and on the board. */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { fromRoot } from "./paths.js";
import { run } from "./tools.js";

export const FIRMWARE_TOOLS = ["make", "riscv64-unknown-elf-gcc", "riscv64-unknown-elf-objcopy", "od"];

export interface FirmwareImage {
  readonly hex: string;
  readonly bin: string;
  readonly elf: string;
  /** Output of the size check (`firmware image: N of M ROM bytes`). */
  readonly sizeReport: string;
}

/** Runs `make -C firmware` (incremental) and returns the image paths. */
export async function buildFirmware(): Promise<FirmwareImage> {
  const { stdout } = await run("make", ["-C", fromRoot("firmware"), "--no-print-directory"]);
  return {
    hex: fromRoot("firmware/build/firmware.hex"),
    bin: fromRoot("firmware/build/firmware.bin"),
    elf: fromRoot("firmware/build/firmware.elf"),
    sizeReport: stdout,
  };
}

export interface BootImages {
  /** Boot ROM image (hex words): the loader that checks the app image in RAM and jumps to it. */
  readonly loaderHex: string;
  /** The loader's ELF (its symbols: firmware profiles, sim/device/pc-profile.ts). */
  readonly loaderElf: string;
  /** App image (header + RAM-linked binary) for `startSim({ ramImage })`. */
  readonly appImage: string;
  readonly appElf: string;
  /** Make's output, including both size checks. */
  readonly sizeReport: string;
}

/**
 * Runs `fn` holding a lock directory: test files run in parallel processes, and two makes writing the
 * same objects at once can leave a truncated file behind. A lock older than 5 minutes is taken over.
 */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = fromRoot("firmware/build/.make.lock");
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Runs `make -C firmware boot` (incremental): the ROM loader and the protocol app that runs from RAM. */
export async function buildBootImages(): Promise<BootImages> {
  const { stdout } = await withBuildLock(() =>
    run("make", ["-C", fromRoot("firmware"), "--no-print-directory", "boot"]),
  );
  return {
    loaderHex: fromRoot("firmware/build/loader/firmware.hex"),
    loaderElf: fromRoot("firmware/build/loader/firmware.elf"),
    appImage: fromRoot("firmware/build/app/app.img"),
    appElf: fromRoot("firmware/build/app/firmware.elf"),
    sizeReport: stdout,
  };
}
