/**
 * DeviceClient against the real firmware protocol code (native build, driven through a pipe), with
 * seeded faults, latency and rate limits on the line in between.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeBody } from "../../../host/protocol/body.js";
import { DeviceClient } from "../../../host/protocol/client.js";
import { crc32 } from "../../../host/protocol/crc32.js";
import {
  DeviceError,
  ProtocolError,
  ProtocolVersionError,
  TimeoutError,
} from "../../../host/protocol/errors.js";
import { type LineOptions, type Link, seededRandom } from "../../../host/protocol/link.js";
import { replyTimeoutMs } from "../../../host/protocol/policy.js";
import { MESSAGES, PROTOCOL_VERSION, TIMING } from "../../../host/protocol/spec.js";
import { gccMissing } from "../../firmware/protocol/native-build.js";
import { NativeDevice } from "./native-device.js";

const skip = gccMissing();

function blob(n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

/** What the native device's stand-in "model" computes (test/firmware/protocol/native_device.c). */
function expectedOutput(input: Uint8Array, model: Uint8Array): Uint8Array {
  return Uint8Array.from(
    { length: input.length },
    (_, i) => input[i % input.length]! + 3 * model[i % model.length]! + i,
  );
}

async function withDevice(
  fn: (dev: NativeDevice) => Promise<void>,
  args: readonly string[] = [],
  defines: readonly string[] = [],
): Promise<void> {
  const dev = NativeDevice.start(args, defines);
  try {
    await fn(dev);
  } finally {
    await dev.stop();
  }
}

async function connect(dev: NativeDevice, line: LineOptions = {}, opts = {}) {
  const conn = dev.connect(line);
  const client = await DeviceClient.connect(conn.host, opts);
  return { conn, client };
}

test("connect: SYNC, version check and INFO from the firmware code", { skip }, () =>
  withDevice(async (dev) => {
    const { client } = await connect(dev);
    const info = client.info!;
    assert.equal(info.version, PROTOCOL_VERSION);
    assert.equal(info.device, "quart-native");
    assert.equal(info.chunkMax, 1024);
    assert.equal(info.clockHz, 24_000_000);
    assert.equal(info.model, undefined);
    assert.equal(info.link.window, 8, "the device advertises QP_DEVICE_RX_WINDOW");
    assert.equal(client.channel.window, 8);
    await client.close();
  }),
);

test("a 256 KiB model uploads, is verified and committed byte for byte", { skip }, () =>
  withDevice(async (dev) => {
    const { client } = await connect(dev);
    const model = blob(256 * 1024, 1);
    const phases: string[] = [];
    let last = 0;
    const r = await client.load(model, {
      onProgress: (p) => {
        phases.push(p.phase);
        assert.ok(p.bytes >= last, "progress is monotonic");
        last = p.bytes;
        assert.equal(p.total, model.length);
      },
    });
    assert.equal(r.verified, true);
    assert.equal(r.skipped, false);
    assert.equal(r.crc, crc32(model));
    assert.deepEqual(dev.committed(), model);
    assert.deepEqual([...new Set(phases)], ["upload", "verify", "done"]);
    const info = await client.hello();
    assert.deepEqual(info.model, { size: model.length, crc: crc32(model) });
    await client.close();
  }),
);

for (const rate of [1e-4, 1e-3]) {
  test(
    `uploads and runs survive ${rate} byte faults (drop, flip, duplicate) in both directions`,
    { skip },
    (t) =>
      withDevice(async (dev) => {
        const faults = {
          drop: rate * 0.3,
          flip: rate * 0.5,
          duplicate: rate * 0.2,
          seed: Math.round(1 / rate),
        };
        const { conn, client } = await connect(dev, { faults });
        const model = blob(256 * 1024, 2);
        const r = await client.load(model);
        assert.equal(r.verified, true);
        assert.deepEqual(dev.committed(), model, "the committed model is identical");
        const input = blob(20_000, 3);
        const out = await client.run(input);
        assert.deepEqual(out.output, expectedOutput(input, model));
        const stats = await client.stats();
        const line = conn.host.stats;
        assert.ok(line.dropped + line.flipped + line.duplicated > 0, "faults were injected");
        assert.ok(stats.host.retransmits > 0 && stats.device.rx_bad > 0, "and detected");
        t.diagnostic(
          `${rate}: ${line.flipped + line.dropped + line.duplicated} faults host→device, ${stats.host.retransmits} host retransmissions, ` +
            `${stats.device.tx_retx} device retransmissions, payload/line ${(model.length / line.written).toFixed(3)}`,
        );
        await client.close();
      }),
  );
}

