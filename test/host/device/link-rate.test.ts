/**
 * Upload rate on the simulated device at 3 Mbaud: the Verilator SoC (bit-level UART, the protocol
 * firmware with the UART's hardware frame decoder) behind its pty, switched from the reset rate with
 * SET_BAUD. The sim runs slower than real time, so the rate that counts is measured in simulated time:
 * SoC cycles at the board clock (SOC_CLOCK_HZ) between two marks, against the nominal line rate
 * baud / 10 bytes per simulated second. Wall-clock figures are printed too, labelled as such.
 *
 * Each upload fills the device's staging slot (INFO.stage_capacity, at most UPLOAD_MAX: the external-memory
 * slots of the SoC with the accelerator are 1 MiB) and is verified by LOAD_END's
 * CRC-32 readback; several different blobs are uploaded back to back. The rate is payload bytes over the
 * simulated time from LOAD_READY to the last chunk acknowledged, summed over the blobs: it includes, once
 * per blob, the first frame's way in and the last ACK's way back (a longer blob would hide them).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SOC_CLOCK_HZ } from "../../../fpga/soc/map.js";
import { type Session, withSession } from "../../../host/device/device.js";
import { openSimDevice, type SimBackedDevice } from "../../../host/device/sim.js";
import { crc32, seededRandom } from "../../../host/protocol/index.js";
import { FIRMWARE_TOOLS } from "../../../sim/device/firmware.js";
import { SIM_TOOLS, type SimFaults, type SimMark } from "../../../sim/device/sim-device.js";
import { skipUnless } from "../../fpga/cpu/cpu-harness.js";
import { timedUpload } from "../../helpers/timed-upload.js";

const skip = skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS]);
const BAUD = 3_000_000;
const LINE_BYTES_PER_SEC = BAUD / 10;
/** Bytes per upload: the former RAM slot size, so the test keeps its length in simulated time. */
const UPLOAD_MAX = 12 * 1024;

interface Measured {
  bytes: number;
  /** LOAD_READY to the last chunk acknowledged, summed over the blobs (simulated seconds). */
  uploadSimSeconds: number;
  uploadWallSeconds: number;
  /** Host→device line bytes while uploading, over payload bytes. */
  lineBytes: number;
  retransmits: number;
  deviceRxBad: number;
}

const simSeconds = (a: SimMark, b: SimMark) => (b.cycle - a.cycle) / SOC_CLOCK_HZ;

async function uploads(dev: SimBackedDevice, s: Session, blobs: number, seed: number): Promise<Measured> {
  const rnd = seededRandom(seed);
  const size = Math.min(s.info.stageCapacity, UPLOAD_MAX);
  const m: Measured = {
    bytes: 0,
    uploadSimSeconds: 0,
    uploadWallSeconds: 0,
    lineBytes: 0,
    retransmits: 0,
    deviceRxBad: 0,
  };
  const before = await s.client.stats();
  for (let i = 0; i < blobs; i++) {
    const blob = Uint8Array.from({ length: size }, () => Math.floor(rnd() * 256));
    const r = await timedUpload(dev, s, blob);
    assert.equal(r.verified, true);
    const info = await s.client.hello();
    assert.deepEqual(info.model, { size, crc: crc32(blob) });
    m.bytes += size;
    m.uploadSimSeconds += simSeconds(r.start, r.end);
    m.uploadWallSeconds += r.wallSeconds;
    m.lineBytes += r.end.line_rx - r.start.line_rx;
  }
  const after = await s.client.stats();
  // STATS' device counters: its cycle counter saw at least the uploads, its receiver at least the data.
  const cycles = (r: typeof after) => (r.device.cycles_hi ?? 0) * 2 ** 32 + (r.device.cycles ?? 0);
  assert.ok(cycles(after) - cycles(before) > m.uploadSimSeconds * SOC_CLOCK_HZ, "STATS cycles");
  assert.ok((after.device.rx_bytes ?? 0) - (before.device.rx_bytes ?? 0) >= m.bytes, "STATS rx_bytes");
  m.retransmits = after.host.retransmits - before.host.retransmits;
  m.deviceRxBad = after.device.rx_bad - before.device.rx_bad;
  return m;
}

function report(label: string, m: Measured, diag: (s: string) => void): number {
  const rate = m.bytes / m.uploadSimSeconds;
  diag(
    `${label}: ${m.bytes} B in ${(m.uploadSimSeconds * 1000).toFixed(1)} ms of simulated time = ` +
      `${(rate / 1000).toFixed(1)} kB/s = ${((100 * rate) / LINE_BYTES_PER_SEC).toFixed(1)} % of the nominal ${LINE_BYTES_PER_SEC / 1000} kB/s; ` +
      `wall clock ${(m.bytes / m.uploadWallSeconds / 1000).toFixed(1)} kB/s ` +
      `(${(m.uploadWallSeconds / m.uploadSimSeconds).toFixed(1)} s of wall clock per simulated s); ` +
      `line bytes / payload ${(m.lineBytes / m.bytes).toFixed(3)}; host retransmissions ${m.retransmits}; device bad frames ${m.deviceRxBad}`,
  );
  return rate / LINE_BYTES_PER_SEC;
}

async function atThreeMbaud<T>(
  faults: SimFaults | undefined,
  fn: (d: SimBackedDevice, s: Session) => Promise<T>,
) {
  const dev = await openSimDevice({ faults });
  return withSession(
    async () => dev,
    async (s) => {
      const info = await s.client.setBaud(BAUD);
      assert.equal(s.device.baud, BAUD);
      assert.equal(info.maxBaud, BAUD);
      assert.equal((await dev.sim.mark()).div, SOC_CLOCK_HZ / BAUD, "the RTL divisor follows SET_BAUD");
      return fn(dev, s);
    },
  );
}

describe("upload rate on the simulated SoC at 3 Mbaud (simulated time)", { skip }, () => {
  test("clean line: at least 85 % of the nominal line rate", async (t) => {
    await atThreeMbaud(undefined, async (dev, s) => {
      const m = await uploads(dev, s, 6, 1);
      const rate = report("clean", m, (l) => t.diagnostic(l));
      assert.equal(m.deviceRxBad, 0, "no frame lost inside the device (RX FIFO overrun)");
      assert.ok(rate >= 0.85, `upload at ${(100 * rate).toFixed(1)} % of the line rate`);
    });
  });

  test("1e-4 of the bytes dropped and 1e-4 flipped, both ways: every upload still verifies", async (t) => {
    const faults: SimFaults = { drop: 1e-4, flip: 1e-4, direction: "both", seed: 3 };
    await atThreeMbaud(faults, async (dev, s) => {
      const m = await uploads(dev, s, 6, 2);
      report("faults 1e-4", m, (l) => t.diagnostic(l));
      assert.ok(m.retransmits > 0, "the faults were there and were repaired");
    });
  });
});
