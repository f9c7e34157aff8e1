/**
 * Models kept in the SoC's QSPI flash (fpga/rtl/soc/soc_qspi_flash.v, the pin-level W25Q128JV model
 * sim/spi_flash_model.v with the data sheet's erase and program times, its contents in a file the
 * simulator loads at start and saves on exit): LOAD programs the flash slot not in use and writes the
 * commit record last; boot copies the stored model into XMEM and activates it. Small random graphs
 * lowered for the icebreaker target; every output is compared with sim/isa runBlob bit for bit.
 *
 * The tests run in order on one flash file: a power cycle is a new simulator process given the file
 * (stopping one saves the flash as it is at that cycle, mid-erase or mid-program included).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readBlob } from "../../../compiler/blob/reader.js";
import { contentsFromLowered, encodeBlob } from "../../../compiler/blob/writer.js";
import { icebreaker } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { constant, SOC_CLOCK_HZ } from "../../../fpga/soc/map.js";
import { openSession, type Session, withSession } from "../../../host/device/device.js";
import { runBlobOnDevice } from "../../../host/device/run.js";
import { openSimDevice, type SimBackedDevice } from "../../../host/device/sim.js";
import {
  crc32,
  DeviceError,
  type DeviceInfo,
  encodeBody,
  type LoadProgress,
  MESSAGES,
} from "../../../host/protocol/index.js";
import { FIRMWARE_TOOLS } from "../../../sim/device/firmware.js";
import { SIM_TOOLS, type SimFaults } from "../../../sim/device/sim-device.js";
import { runBlob } from "../../../sim/isa/run.js";
import { skipUnless, tempDir } from "../../fpga/cpu/cpu-harness.js";
import { randomInputCodes, randomQGraph } from "../../helpers/random-qgraph.js";

const skip = skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS]);

function model(seed: number, acc32Output: boolean) {
  for (let s = seed; s < seed + 40; s++) {
    const g = randomQGraph({ seed: s, input: [1, 3, 10, 10], layers: 3, acc32Output });
    const lowered = lowerQGraph(g, icebreaker, { ignoreArenaLimit: true });
    if (lowered.actBytes > icebreaker.segments.ACT.bytes) continue;
    const bytes = encodeBlob(contentsFromLowered(lowered));
    const blob = readBlob(bytes);
    const input = randomInputCodes(g, 7);
    return { bytes, blob, input, codes: Array.from(runBlob(blob, input).codes), crc: crc32(bytes) };
  }
  throw new Error("no small graph fits");
}
type Model = ReturnType<typeof model>;

describe("models in the SoC's QSPI flash survive power cycles and failed loads", {
  skip,
  timeout: 600_000,
}, () => {
  const flashFile = join(tempDir("flash"), "flash.bin");
  const a = model(1, false);
  const b = model(20, true);
  assert.notEqual(a.crc, b.crc);

  /** A fresh simulator process on the flash file: the board powered up. */
  async function poweredUp<T>(
    fn: (s: Session, dev: SimBackedDevice) => Promise<T>,
    faults?: SimFaults,
  ): Promise<T> {
    const dev = await openSimDevice({ flashFile, faults });
    return withSession(
      async () => dev,
      async (s) => {
        await s.client.setBaud(3_000_000);
        return fn(s, dev);
      },
    );
  }

  async function runs(s: Session, m: Model, what: string): Promise<void> {
    const r = await runBlobOnDevice(s.client, m.blob, m.input);
    assert.deepEqual(Array.from(r.codes), m.codes, `${what}: output codes`);
  }

  /** `m` is the active model and the stored one, as commit `seq`. */
  function holds(info: DeviceInfo, m: Model, seq: number, what: string): void {
    assert.deepEqual(info.model, { size: m.bytes.length, crc: m.crc }, `${what}: the active model`);
    assert.deepEqual(info.stored, { size: m.bytes.length, crc: m.crc, seq }, `${what}: the stored model`);
  }

  /** A LOAD of `m` during which the power goes (the simulator stops, saving its flash) once `cut` says so. */
  async function powerCut(
    s: Session,
    dev: SimBackedDevice,
    m: Model,
    cut: (p: LoadProgress) => boolean,
    chunkSize?: number,
  ): Promise<void> {
    let closing: Promise<void> | undefined;
    await assert.rejects(
      s.client.load(m.bytes, {
        ...(chunkSize ? { chunkSize } : {}),
        onProgress: (p) => {
          if (!closing && cut(p)) closing = dev.close();
        },
      }),
    );
    await closing;
  }

  /** LOAD_BEGIN declaring `crc`, then every 1 KiB chunk of `m` posted at once; their acknowledgements. */
  async function stage(s: Session, m: Model, crc: number): Promise<Promise<void>[]> {
    const size = m.bytes.length;
    const ready = await s.client.request("LOAD_BEGIN", { size, crc, resume: false });
    assert.equal(ready.have, 0);
    const frames: Promise<void>[] = [];
    for (let off = 0; off < size; off += 1024) {
      const data = m.bytes.subarray(off, Math.min(size, off + 1024));
      frames.push(s.client.channel.send(MESSAGES.LOAD_CHUNK.op, encodeBody("LOAD_CHUNK", { off, data })));
    }
    return frames;
  }

  test("LOAD stores the model; the next power-up runs it without an upload, bit-identical", async (t) => {
    await poweredUp(async (s, dev) => {
      assert.equal(s.info.stored, undefined, "an erased flash holds no model");
      assert.equal(s.info.model, undefined);
      const m0 = await dev.sim.mark();
      const w0 = performance.now();
      const load = await s.client.load(a.bytes);
      const m1 = await dev.sim.mark();
      assert.equal(load.verified, true);
      t.diagnostic(
        `LOAD of ${a.bytes.length} B at 3 Mbaud, flash commit included: ${m1.cycle - m0.cycle} SoC cycles ` +
          `(${(((m1.cycle - m0.cycle) / SOC_CLOCK_HZ) * 1000).toFixed(1)} ms of device time), ` +
          `${((performance.now() - w0) / 1000).toFixed(2)} s wall clock`,
      );
      holds(await s.client.hello(), a, 1, "after LOAD");
      await runs(s, a, "after LOAD");
    });
    await poweredUp(async (s) => {
      holds(s.info, a, 1, "at boot");
      await runs(s, a, "after the power cycle, without an upload");
      const again = await s.client.load(a.bytes);
      assert.equal(again.skipped, true, "the host sees the model active and sends nothing");
    });
  });

  test("a LOAD whose link closes half-way leaves the stored model, also after a power cycle", async () => {
    await poweredUp((s, dev) =>
      powerCut(s, dev, b, (p) => p.phase === "upload" && p.bytes >= b.bytes.length / 2, 256),
    );
    await poweredUp(async (s) => {
      holds(s.info, a, 1, "after the interrupted LOAD");
      await runs(s, a, "after the interrupted LOAD");
    });
  });

  test("a blob that fails the whole-blob CRC-32 is refused and the old model keeps running", async () => {
    await poweredUp(async (s) => {
      await Promise.all(await stage(s, b, (b.crc ^ 1) >>> 0));
      await assert.rejects(s.client.request("LOAD_END", { size: b.bytes.length }), (e: unknown) => {
        assert.ok(e instanceof DeviceError && e.is("CRC_MISMATCH"), String(e));
        assert.equal(e.detail, b.crc, "the device found the real blob's CRC");
        return true;
      });
      holds(await s.client.hello(), a, 1, "after the refused blob");
      await runs(s, a, "after the refused blob");
    });
  });

  test("power lost while LOAD_END writes the flash leaves the previous model stored and active", async () => {
    // LOAD_END is on its way: the simulator stops (and saves its flash) during the erase and program
    // that take the device at least 90 ms
    await poweredUp((s, dev) => powerCut(s, dev, b, (p) => p.phase === "verify"));
    await poweredUp(async (s) => {
      holds(s.info, a, 1, "after power was lost during the commit");
      await runs(s, a, "after power was lost during the commit");
    });
  });

  test("with 1e-4 of the bytes dropped and 1e-4 flipped both ways, LOAD and RUN still verify; the new model persists", async () => {
    const faults: SimFaults = { drop: 1e-4, flip: 1e-4, direction: "both", seed: 9 };
    let hit = 0;
    await poweredUp(async (s, dev) => {
      // two models back and forth: enough line bytes for several faults (seed 9 strikes within the first
      // 2 000 bytes; the sequence is deterministic)
      for (const [m, seq] of [
        [b, 2],
        [a, 3],
        [b, 4],
      ] as const) {
        const load = await s.client.load(m.bytes, { force: true });
        assert.equal(load.verified, true);
        holds(await s.client.hello(), m, seq, "on the noisy line");
        await runs(s, m, "on the noisy line");
      }
      await dev.close();
      const st = dev.simStats();
      hit = (st?.dropped ?? 0) + (st?.flipped ?? 0);
    }, faults);
    assert.ok(hit > 0, "the faults were there and were repaired");
    await poweredUp(async (s) => {
      holds(s.info, b, 4, "after the power cycle");
      await runs(s, b, "after the power cycle");
    });
  });

  test("a stored blob that went bad in flash is not run: boot falls back to the older commit", async () => {
    // commit 4 (b) sits in flash slot 1 (commits alternate, the first in slot 0): flip one bit of it
    const image = readFileSync(flashFile);
    const at = constant("FLASH_SLOT1_OFFSET") + 100;
    image[at] = image[at]! ^ 0x10;
    writeFileSync(flashFile, image);
    await poweredUp(async (s) => {
      // b is declared at once (the copy runs in the background); the RUN waits for the copy, whose
      // CRC-32 fails, and then runs the older commit's model
      await runs(s, a, "the older model");
      holds(await s.client.hello(), a, 3, "the older model");
      // the next LOAD goes to the bad slot and a record numbered after the good one
      assert.equal((await s.client.load(b.bytes)).verified, true);
      holds(await s.client.hello(), b, 4, "reloaded");
      await runs(s, b, "reloaded");
    });
  });

  test("a host that goes away during the flash commit: a new session finds the commit finished, the model stored and running", async (t) => {
    await poweredUp(async (s, dev) => {
      // b is active and stored as commit 4 (the test before)
      holds(s.info, b, 4, "before");
      const frames = await stage(s, a, a.crc);
      frames.push(
        s.client.channel.send(MESSAGES.LOAD_END.op, encodeBody("LOAD_END", { size: a.bytes.length })),
      );
      // every frame acknowledged: the device has LOAD_END and starts the commit; this host leaves
      await Promise.all(frames);
      const left = await dev.sim.mark();
      s.client.channel.close();
      // another host on the same line, the device never powered down
      const s2 = await openSession(dev);
      try {
        const opened = await dev.sim.mark();
        let info = s2.info;
        const first = info.model;
        while (info.model?.crc !== a.crc && (await dev.sim.mark()).cycle - left.cycle < 20 * SOC_CLOCK_HZ)
          info = await s2.client.hello();
        const done = await dev.sim.mark();
        t.diagnostic(
          `session opened ${opened.cycle - left.cycle} cycles after the host left, the model active ${done.cycle - left.cycle} cycles after (first INFO: ${first?.crc === a.crc ? "new" : "old"} model)`,
        );
        holds(info, a, 5, "the commit finished");
        await runs(s2, a, "committed while no host was there");
      } finally {
        s2.client.channel.close();
      }
    });
    await poweredUp(async (s) => {
      holds(s.info, a, 5, "after the power cycle");
      await runs(s, a, "after the power cycle");
    });
  });
});