test("run: the input goes up, the output tensor and the cycle counters come back", { skip }, () =>
  withDevice(async (dev) => {
    const { client } = await connect(dev);
    const model = blob(5000, 4);
    await client.load(model);
    for (const n of [1, 1024, 1025, 30_000]) {
      const input = blob(n, n);
      const r = await client.run(input);
      assert.deepEqual(r.output, expectedOutput(input, model), `${n} bytes`);
      assert.equal(r.cycles, 1000 + 4 * n);
      assert.equal(r.counters[0], n);
      assert.equal(r.counters[1], model.length);
      assert.equal(r.deviceSeconds, r.cycles / 24e6);
    }
    await client.close();
  }),
);

test(
  "an interrupted upload leaves the previous model active, and a resume continues where the device stopped",
  { skip },
  () =>
    withDevice(async (dev) => {
      let { conn, client } = await connect(dev, {}, { maxRetries: 3 });
      const a = blob(64 * 1024, 5);
      await client.load(a);
      const b = blob(256 * 1024, 6);
      let acked = 0;
      // Pull the cable at 40 %.
      const interrupted = client.load(b, {
        chunkSize: 512,
        onProgress: (p) => {
          acked = p.bytes;
          if (p.bytes > b.length * 0.4) conn.host.setFaults({ cut: true });
        },
      });
      await assert.rejects(interrupted, TimeoutError);
      const sentBeforeCut = acked;
      client.channel.close();
      conn.disconnect();

      // A new host session: the old model is still the active one.
      ({ conn, client } = await connect(dev));
      assert.deepEqual(client.info!.model, { size: a.length, crc: crc32(a) });
      assert.deepEqual(dev.committed(), a);

      const first: number[] = [];
      const r = await client.load(b, { onProgress: (p) => first.push(p.bytes) });
      assert.ok(r.resumedFrom > 0, "resumed");
      assert.ok(
        r.resumedFrom >= sentBeforeCut,
        `device kept at least what it acknowledged (${r.resumedFrom} >= ${sentBeforeCut})`,
      );
      assert.ok(r.resumedFrom < b.length);
      assert.equal(r.resumedFrom % 512, 0, "at a chunk boundary");
      assert.equal(first[0], r.resumedFrom, "the upload continued at the device's offset");
      const rest = b.length - r.resumedFrom;
      assert.ok(
        conn.host.stats.written < rest * 1.05 + 2048,
        `only the rest was sent (${conn.host.stats.written} bytes for ${rest})`,
      );
      assert.deepEqual(dev.committed(), b);
      await client.close();
    }),
);

test("resume: false starts over, and a blob that is already active is skipped", { skip }, () =>
  withDevice(async (dev) => {
    const { conn, client } = await connect(dev);
    const m = blob(40_000, 7);
    await client.load(m);
    const before = conn.host.stats.written;
    const again = await client.load(m);
    assert.equal(again.skipped, true);
    assert.ok(conn.host.stats.written - before < 200, "nothing but LOAD_BEGIN was sent");
    const forced = await client.load(m, { force: true, resume: false });
    assert.equal(forced.skipped, false);
    assert.equal(forced.resumedFrom, 0);
    await client.close();
  }),
);

