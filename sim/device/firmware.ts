/** Building the firmware image (firmware/Makefile) that the SoC boots, in the sim and on the board. */
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
