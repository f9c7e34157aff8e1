/**
 * The UART's hardware frame decoder (fpga/rtl/uart/uart_cobs_rx.v) against the TypeScript framing on
 * the shared protocol vectors: every frame decodes to its bytes with a good verdict, and for frames
 * with one byte flipped (several values), dropped or duplicated the hardware verdict plus the
 * firmware's length check accepts exactly what FrameParser accepts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { cobsDecode } from "../../host/protocol/cobs.js";
import { FrameParser } from "../../host/protocol/frame.js";
import { FRAME } from "../../host/protocol/spec.js";
import { fromRoot } from "../../sim/device/paths.js";
import { buildTb, IVERILOG_TOOLS, removeVectors, runTb, writeVectors } from "../../sim/rtl/iverilog.js";
import { skipUnless } from "./cpu/cpu-harness.js";

const skip = skipUnless(IVERILOG_TOOLS);
const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

interface HwFrame {
  bytes: number[];
  ok: boolean;
}

/** Splits the decoder's entries into frames at its markers. */
function hwFrames(out: string): HwFrame[] {
  const frames: HwFrame[] = [];
  let bytes: number[] = [];
  for (const m of out.matchAll(/^E ([0-9a-f]{3})$/gm)) {
    const e = Number.parseInt(m[1]!, 16);
    if (e & 0x100) {
      frames.push({ bytes, ok: (e & 1) === 1 });
      bytes = [];
    } else bytes.push(e);
  }
  return frames;
}

/** The frames of one wire segment each, as the firmware decides with the hardware's verdict. */
function firmwareAccepts(f: HwFrame): boolean {
  const n = f.bytes.length;
  return f.ok && n >= FRAME.headerBytes + FRAME.crcBytes && n === 10 + (f.bytes[4]! | (f.bytes[5]! << 8));
}

function variants(wire: Uint8Array, positions: number[]): Uint8Array[] {
  const body = wire.subarray(0, wire.length - 1);
  const out: Uint8Array[] = [];
  for (const i of positions) {
    for (const v of [body[i]! ^ 1, body[i]! ^ 0x80, 0x00, 0xff, body[i]! ^ 0x5a]) {
      const c = body.slice();
      c[i] = v;
      out.push(c);
    }
    out.push(Uint8Array.from([...body.subarray(0, i), ...body.subarray(i + 1)]));
    out.push(Uint8Array.from([...body.subarray(0, i + 1), ...body.subarray(i)]));
  }
  return out;
}

describe("uart_cobs_rx (iverilog) against the TypeScript framing", { skip }, () => {
  test("shared frame vectors and single-byte corruptions of them", async () => {
    const vectors = (
      JSON.parse(readFileSync(fromRoot("test/vectors/protocol/frames.json"), "utf8")) as {
        vectors: { name: string; wire: string }[];
      }
    ).vectors.map((v) => ({ name: v.name, wire: hex(v.wire) }));
    // Each segment: the bytes of one would-be frame; a delimiter follows each (an empty frame before
    // it, when a corruption left its own delimiter in, produces no entry).
    const segments: Uint8Array[] = vectors.map((v) => v.wire.subarray(0, v.wire.length - 1));
    for (const v of vectors) {
      const n = v.wire.length - 1;
      const positions = n <= 64 ? [...Array(n).keys()] : [0, 1, 2, 5, 9, 200, 254, 255, 256, n - 5, n - 1];
      segments.push(...variants(v.wire, positions));
    }
    const stream: number[] = [];
    for (const s of segments) stream.push(...s, FRAME.delimiter);

    const vvp = await buildTb({
      top: "uart_cobs_rx_tb",
      files: ["fpga/rtl/uart/uart_cobs_rx_tb.v", "fpga/rtl/uart/uart_cobs_rx.v"],
    });
    const file = writeVectors(vvp, "cobs-rx", [stream.length, ...stream]);
    let out: string;
    try {
      out = await runTb(vvp, [`+vectors=${file}`]);
    } finally {
      removeVectors(file);
    }
    assert.match(out, /^DONE$/m);
    const hw = hwFrames(out);

    // The reference: the same stream through FrameParser, frame by frame.
    const parser = new FrameParser();
    const expected: { accepted: boolean; decoded?: Uint8Array }[] = [];
    for (const s of segments) {
      // A zero inside a segment splits it: each piece is a frame of its own on both sides.
      for (const piece of splitAtZeros(s)) {
        if (piece.length === 0) continue;
        const ev = parser.push(Uint8Array.from([...piece, FRAME.delimiter]));
        let decoded: Uint8Array | undefined;
        try {
          decoded = cobsDecode(piece);
        } catch {
          decoded = undefined;
        }
        expected.push({ accepted: ev.length === 1 && ev[0]!.frame !== undefined, decoded });
      }
    }
    assert.equal(hw.length, expected.length, "one marker per non-empty frame");
    let accepted = 0;
    for (const [i, e] of expected.entries()) {
      const h = hw[i]!;
      assert.equal(
        firmwareAccepts(h),
        e.accepted,
        `frame ${i}: hardware verdict ${h.ok}, ${h.bytes.length} bytes`,
      );
      if (e.decoded && (h.ok || e.accepted))
        assert.deepEqual(Uint8Array.from(h.bytes), e.decoded, `frame ${i}`);
      if (e.accepted) accepted++;
    }
    assert.ok(accepted >= vectors.length, `${accepted} frames accepted`);
    assert.ok(expected.length - accepted > 500, "the corruptions were rejected");
  });
});

function splitAtZeros(s: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++)
    if (i === s.length || s[i] === 0) {
      out.push(s.subarray(start, i));
      start = i + 1;
    }
  return out;
}
