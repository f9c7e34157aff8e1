/**
 * Flash timing of a model-sized LOAD on the simulated SoC (Verilator, the pin-level W25Q128JV model with
 * the data sheet's typical erase and program times): a blob of --bytes random bytes (the protocol stores
 * any bytes; default the size of the PyDNet-mobile W4A4 device image at 128×320) uploaded at 3 Mbaud,
 * then the same flash file powered up again. Times are simulated SoC cycles (SIGUSR1 marks), so they are
 * what the board would take; wall-clock seconds are printed beside them.
 *
 *   npx tsc -p . && node dist/bench/flash-store.js [--bytes 1420000]
 */
import { join } from "node:path";
import { SOC_CLOCK_HZ } from "../fpga/soc/map.js";
import { withSession } from "../host/device/device.js";
import { openSimDevice } from "../host/device/sim.js";
import { crc32, seededRandom } from "../host/protocol/index.js";
import type { SimMark } from "../sim/device/sim-device.js";
import { tempDir } from "../test/fpga/cpu/cpu-harness.js";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

async function main(): Promise<void> {
  const bytes = arg("--bytes", 1_420_000);
  const rnd = seededRandom(7);
  const blob = Uint8Array.from({ length: bytes }, () => Math.floor(rnd() * 256));
  const flashFile = join(tempDir("flash-bench"), "flash.bin");
  const ms = (a: SimMark, b: SimMark) => ((b.cycle - a.cycle) / SOC_CLOCK_HZ) * 1000;
  const out: Record<string, number> = { bytes };

  const t0 = performance.now();
  const dev1 = await openSimDevice({ flashFile });
  await withSession(
    async () => dev1,
    async (s) => {
      out.boot_empty_flash_cycles = (await dev1.sim.mark()).cycle;
      await s.client.setBaud(3_000_000);
      let start: Promise<SimMark> | undefined;
      let uploaded: Promise<SimMark> | undefined;
      const w0 = performance.now();
      await s.client.load(blob, {
        onProgress: (p) => {
          if (p.phase === "upload" && !start) start = dev1.sim.mark();
          if (p.phase === "verify" && !uploaded) uploaded = dev1.sim.mark();
        },
      });
      const done = await dev1.sim.mark();
      out.load_wall_s = (performance.now() - w0) / 1000;
      const [a, b] = await Promise.all([start!, uploaded!]);
      out.upload_ms = ms(a, b);
      out.verify_and_flash_commit_ms = ms(b, done);
      out.load_ms = ms(a, done);
      const info = await s.client.hello();
      if (info.stored?.crc !== crc32(blob)) throw new Error("the blob was not stored");
    },
  );
  const dev2 = await openSimDevice({ flashFile });
  await withSession(
    async () => dev2,
    async (s) => {
      out.boot_with_model_cycles = (await dev2.sim.mark()).cycle;
      if (s.info.model?.crc !== crc32(blob)) throw new Error("the stored model is not active after power-up");
      // the copy into XMEM runs in the background after boot: its time is reported once done
      let restore = 0;
      while (!restore) {
        restore = (await s.client.stats()).device.restore_cycles ?? Number.NaN;
        if (!restore) await new Promise((r) => setTimeout(r, 200));
      }
      out.restore_cycles = restore;
      out.restore_ms = (out.restore_cycles / SOC_CLOCK_HZ) * 1000;
    },
  );
  out.total_wall_s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
