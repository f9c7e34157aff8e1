/**
 * The host-side device session against the simulated SoC (Verilator + ROM loader + protocol app in RAM):
 * `quart info` / `quart flash` end to end, flashing through a faulty line, refusal of an oversized blob
 * with the previous model kept, RUN of a blob that is not a model refused, RESET through the loader (the model stored
 * in flash comes back), and one-line errors
 * for a bad or absent port.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ISA_HASH } from "../../../compiler/isa/spec.js";
import { constant, socMapHash } from "../../../fpga/soc/map.js";
import { DEFAULT_BAUD, withSession } from "../../../host/device/device.js";
import { openSimDevice, SIM_FRESH_NOTE } from "../../../host/device/sim.js";
import { crc32, DeviceError } from "../../../host/protocol/index.js";
import { FIRMWARE_TOOLS } from "../../../sim/device/firmware.js";
import { fromRoot } from "../../../sim/device/paths.js";
import { SIM_TOOLS } from "../../../sim/device/sim-device.js";
import { skipUnless, tempDir } from "../../fpga/cpu/cpu-harness.js";

const skip = skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS, "cc"]);
const CLI = fromRoot("dist/host/cli.js");
const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

function quart(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("device session on the simulated SoC", { skip }, () => {
  test("quart info --sim --json: versions, map hash, model memory", async () => {
    const r = await quart(["info", "--sim", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.device, "quart-up5k");
    assert.equal(info.protocol.device, info.protocol.host);
    assert.equal(info.isa.hash, hex(ISA_HASH));
    assert.equal(info.isa.match, true);
    assert.equal(info.soc_map.hash, hex(socMapHash()));
    assert.equal(info.soc_map.hardware_matches_firmware, true);
    assert.ok(info.model_memory.free_bytes >= 8192, `free ${info.model_memory.free_bytes}`);
    assert.equal(info.active_model, null);
    assert.equal(info.stored_model, null, "a fresh sim's flash is erased");
    assert.equal(info.link.baud, DEFAULT_BAUD);
    assert.deepEqual(info.notes, [SIM_FRESH_NOTE]);
  });

  test("quart flash --sim --json: a 6 KiB random blob is uploaded and verified, progress on stderr", async () => {
    const file = join(tempDir("flash"), "blob.bin");
    writeFileSync(file, randomBytes(6 * 1024));
    const r = await quart(["flash", file, "--sim", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.bytes, 6 * 1024);
    assert.equal(out.verified, true);
    assert.ok(out.seconds > 0 && out.bytes_per_second > 100, JSON.stringify(out));
    assert.ok(out.notes.includes(SIM_FRESH_NOTE));
    const human = await quart(["flash", file, "--sim"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^flashed 6144 bytes .* verified by the device\nnote: sim: fresh device/);
    assert.match(human.stderr, /flash sim/);
  });

  test("quart flash --sim --switch-baud 3000000: SET_BAUD after connect, the upload runs at 3 Mbaud", async () => {
    const file = join(tempDir("flash"), "blob.bin");
    writeFileSync(file, randomBytes(8 * 1024));
    const r = await quart(["flash", file, "--sim", "--switch-baud", "3000000", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.baud, 3_000_000);
    assert.equal(out.verified, true);
    const bad = await quart(["info", "--sim", "--switch-baud", "6000000"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /BAD_BAUD/);
  });

  test("flash through a line dropping and flipping bytes (p = 1e-4 each, both ways) still verifies", async () => {
    const blob = randomBytes(8 * 1024);
    const dev = await openSimDevice({ faults: { drop: 1e-4, flip: 1e-4, direction: "both", seed: 7 } });
    const res = await withSession(
      async () => dev,
      async ({ client }) => {
        const r = await client.load(blob);
        const info = await client.hello();
        return { r, model: info.model };
      },
    );
    assert.equal(res.r.verified, true);
    assert.deepEqual(res.model, { size: blob.length, crc: crc32(blob) });
    const stats = dev.simStats();
    assert.ok(stats && stats.rx_bytes >= blob.length, "the sim saw the upload");
  });

  test("an oversized blob is refused by the device and the active model stays; RUN of a non-model refused; RESET", async () => {
    await withSession(
      () => openSimDevice(),
      async ({ client, info }) => {
        const small = randomBytes(2048);
        await client.load(small);
        const big = randomBytes(info.stageCapacity + 4);
        await assert.rejects(client.load(big), (e: unknown) => {
          assert.ok(e instanceof DeviceError && e.is("TOO_LARGE"), String(e));
          assert.equal(e.detail, info.stageCapacity);
          return true;
        });
        const after = await client.hello();
        assert.deepEqual(after.model, { size: small.length, crc: crc32(small) });
        const stats = await client.stats();
        assert.equal(stats.device.loads, 1);
        await assert.rejects(client.run(new Uint8Array(64)), (e: unknown) => {
          assert.ok(e instanceof DeviceError && e.is("RUN_FAILED"), String(e));
          assert.equal(
            e.detail,
            0x4242,
            "APP_ST_BLOB_BAD (firmware/app/app_status.h): random bytes are no blob",
          );
          return true;
        });
        // RESET: the loader re-verifies the (unchanged) app image in RAM and restarts it; RAM state is gone,
        // and the app activates the model LOAD stored in the flash again.
        const back = await client.reset();
        assert.deepEqual(back.model, { size: small.length, crc: crc32(small) });
        assert.deepEqual(back.stored, { size: small.length, crc: crc32(small), seq: 1 });
        assert.ok(back.uptimeMs < 1000, `uptime ${back.uptimeMs} ms after reset`);
      },
    );
  });

  test("the CLI refuses an oversized file with a one-line reason", async () => {
    // one KiB more than a model slot of the SoC's XMEM layout
    const size = constant("XMEM_SLOT_SIZE") + 1024;
    const file = join(tempDir("flash"), "big.bin");
    writeFileSync(file, randomBytes(size));
    const r = await quart(["flash", file, "--sim"]);
    assert.equal(r.code, 1);
    const kib = (size / 1024).toFixed(1);
    assert.match(
      r.stderr,
      new RegExp(
        `^quart: .*big\\.bin is ${size} bytes \\(${kib} KiB\\); the device takes at most ${constant("XMEM_SLOT_SIZE")} .*\n$`,
      ),
    );
  });

  test("bad or absent port, or no device option: one-line errors", async () => {
    for (const [args, re] of [
      [
        ["info", "--port", "/dev/quart-no-such-port"],
        /^quart: serial port \/dev\/quart-no-such-port does not exist\n$/,
      ],
      [["info", "--port", "/dev/null"], /^quart: cannot open serial port \/dev\/null: [^\n]+\n$/],
      [
        ["info"],
        /^quart: give one device: --sim, --port <device>, --usb <vid:pid\|bus-address> or --tcp <host:port>\n$/,
      ],
      [["info", "--sim", "--port", "/dev/null"], /^quart: give one device: /],
      [["info", "--usb", "12:34:56"], /^quart: bad --usb "12:34:56": give VID:PID/],
      [["flash", "/nonexistent.bin", "--sim"], /^quart: cannot read \/nonexistent\.bin: ENOENT\n$/],
    ] as const) {
      const r = await quart([...args]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, re);
      assert.equal(r.stdout, "");
    }
  });
});
