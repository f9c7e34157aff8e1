/**
 * The two-stage boot build (`make -C firmware boot`): a small loader in the boot ROM and the protocol app
 * linked to run from the RAM app area, wrapped in a header the loader checks. The RAM split of the map
 * (app area, model area) is consistent and the app stays inside its area.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { constant, region } from "../../fpga/soc/map.js";
import { crc32 } from "../../host/protocol/index.js";
import { type BootImages, buildBootImages, FIRMWARE_TOOLS } from "../../sim/device/firmware.js";
import { fromRoot } from "../../sim/device/paths.js";
import { missingTools, run } from "../../sim/device/tools.js";

const missing = missingTools([...FIRMWARE_TOOLS, "riscv64-unknown-elf-nm", "cc"]);

async function symbols(elf: string): Promise<Map<string, number>> {
  const { stdout } = await run("riscv64-unknown-elf-nm", [elf]);
  const sym = new Map<string, number>();
  for (const line of stdout.split("\n")) {
    const [addr, , name] = line.trim().split(/\s+/);
    if (addr && name) sym.set(name, Number.parseInt(addr, 16));
  }
  return sym;
}

test("the RAM split: app area + model area = RAM, the image area inside the app area", () => {
  const ram = region("RAM");
  assert.equal(constant("RAM_APP_SIZE") + constant("RAM_MODEL_SIZE"), ram.size);
  assert.ok(constant("RAM_APP_IMAGE_SIZE") < constant("RAM_APP_SIZE"));
  assert.equal(constant("RAM_MODEL_SIZE") % 8, 0, "two word-aligned model slots");
});

describe("two-stage boot images", {
  skip: missing.length > 0 ? `missing tools: ${missing.join(", ")}` : false,
}, () => {
  let img: BootImages;
  before(async () => {
    img = await buildBootImages();
  });

  test("both size checks pass and are reported", () => {
    assert.match(img.sizeReport, /firmware image: \d+ of 2048 ROM bytes/);
    const m = /firmware image: (\d+) of (\d+) app image bytes/.exec(img.sizeReport);
    assert.ok(m, img.sizeReport);
    assert.equal(Number(m[2]), constant("RAM_APP_IMAGE_SIZE") - constant("APP_HEADER_SIZE"));
    assert.ok(Number(m[1]) > 2048, "the app is larger than the boot ROM: the reason for the loader");
  });

  test("the app image header: magic, length, CRC-32 of the payload, entry after the header", () => {
    const bytes = readFileSync(img.appImage);
    const h = constant("APP_HEADER_SIZE");
    const payload = bytes.subarray(h);
    assert.equal(bytes.readUInt32LE(0), constant("APP_MAGIC"));
    assert.equal(bytes.readUInt32LE(4), payload.length);
    assert.equal(bytes.readUInt32LE(8), crc32(payload));
    assert.equal(bytes.readUInt32LE(12), region("RAM").base + h);
    assert.deepEqual(payload, readFileSync(fromRoot("firmware/build/app/firmware.bin")));
  });

  test("the app keeps code, data, bss and stack inside the app area; the loader runs from the ROM", async () => {
    const app = await symbols(img.appElf);
    const ram = region("RAM");
    const appEnd = ram.base + constant("RAM_APP_SIZE");
    assert.equal(app.get("_start"), ram.base + constant("APP_HEADER_SIZE"));
    assert.ok(
      app.get("__data_start")! >= ram.base + constant("RAM_APP_IMAGE_SIZE"),
      "data outside the image",
    );
    assert.equal(app.get("__stack_top"), appEnd);
    assert.ok(app.get("__heap_end")! >= app.get("__heap_start")!);
    for (const f of ["proto_init", "proto_poll", "proto_feed_byte", "main"]) assert.ok(app.has(f), f);
    const loader = await symbols(fromRoot("firmware/build/loader/firmware.elf"));
    assert.equal(loader.get("_start"), region("ROM").base);
    assert.ok(loader.get("__data_start")! >= appEnd, "the loader's RAM is the model area, not the image");
    assert.equal(loader.get("__stack_top"), ram.base + ram.size);
  });
});
