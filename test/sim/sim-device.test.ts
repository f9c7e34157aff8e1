/**
 * The simulated device: Verilator build cache, boot banner and echo over the pty (serialport),
 * fault injection, CPU halt and simulation exit reporting.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SerialPort } from "serialport";
import { regAddr, socMapHash } from "../../fpga/soc/map.js";
import { FIRMWARE_TOOLS } from "../../sim/device/firmware.js";
import { HALT } from "../../sim/device/rv32i-ref.js";
import { buildSim, SIM_TOOLS, type SimDevice, startSim } from "../../sim/device/sim-device.js";
import { imageToHex, skipUnless, tempDir, wordsToImage } from "../fpga/cpu/cpu-harness.js";
import { enc } from "../fpga/cpu/encode.js";

const skip = skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS]);
const BAUD = 2_000_000; // nominal line rate in the sim (divisor 12 at 24 MHz)

/** Collects what the device sends until `until` holds or `ms` pass. */
class Link {
  data = Buffer.alloc(0);
  constructor(readonly port: SerialPort) {
    port.on("data", (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
    });
  }
  async waitFor(until: (b: Buffer) => boolean, ms: number): Promise<boolean> {
    const t0 = Date.now();
    while (!until(this.data)) {
      if (Date.now() - t0 > ms) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }
}

async function open(sim: SimDevice): Promise<Link> {
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path: sim.ptyPath, baudRate: 115200 }, (err) =>
      err ? reject(err) : resolve(p),
    );
  });
  return new Link(port);
}

const close = (link: Link): Promise<void> => new Promise((r) => link.port.close(() => r()));

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function hexFile(words: number[]): string {
  const file = join(tempDir("simhex"), "image.hex");
  writeFileSync(file, imageToHex(wordsToImage(words)));
  return file;
}

describe("simulated device (Verilator, pty)", { skip }, () => {
  test("the build is cached by its inputs", async () => {
    const first = await buildSim();
    const t0 = Date.now();
    assert.equal(await buildSim(), first);
    assert.ok(Date.now() - t0 < 5000, "a cached build returns at once");
  });

  test("boot banner, then a 32 KiB echo round trip through serialport", async () => {
    const sim = await startSim({ baud: BAUD, waitClientMs: 100 });
    const link = await open(sim);
    try {
      assert.ok(await link.waitFor((b) => b.includes("\n"), 20_000), "banner");
      const banner = link.data.toString("latin1");
      const hash = socMapHash().toString(16).padStart(8, "0");
      assert.match(
        banner,
        new RegExp(`^QUART-FW skeleton id=0x51554131 map=0x${hash} fw_map=0x${hash} reset=0x00000001`),
      );
      link.data = Buffer.alloc(0);
      const payload = pattern(32 * 1024, 7);
      const t0 = Date.now();
      link.port.write(payload);
      assert.ok(
        await link.waitFor((b) => b.length >= payload.length, 60_000),
        `echoed ${link.data.length} bytes`,
      );
      const seconds = (Date.now() - t0) / 1000;
      assert.ok(link.data.equals(payload), "echo differs from what was sent");
      process.stderr.write(
        `echo: ${payload.length} bytes in ${seconds.toFixed(2)} s = ${(payload.length / seconds / 1024).toFixed(1)} KiB/s\n`,
      );
    } finally {
      await close(link);
      const stats = await sim.stop();
      assert.ok(stats && stats.cycles > 0, "stats on stop");
      process.stderr.write(
        `sim: ${(stats!.cycles_per_second / 1e6).toFixed(2)} M cycles/s, ${stats!.retired} instructions\n`,
      );
      assert.equal(stats!.frame_errors, 0);
    }
  });

  test("fault injection drops and flips host->device bytes reproducibly", async () => {
    const n = 3000;
    const payload = pattern(n, 3);
    const runOnce = async (faults: { drop?: number; flip?: number; seed: number }) => {
      const sim = await startSim({ baud: BAUD, waitClientMs: 100, faults });
      const link = await open(sim);
      await link.waitFor((b) => b.includes("\n"), 20_000);
      link.data = Buffer.alloc(0);
      link.port.write(payload);
      await link.waitFor((b) => b.length >= n, 4000); // drops mean it never gets there
      const got = link.data;
      await close(link);
      return { got, stats: (await sim.stop())! };
    };
    const dropped = await runOnce({ drop: 0.05, seed: 11 });
    assert.ok(dropped.stats.dropped > 50 && dropped.stats.dropped < 300, `dropped ${dropped.stats.dropped}`);
    assert.equal(dropped.got.length, n - dropped.stats.dropped);
    const again = await runOnce({ drop: 0.05, seed: 11 });
    assert.ok(again.got.equals(dropped.got), "same seed, same faults");
    const flipped = await runOnce({ flip: 0.05, seed: 5 });
    assert.equal(flipped.got.length, n);
    let diffs = 0;
    for (let i = 0; i < n; i++) if (flipped.got[i] !== payload[i]) diffs++;
    assert.equal(diffs, flipped.stats.flipped);
    assert.ok(diffs > 50);
  });

  test("a CPU halt is reported with its cause and pc", async () => {
    const hex = hexFile([enc.nop, enc.nop, enc.ebreak]);
    const sim = await startSim({ firmwareHex: hex, exitOnHalt: true });
    assert.equal(await sim.exited, 3);
    await sim.stop();
    assert.deepEqual(
      sim.halts.map((h) => [h.cause, h.pc]),
      [[HALT.EBREAK, 8]],
    );
  });

  test("firmware ends the simulation through SYSCTL.SIM_EXIT", async () => {
    const addr = regAddr("SYSCTL", "SIM_EXIT");
    const hex = hexFile([
      enc.lui(1, addr >>> 12),
      enc.opimm(0, 2, 0, 42),
      enc.store(2, 2, 1, addr & 0xfff),
      enc.jal(0, 0),
    ]);
    const sim = await startSim({ firmwareHex: hex });
    assert.equal(await sim.exited, 42);
    await sim.stop();
  });
});
