/**
 * The USB bulk transport without USB hardware: a fake device implements the few calls of the `usb`
 * package the transport uses, with bulk endpoints that carry bytes to and from the firmware's real
 * protocol code (native build, test/host/protocol/native-device.ts). The protocol client over it must
 * connect, flash and run; listing and opening fail with one-line reasons and never crash.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openSession, withSession } from "../../../host/device/device.js";
import {
  findBulkPair,
  listUsbDevices,
  matchUsbSelector,
  openUsbDevice,
  type UsbBackend,
  type UsbBulkDevice,
  type UsbInResult,
  type UsbInterfaceInfo,
  type UsbOutResult,
} from "../../../host/device/usb-link.js";
import { crc32, type Link } from "../../../host/protocol/index.js";
import { gccMissing } from "../../firmware/protocol/native-build.js";
import { NativeDevice } from "../protocol/native-device.js";

const skip = gccMissing();

const BULK: UsbInterfaceInfo[] = [
  // An interrupt-only interface first: the transport must pick the bulk pair of the second one.
  {
    interfaceNumber: 0,
    alternate: {
      interfaceClass: 3,
      endpoints: [{ endpointNumber: 1, direction: "in", type: "interrupt", packetSize: 8 }],
    },
  },
  {
    interfaceNumber: 1,
    alternate: {
      interfaceClass: 0xff,
      endpoints: [
        { endpointNumber: 2, direction: "in", type: "bulk", packetSize: 64 },
        { endpointNumber: 3, direction: "out", type: "bulk", packetSize: 64 },
      ],
    },
  },
];

/**
 * A USB device whose bulk OUT endpoint writes into `line` and whose bulk IN endpoint returns what came
 * back from it, at most `length` bytes per transfer, and times out like the `usb` package when nothing came.
 * It checks the calling order a real device enforces: open, claim, transfer on the claimed endpoints.
 */
class FakeUsb implements UsbBulkDevice {
  readonly bus = "1";
  readonly speed = "full";
  readonly productName = "fake quart";
  opened = false;
  claimed = new Set<number>();
  inTransfers = 0;
  outBytes = 0;
  private pending: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  openError: string | undefined;
  claimError: string | undefined;

  constructor(
    private readonly line: Link | undefined,
    readonly vendorId = 0x1209,
    readonly productId = 0x0001,
    readonly address = 7,
    readonly configuration: { interfaces: UsbInterfaceInfo[] } | null = { interfaces: BULK },
  ) {
    line?.onData((b) => {
      this.pending.push(b);
      this.waiter?.();
    });
  }

  async open(): Promise<void> {
    if (this.openError) throw new Error(this.openError);
    this.opened = true;
  }
  async close(): Promise<void> {
    assert.equal(this.claimed.size, 0, "interfaces released before close");
    this.opened = false;
  }
  async claimInterface(n: number): Promise<void> {
    assert.ok(this.opened, "claim before open");
    if (this.claimError) throw new Error(this.claimError);
    this.claimed.add(n);
  }
  async releaseInterface(n: number): Promise<void> {
    this.claimed.delete(n);
  }
  async transferIn(ep: number, length: number, timeout = 1000): Promise<UsbInResult> {
    assert.ok(this.opened && this.claimed.has(1), "IN transfer on an unclaimed interface");
    assert.equal(ep, 2, "bulk IN endpoint");
    this.inTransfers++;
    if (this.pending.length === 0)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          // What the `usb` package (nusb) reports when an IN transfer times out.
          reject(new Error("transferIn error: Cancelled"));
        }, timeout);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    const all = Buffer.concat(this.pending.splice(0));
    const take = all.subarray(0, length);
    if (all.length > length) this.pending.unshift(all.subarray(length));
    return { data: new DataView(take.buffer, take.byteOffset, take.byteLength), status: "ok" };
  }
  async transferOut(ep: number, data: Uint8Array): Promise<UsbOutResult> {
    assert.ok(this.opened && this.claimed.has(1), "OUT transfer on an unclaimed interface");
    assert.equal(ep, 3, "bulk OUT endpoint");
    this.outBytes += data.length;
    await this.line!.write(Uint8Array.from(data));
    return { bytesWritten: data.length, status: "ok" };
  }
}

const backendOf = (...devices: UsbBulkDevice[]): UsbBackend => ({ getDevices: async () => devices });

function blob(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 255);
}

