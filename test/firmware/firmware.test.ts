/** The firmware builds with the project's Makefile and fits the ROM/RAM regions of the memory map. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { region } from "../../fpga/soc/map.js";
import { buildFirmware, FIRMWARE_TOOLS, type FirmwareImage } from "../../sim/device/firmware.js";
import { fromRoot } from "../../sim/device/paths.js";
import { CommandError, missingTools, run } from "../../sim/device/tools.js";

const missing = missingTools([...FIRMWARE_TOOLS, "riscv64-unknown-elf-nm"]);

describe("firmware", { skip: missing.length > 0 ? `missing tools: ${missing.join(", ")}` : false }, () => {
  let fw: FirmwareImage;
  before(async () => {
    fw = await buildFirmware();
  });

  test("the image fits the ROM and the build says so", () => {
    const rom = region("ROM");
    const bytes = statSync(fw.bin).size;
    assert.ok(bytes > 256 && bytes <= rom.size, `${bytes} bytes vs ROM ${rom.size}`);
    assert.match(fw.sizeReport, new RegExp(`firmware image: ${bytes} of ${rom.size} ROM bytes`));
  });

  test("the hex file holds the binary as little-endian words", () => {
    const bin = readFileSync(fw.bin);
    const words = readFileSync(fw.hex, "utf8").trim().split("\n");
    assert.equal(words.length, bin.length / 4);
    for (const [i, w] of words.entries())
      assert.equal(Number.parseInt(w, 16), bin.readUInt32LE(i * 4), `word ${i}`);
  });

  test("entry at the reset vector, data and stack in RAM, HAL symbols present", async () => {
    const { stdout } = await run("riscv64-unknown-elf-nm", [fw.elf]);
    const sym = new Map<string, number>();
    for (const line of stdout.split("\n")) {
      const [addr, , name] = line.trim().split(/\s+/);
      if (addr && name) sym.set(name, Number.parseInt(addr, 16));
    }
    const ram = region("RAM");
    assert.equal(sym.get("_start"), region("ROM").base);
    assert.equal(sym.get("__stack_top"), ram.base + ram.size);
    assert.ok(sym.get("__data_start")! >= ram.base);
    assert.ok(sym.get("__heap_end")! >= sym.get("__heap_start")!);
    for (const f of ["uart_putc", "uart_getc_nonblock", "uart_puts", "main", "_exit"]) {
      assert.ok(sym.has(f), `${f} missing`);
    }
  });

  test("a program that overflows the ROM fails to link", async () => {
    const dir = mkdtempSync(join(tmpdir(), "quart-fw-"));
    const src = join(dir, "big.c");
    writeFileSync(
      src,
      `const unsigned char big[${region("ROM").size}] = {1};\n` +
        "int main(void) { const volatile unsigned char *p = big; return p[100]; }\n" +
        "void _exit(int c) { for (;;) (void)c; }\n",
    );
    const err = await run("riscv64-unknown-elf-gcc", [
      "-march=rv32i",
      "-mabi=ilp32",
      "--specs=picolibc.specs",
      "-nostartfiles",
      `-L${fromRoot("firmware/link")}`,
      "-Tquart.ld",
      fromRoot("firmware/boot/start.S"),
      src,
      "-o",
      join(dir, "big.elf"),
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CommandError, "linking an oversized image must fail");
    assert.match(err.stderr, /overflow/i);
  });
});