test("a blob whose CRC does not match is refused at LOAD_END and the previous model stays", { skip }, () =>
  withDevice(async (dev) => {
    const { client } = await connect(dev);
    const good = blob(3000, 8);
    await client.load(good);
    const bad = blob(2048, 9);
    // Announce the CRC of other bytes: every frame arrives intact, the whole-blob check must catch it.
    const ready = await client.request("LOAD_BEGIN", { size: bad.length, crc: (crc32(bad) ^ 1) >>> 0 });
    assert.equal(ready.have, 0);
    for (let off = 0; off < bad.length; off += 1024)
      await client.channel.send(
        MESSAGES.LOAD_CHUNK.op,
        encodeBody("LOAD_CHUNK", { off, data: bad.subarray(off, off + 1024) }),
      );
    const err = await client.request("LOAD_END", { size: bad.length }).catch((e: unknown) => e);
    assert.ok(err instanceof DeviceError && err.is("CRC_MISMATCH"), String(err));
    assert.equal(err.detail, crc32(bad), "the device reports the CRC it found");
    assert.deepEqual(dev.committed(), good);
    assert.deepEqual((await client.hello()).model, { size: good.length, crc: crc32(good) });
    await client.close();
  }),
);

test("device errors come back typed: BAD_OFFSET (sticky), NO_MODEL, TOO_LARGE, INCOMPLETE", { skip }, () =>
  withDevice(
    async (dev) => {
      const { client } = await connect(dev);
      await assert.rejects(
        client.run(new Uint8Array(10)),
        (e: unknown) => e instanceof DeviceError && e.is("NO_MODEL"),
      );
      await assert.rejects(
        client.load(new Uint8Array(200_000)),
        (e: unknown) => e instanceof DeviceError && e.is("TOO_LARGE") && e.detail === 100_000,
      );
      await client.request("LOAD_BEGIN", { size: 100, crc: 0 });
      await client.channel.send(
        MESSAGES.LOAD_CHUNK.op,
        encodeBody("LOAD_CHUNK", { off: 50, data: new Uint8Array(50) }),
      );
      const err = await client.request("LOAD_END", { size: 100 }).catch((e: unknown) => e);
      assert.ok(err instanceof DeviceError && err.is("BAD_OFFSET"), String(err));
      assert.match(err.message, /BAD_OFFSET/);
      await client.request("LOAD_BEGIN", { size: 100, crc: 0 });
      await assert.rejects(
        client.request("LOAD_END", { size: 100 }),
        (e: unknown) => e instanceof DeviceError && e.is("INCOMPLETE") && e.detail === 0,
      );
      await client.close();
    },
    ["--stage-capacity", "100000"],
  ),
);

test("a device speaking another protocol version is refused with both versions named", { skip }, () =>
  withDevice(
    async (dev) => {
      const conn = dev.connect();
      const err = await DeviceClient.connect(conn.host).catch((e: unknown) => e);
      assert.ok(err instanceof ProtocolVersionError, String(err));
      assert.equal(err.hostVersion, PROTOCOL_VERSION);
      assert.equal(err.deviceVersion, 7);
      assert.match(err.message, new RegExp(`v${PROTOCOL_VERSION}\\b.*v7\\b`));
    },
    [],
    ["QP_DEVICE_VERSION=7"],
  ),
);

test("reply timeouts scale with the work: a slow verification of a large blob still succeeds", {
  skip,
}, async () => {
  const size = 256 * 1024;
  assert.ok(
    replyTimeoutMs("LOAD_END", { bytes: 2 * size }) - TIMING.replyBaseMs >
      1.99 * (replyTimeoutMs("LOAD_END", { bytes: size }) - TIMING.replyBaseMs),
  );
  assert.ok(replyTimeoutMs("RUN") > replyTimeoutMs("HELLO"));
  // A device that reads its staging area back at 100 kB/s needs 2.6 s, more than the base allowance.
  await withDevice(
    async (dev) => {
      const { client } = await connect(dev);
      let verifyStart = 0;
      let verifyEnd = 0;
      const r = await client.load(blob(size, 10), {
        onProgress: (p) => {
          if (p.phase === "verify") verifyStart = performance.now();
          if (p.phase === "done") verifyEnd = performance.now();
        },
      });
      assert.equal(r.verified, true);
      assert.ok(
        verifyEnd - verifyStart > TIMING.replyBaseMs,
        `verification took ${Math.round(verifyEnd - verifyStart)} ms`,
      );
      await client.close();
    },
    ["--verify-rate", "100000"],
  );
});

