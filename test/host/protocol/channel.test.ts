import assert from "node:assert/strict";
import { test } from "node:test";
import { FramedChannel } from "../../../host/protocol/channel.js";
import { LinkClosedError, ProtocolVersionError, TimeoutError } from "../../../host/protocol/errors.js";
import { LoopbackLink } from "../../../host/protocol/link.js";
import { pattern } from "../../../host/protocol/vectors.js";

const MSG = 0x53;

function pair(line = {}, opts: { window?: number; deviceVersion?: number; maxRetries?: number } = {}) {
  const [a, b] = LoopbackLink.pair(line);
  const host = new FramedChannel(a, { window: opts.window, maxRetries: opts.maxRetries });
  const device = new FramedChannel(b, { role: "device", version: opts.deviceVersion, rxWindow: 16 });
  return { a, b, host, device };
}

test("messages arrive complete, once and in order in both directions under 1e-3 byte faults", async () => {
  const { host, device } = pair({ faults: { drop: 3e-4, flip: 5e-4, duplicate: 2e-4, seed: 11 } });
  const atDevice: Uint8Array[] = [];
  const atHost: Uint8Array[] = [];
  device.onMessage((_t, p) => atDevice.push(p));
  host.onMessage((_t, p) => atHost.push(p));
  await host.open();
  const sent = Array.from({ length: 300 }, (_, i) => pattern(1 + ((i * 97) % 400), i));
  await Promise.all([...sent.map((p) => host.send(MSG, p)), ...sent.map((p) => device.send(MSG, p))]);
  assert.deepEqual(atDevice, sent);
  assert.deepEqual(atHost, sent);
  assert.ok(host.stats.retransmits > 0 && device.stats.badFrames > 0, "the faults did hit");
  host.close();
  device.close();
});

test("no more than `window` frames are in flight before an acknowledgement", async () => {
  // ACKs from the device are lost: the host may send its window and then only retransmit.
  const [a, b] = LoopbackLink.pair();
  const host = new FramedChannel(a, { window: 5 });
  const device = new FramedChannel(b, { role: "device", rxWindow: 16 });
  const seen = new Set<number>();
  device.onMessage((_t, p) => seen.add(p[0]!));
  await host.open();
  b.setFaults({ cut: true });
  const sends = Array.from({ length: 12 }, (_, i) => host.send(MSG, new Uint8Array([i])).catch(() => {}));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(host.window, 5);
  assert.deepEqual(
    [...seen].sort((x, y) => x - y),
    [0, 1, 2, 3, 4],
  );
  host.close();
  device.close();
  await Promise.all(sends);
});

test("a silent peer exhausts the retry budget: TimeoutError, and the channel stays failed", async () => {
  const { a, host, device } = pair({}, { maxRetries: 3 });
  await host.open();
  a.setFaults({ cut: true });
  const t0 = performance.now();
  await assert.rejects(host.send(MSG, new Uint8Array([1])), TimeoutError);
  assert.ok(performance.now() - t0 < 5000);
  await assert.rejects(host.send(MSG, new Uint8Array([2])), TimeoutError);
  // Re-opening fails too while the line is cut, then works once it is back.
  await assert.rejects(host.open(), TimeoutError);
  a.setFaults({});
  await host.open();
  await host.send(MSG, new Uint8Array([3]));
  host.close();
  device.close();
});

test("a version mismatch fails open() with both versions named", async () => {
  const { host, device } = pair({}, { deviceVersion: 9 });
  const err = await host.open().then(
    () => assert.fail("opened"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProtocolVersionError);
  assert.equal(err.hostVersion, 1);
  assert.equal(err.deviceVersion, 9);
  assert.match(err.message, /v1.*v9/);
  await assert.rejects(host.send(MSG, new Uint8Array(1)), ProtocolVersionError);
  host.close();
  device.close();
});

test("closing rejects pending sends with LinkClosedError", async () => {
  const { a, host, device } = pair();
  await host.open();
  a.setFaults({ cut: true });
  const p = host.send(MSG, new Uint8Array([1]));
  host.close();
  await assert.rejects(p, LinkClosedError);
  device.close();
});