describe("USB bulk transport", () => {
  test("the protocol client flashes and runs over the bulk endpoints", { skip }, async () => {
    const dev = NativeDevice.start();
    try {
      const conn = dev.connect();
      const usb = new FakeUsb(conn.host);
      const model = blob(7000, 3);
      await withSession(
        () => openUsbDevice("1209:0001", { backend: backendOf(usb) }),
        async ({ device, client, info }) => {
          assert.equal(device.kind, "usb");
          assert.equal(device.label, "usb 1209:0001 (1-7)");
          assert.ok(info.stageCapacity >= model.length);
          const load = await client.load(model);
          assert.equal(load.verified, true);
          assert.deepEqual(dev.committed(), model, "the device committed the blob byte for byte");
          const input = blob(3000, 9);
          const r = await client.run(input);
          // The native device's RUN: out[i] = in[i] + 3·model[i mod |model|] + i (mod 256).
          const want = Uint8Array.from(
            { length: input.length },
            (_, i) => input[i]! + 3 * model[i % model.length]! + i,
          );
          assert.equal(crc32(r.output), crc32(want));
          assert.equal(r.cycles, 1000 + 4 * input.length);
        },
      );
      assert.equal(usb.opened, false, "closed");
      assert.equal(usb.claimed.size, 0, "released");
      assert.ok(usb.outBytes > 7000 + 3000, `${usb.outBytes} bytes went out`);
    } finally {
      await dev.stop();
    }
  });

  test("a protocol version mismatch is reported as such, not as silence", { skip }, async () => {
    const dev = NativeDevice.start([], ["QP_DEVICE_VERSION=7"]);
    try {
      const usb = new FakeUsb(dev.connect().host);
      const device = await openUsbDevice("1-7", { backend: backendOf(usb) });
      await assert.rejects(
        openSession(device),
        /^DeviceOpenError: usb 1209:0001 \(1-7\): protocol version mismatch: host speaks v\d+, device speaks v7; update the host/,
      );
      assert.equal(usb.opened, false, "the device is closed after the failure");
    } finally {
      await dev.stop();
    }
  });

  test("selection and opening fail with one-line reasons", async () => {
    const other = new FakeUsb(undefined, 0x1209, 0x0001, 8);
    const noBulk = new FakeUsb(undefined, 0x1209, 0x0001, 9, {
      interfaces: [BULK[0]!],
    });
    await assert.rejects(
      openUsbDevice("dead:beef", { backend: backendOf(other) }),
      /^DeviceOpenError: no USB device dead:beef$/,
    );
    await assert.rejects(
      openUsbDevice("1209:0001", { backend: backendOf(other, new FakeUsb(undefined, 0x1209, 0x0001, 5)) }),
      /2 USB devices match 1209:0001; name one by BUS-ADDRESS \(1-8, 1-5\)/,
    );
    const locked = new FakeUsb(undefined, 0x1209, 0x0001, 10);
    Object.defineProperty(locked, "configuration", {
      get() {
        throw new Error("configuration error: open error: Permission denied (os error 13)");
      },
    });
    await assert.rejects(
      openUsbDevice("1-10", { backend: backendOf(locked) }),
      /^DeviceOpenError: cannot read the descriptors of usb 1209:0001: configuration error: open error: Permission denied \(os error 13\) \(permission\?/,
    );
    assert.deepEqual((await listUsbDevices(backendOf(locked))).devices, [], "listed without crashing");
    await assert.rejects(
      openUsbDevice("1-9", { backend: backendOf(noBulk) }),
      /has no interface with bulk IN and OUT endpoints/,
    );
    other.openError = "LIBUSB_ERROR_ACCESS";
    await assert.rejects(
      openUsbDevice("1-8", { backend: backendOf(other) }),
      /cannot open usb 1209:0001 \(1-8\): LIBUSB_ERROR_ACCESS \(permission\?/,
    );
    other.openError = undefined;
    other.claimError = "LIBUSB_ERROR_BUSY";
    await assert.rejects(
      openUsbDevice("1-8", { backend: backendOf(other) }),
      /usb 1209:0001 \(1-8\) is busy: interface 1 cannot be claimed/,
    );
    assert.equal(other.opened, false, "closed again after the failed claim");
    await assert.rejects(
      openUsbDevice("1209:0001", { backend: { error: "libusb not found" } }),
      /usb unavailable: libusb not found/,
    );
    assert.throws(() => matchUsbSelector("12:34"), /bad --usb "12:34"/);
    assert.ok(matchUsbSelector("001-8")(other), "bus numbers as lsusb prints them");
    assert.ok(!matchUsbSelector("2-8")(other));
  });

  test("listing: known VID:PIDs with a bulk pair only, and no crash without libusb or a bus", async () => {
    const listed = await listUsbDevices(
      backendOf(
        new FakeUsb(undefined, 0x1209, 0x0001, 3),
        new FakeUsb(undefined, 0x046d, 0xc077, 4),
        new FakeUsb(undefined, 0x1209, 0x0001, 5, { interfaces: [BULK[0]!] }),
      ),
    );
    assert.equal(listed.error, null);
    assert.deepEqual(
      listed.devices.map((d) => [d.id, d.address, d.bulk]),
      [["1209:0001", 3, { interface: 1, in: 2, out: 3, packet_size: 64 }]],
    );
    assert.deepEqual(await listUsbDevices({ error: "no libusb" }), {
      devices: [],
      error: "usb unavailable: no libusb",
    });
    const failing: UsbBackend = {
      getDevices: async () => {
        throw new Error("LIBUSB_ERROR_ACCESS\nmore");
      },
    };
    assert.deepEqual(await listUsbDevices(failing), {
      devices: [],
      error: "cannot list USB devices: LIBUSB_ERROR_ACCESS",
    });
    // Whatever this machine has (no USB bus in a container, no permission): a list, never a throw.
    const here = await listUsbDevices();
    assert.ok(Array.isArray(here.devices));
    assert.equal(findBulkPair(new FakeUsb(undefined))?.interfaceNumber, 1);
  });
});
