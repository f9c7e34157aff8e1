/**
 * The read-only segments the lowering fills: packed weights (WGT) and tables (TBL), in the formats
 * the instructions read (spec.ts TABLE_BYTES; weights two int4 per byte, low nibble first).
 */
import { TABLE_BYTES } from "../isa/spec.js";
import type { Encoding, OutputStage } from "../ptq/qgraph.js";

/** A growable byte array whose chunks start on `align` bytes. */
export class SegmentBuilder {
  private buf = new Uint8Array(1024);
  private used = 0;

  constructor(private readonly align = 16) {}

  get length(): number {
    return this.used;
  }

  /** Appends bytes; returns their byte offset. */
  append(bytes: Uint8Array): number {
    const at = Math.ceil(this.used / this.align) * this.align;
    const need = at + bytes.length;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.used));
      this.buf = grown;
    }
    this.buf.set(bytes, at);
    this.used = need;
    return at;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.used);
  }
}

/** Two's complement int4 pairs: element 2k in the low nibble of byte k. */
export function packInt4(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < -8 || v > 7 || !Number.isInteger(v)) throw new Error(`weight ${v} does not fit int4`);
    out[i >> 1]! |= (v & 15) << ((i & 1) * 4);
  }
  return out;
}

export function unpackInt4(bytes: Uint8Array, count: number): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) out[i] = (((bytes[i >> 1]! >> ((i & 1) * 4)) & 15) << 28) >> 28;
  return out;
}

export function packWeights(values: Int8Array, bits: 4 | 8): Uint8Array {
  return bits === 4
    ? packInt4(values)
    : new Uint8Array(values.buffer, values.byteOffset, values.length).slice();
}

/** Per-channel decode table of a conv/resize input: 16 int8 levels (lut4) or the pad value (lin8). */
export function decodeTable(enc: Encoding): Uint8Array {
  if (enc.kind === "lut4") return new Uint8Array(enc.lut.buffer, enc.lut.byteOffset, enc.lut.length).slice();
  if (enc.kind === "lin8") {
    const out = new Uint8Array(enc.channels);
    for (let c = 0; c < enc.channels; c++) {
      const z = enc.zeros[c]!;
      if (z < -128 || z > 127) throw new Error(`lin8 zero ${z} of channel ${c} is not an int8`);
      out[c] = z & 255;
    }
    return out;
  }
  throw new Error("an acc32 tensor cannot be the input of the matrix unit");
}

export function decodeTableBytes(enc: Encoding): number {
  return enc.kind === "lut4" ? TABLE_BYTES.lut4 : TABLE_BYTES.lin8Pad;
}

export function biasTable(bias: Int32Array): Uint8Array {
  const out = new Uint8Array(bias.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < bias.length; i++) dv.setInt32(i * 4, bias[i]!, true);
  return out;
}

export function stageTableBytes(stage: OutputStage): number {
  return stage.kind === "threshold" ? TABLE_BYTES.thresh : stage.kind === "requant" ? TABLE_BYTES.requant : 0;
}

/** Stage parameters per channel: 15 int32 thresholds, or (u16 M, u8 n, u8 0, i32 z). */
export function stageTable(stage: OutputStage, channels: number): Uint8Array {
  const per = stageTableBytes(stage);
  const out = new Uint8Array(per * channels);
  const dv = new DataView(out.buffer);
  if (stage.kind === "threshold") {
    if (stage.thresholds.length !== channels * 15) throw new Error("threshold table has the wrong length");
    for (let i = 0; i < stage.thresholds.length; i++) dv.setInt32(i * 4, stage.thresholds[i]!, true);
  } else if (stage.kind === "requant") {
    for (let c = 0; c < channels; c++) {
      const m = stage.multiplier[c]!;
      const n = stage.shift[c]!;
      const z = stage.zeros[c]!;
      if (m < 0 || m >= 2 ** 16) throw new Error(`requant multiplier ${m} of channel ${c} does not fit u16`);
      if (n < 0 || n > 47) throw new Error(`requant shift ${n} of channel ${c} is outside 0..47`);
      dv.setUint16(c * per, m, true);
      dv.setUint8(c * per + 2, n);
      dv.setInt32(c * per + 4, z, true);
    }
  }
  return out;
}