test(
  "SET_BAUD switches both ends of a 115200 baud line to 3 Mbaud; an unsupported rate is refused",
  { skip },
  () =>
    withDevice(async (dev) => {
      const { conn, client } = await connect(dev, { baud: 115_200 });
      const info = await client.setBaud(3_000_000);
      assert.equal(info.version, PROTOCOL_VERSION);
      await dev.waitFor(/^set_baud 3000000$/);
      assert.equal(conn.host.baud, 3_000_000);
      assert.equal(conn.device.baud, 3_000_000);
      const m = blob(32 * 1024, 11);
      const t0 = performance.now();
      await client.load(m);
      assert.ok(
        performance.now() - t0 < 1500,
        "the upload ran at the new rate (32 KiB would take 2.8 s at 115200)",
      );
      assert.deepEqual(dev.committed(), m);
      await assert.rejects(
        client.setBaud(6_000_000),
        (e: unknown) => e instanceof DeviceError && e.is("BAD_BAUD"),
      );
      assert.equal(conn.host.baud, 3_000_000);
      await client.hello();
      await client.close();
    }),
);

test(
  "SET_BAUD fallback: a host port that cannot follow finds the device back at the old rate",
  { skip },
  () =>
    withDevice(
      async (dev) => {
        const conn = dev.connect({ baud: 115_200 });
        // A port that cannot do 3 Mbaud and silently runs at 2 Mbaud instead: the two ends disagree.
        const stuck: Link = {
          write: (b) => conn.host.write(b),
          onData: (cb) => conn.host.onData(cb),
          close: () => conn.host.close(),
          get baud() {
            return conn.host.baud;
          },
          get bytesPerSecond() {
            return conn.host.bytesPerSecond;
          },
          setBaud: (baud) => conn.host.setBaud(baud === 3_000_000 ? 2_000_000 : baud),
        };
        const client = await DeviceClient.connect(stuck);
        const t0 = performance.now();
        await assert.rejects(
          client.setBaud(3_000_000),
          (e: unknown) => e instanceof ProtocolError && /still connected at 115200/.test(e.message),
        );
        await dev.waitFor(/^set_baud 3000000$/);
        await dev.waitFor(/^set_baud 115200$/);
        const waited = performance.now() - t0;
        assert.ok(waited >= TIMING.deviceBaudRevertMs, `back after ${Math.round(waited)} ms`);
        assert.equal(conn.device.baud, 115_200);
        const m = blob(4096, 13);
        await client.load(m);
        assert.deepEqual(dev.committed(), m);
        await client.close();
      },
      ["--baud", "115200"],
    ),
);

test("RESET restarts the device; the host reconnects and the model is kept", { skip }, () =>
  withDevice(async (dev) => {
    const { client } = await connect(dev);
    const m = blob(10_000, 12);
    await client.load(m);
    await new Promise((r) => setTimeout(r, 50));
    const info = await client.reset();
    await dev.waitFor(/^reset$/);
    assert.deepEqual(info.model, { size: m.length, crc: crc32(m) });
    const stats = await client.stats();
    assert.equal(stats.device.loads, 0, "counters restarted");
    await client.close();
  }),
);

test("garbage on the line in both directions is survived", { skip }, () =>
  withDevice(async (dev) => {
    const { conn, client } = await connect(dev);
    const rnd = seededRandom(13);
    const junk = () => Uint8Array.from({ length: 3000 }, () => (rnd() < 0.02 ? 0 : Math.floor(rnd() * 256)));
    conn.device.inject(junk()); // into the device's receiver
    conn.host.inject(junk()); // into the host's receiver
    const m = blob(50_000, 14);
    await client.load(m);
    conn.device.inject(junk());
    const out = await client.run(blob(2000, 15));
    assert.equal(out.output.length, 2000);
    const stats = await client.stats();
    assert.ok(stats.device.rx_bad > 0 && stats.host.badFrames > 0);
    assert.deepEqual(dev.committed(), m);
    await client.close();
  }),
);
