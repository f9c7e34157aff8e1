/**
 * One LOAD on a simulated device timed as the upload-rate test and bench/link-chunks.ts measure it: from
 * the first chunk to LOAD_END being sent, in simulated time (SIGUSR1 marks: SoC cycles and line bytes)
 * and on the wall clock.
 */
import type { Session } from "../../host/device/device.js";
import type { SimBackedDevice } from "../../host/device/sim.js";
import type { SimMark } from "../../sim/device/sim-device.js";

export interface TimedUpload {
  readonly verified: boolean;
  readonly start: SimMark;
  readonly end: SimMark;
  readonly wallSeconds: number;
}

export async function timedUpload(
  dev: SimBackedDevice,
  s: Session,
  blob: Uint8Array,
  chunkSize?: number,
): Promise<TimedUpload> {
  let start: Promise<SimMark> | undefined;
  let end: Promise<SimMark> | undefined;
  let wall0 = 0;
  let wall1 = 0;
  const r = await s.client.load(blob, {
    force: true,
    ...(chunkSize ? { chunkSize } : {}),
    onProgress: (p) => {
      if (p.phase === "upload" && !start) {
        start = dev.sim.mark();
        wall0 = performance.now();
      } else if (p.phase === "verify" && !end) {
        end = dev.sim.mark();
        wall1 = performance.now();
      }
    },
  });
  const [a, b] = await Promise.all([start!, end!]);
  return { verified: r.verified, start: a, end: b, wallSeconds: (wall1 - wall0) / 1000 };
}
