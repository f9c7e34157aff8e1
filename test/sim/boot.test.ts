/**
 * Two-stage boot in the sim: the ROM loader checks the app image the harness put into RAM (--ram-image)
 * and starts it; a missing or corrupt image halts with a visible cause (UART line + ebreak).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SerialPort } from "serialport";
import { constant } from "../../fpga/soc/map.js";
import { buildBootImages, FIRMWARE_TOOLS } from "../../sim/device/firmware.js";
import { HALT } from "../../sim/device/rv32i-ref.js";
import { SIM_TOOLS, startSim } from "../../sim/device/sim-device.js";
import { skipUnless, tempDir } from "../fpga/cpu/cpu-harness.js";

const skip = skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS, "cc"]);

/** Boots the loader with `ramImage` and returns the UART text and the halts seen within `ms`. */
async function boot(ramImage: string | undefined, ms: number) {
  const images = await buildBootImages();
  const sim = await startSim({ firmwareHex: images.loaderHex, ramImage, waitClientMs: 50 });
  let text = "";
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path: sim.ptyPath, baudRate: 115200 }, (err) =>
      err ? reject(err) : resolve(p),
    );
  });
  port.on("data", (d: Buffer) => {
    text += d.toString("latin1");
  });
  const t0 = Date.now();
  while (Date.now() - t0 < ms && !(sim.halts.length > 0 && text.includes("\n")))
    await new Promise((r) => setTimeout(r, 20));
  await new Promise<void>((r) => port.close(() => r()));
  await sim.stop();
  return { text, halts: sim.halts };
}

describe("boot ROM loader + app image in RAM", { skip }, () => {
  test("a corrupt image (one payload byte flipped) halts with the CRC cause", async () => {
    const images = await buildBootImages();
    const img = readFileSync(images.appImage);
    img[constant("APP_HEADER_SIZE") + 100]! ^= 0x01;
    const bad = join(tempDir("boot"), "bad.img");
    writeFileSync(bad, img);
    const { text, halts } = await boot(bad, 20_000);
    assert.match(text, /QUART-BOOT: app CRC mismatch, computed 0x[0-9a-f]{8}/);
    assert.equal(halts[0]?.cause, HALT.EBREAK);
  });

  test("no image in RAM halts with the magic cause", async () => {
    const empty = join(tempDir("boot"), "zero.img");
    writeFileSync(empty, Buffer.alloc(64));
    const { text, halts } = await boot(empty, 20_000);
    assert.match(text, /QUART-BOOT: no app image in RAM, magic 0x00000000/);
    assert.equal(halts.length, 1);
  });

  test("a length beyond the image area is refused before any CRC is computed", async () => {
    const images = await buildBootImages();
    const img = readFileSync(images.appImage);
    img.writeUInt32LE(constant("RAM_APP_IMAGE_SIZE"), 4);
    const bad = join(tempDir("boot"), "long.img");
    writeFileSync(bad, img);
    const { text } = await boot(bad, 20_000);
    assert.match(text, /QUART-BOOT: bad app length/);
  });
});
