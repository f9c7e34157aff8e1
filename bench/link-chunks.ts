/**
 * Upload rate on the simulated SoC at 3 Mbaud by chunk size, on a clean line and with faults: the same
 * 12 KiB random blobs uploaded with each fixed LOAD_CHUNK size and with the host's own choice (the
 * chunk sizer, host/protocol/policy.ts). The rate is payload bytes over simulated time (SoC cycles at the
 * board clock, SIGUSR1 marks) from the first chunk to LOAD_END, as a share of the nominal baud / 10.
 *
 *   npx tsc -p . && node dist/bench/link-chunks.js [--blobs 6] [--fault 1e-4] [--seed 3]
 *
 * Prints one JSON line per (chunk size, line) pair.
 */
import { SOC_CLOCK_HZ } from "../fpga/soc/map.js";
import { withSession } from "../host/device/device.js";
import { openSimDevice } from "../host/device/sim.js";
import { seededRandom } from "../host/protocol/index.js";
import type { SimFaults } from "../sim/device/sim-device.js";
import { timedUpload } from "../test/helpers/timed-upload.js";

const BAUD = 3_000_000;
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

async function rate(chunk: number | undefined, faults: SimFaults | undefined, blobs: number) {
  const dev = await openSimDevice({ faults });
  return withSession(
    async () => dev,
    async (s) => {
      await s.client.setBaud(BAUD);
      const rnd = seededRandom(2);
      let seconds = 0;
      let bytes = 0;
      const before = await s.client.stats();
      for (let i = 0; i < blobs; i++) {
        const blob = Uint8Array.from({ length: 12 * 1024 }, () => Math.floor(rnd() * 256));
        const r = await timedUpload(dev, s, blob, chunk);
        if (!r.verified) throw new Error("an upload did not verify");
        seconds += (r.end.cycle - r.start.cycle) / SOC_CLOCK_HZ;
        bytes += blob.length;
      }
      const after = await s.client.stats();
      return {
        chunk: chunk ?? "auto",
        faults: faults?.drop ?? 0,
        line_share: Number((bytes / seconds / (BAUD / 10)).toFixed(4)),
        retransmits: after.host.retransmits - before.host.retransmits,
      };
    },
  );
}

async function main(): Promise<void> {
  const blobs = arg("--blobs", 6);
  const fault = arg("--fault", 1e-4);
  const faults: SimFaults = { drop: fault, flip: fault, direction: "both", seed: arg("--seed", 3) };
  for (const f of [undefined, faults])
    for (const chunk of [128, 256, 512, 1024, undefined])
      process.stdout.write(`${JSON.stringify(await rate(chunk, f, blobs))}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
