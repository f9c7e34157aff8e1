/**
 * How tensors sit in external memory and what DMA instructions move tiles of them.
 *
 * An activation tensor is planar, NCHW, in the ACT segment: every row starts on a byte (4-bit codes:
 * two per byte, low nibble first; acc32: little-endian int32), a channel plane is `h` rows, and a
 * batch item is `batchBytes` (larger than c planes when the tensor is a channel slice of a concat).
 */
import { EBITS, EV, type Instr, rowBytes } from "../isa/spec.js";
import type { Encoding } from "../ptq/qgraph.js";

export type ElemBits = 4 | 8 | 32;

export interface TensorLayout {
  /** Byte offset in the ACT segment. */
  readonly base: number;
  readonly ebits: ElemBits;
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly rowBytes: number;
  readonly planeBytes: number;
  readonly batchBytes: number;
}

export function encodingBits(enc: Encoding): ElemBits {
  return enc.kind === "lut4" ? 4 : enc.kind === "lin8" ? 8 : 32;
}

export function ebitsCode(bits: number): number {
  const i = EBITS.indexOf(bits as (typeof EBITS)[number]);
  if (i < 0) throw new Error(`no DMA element width of ${bits} bits`);
  return i;
}

export function denseLayout(shape: readonly number[], ebits: ElemBits, base = 0): TensorLayout {
  const [n, c, h, w] = shape as [number, number, number, number];
  const rb = rowBytes(w, ebits);
  return { base, ebits, n, c, h, w, rowBytes: rb, planeBytes: h * rb, batchBytes: c * h * rb };
}

export function layoutBytes(l: TensorLayout): number {
  return l.n * l.batchBytes;
}

/** Elements of the segment before element (b, c, y, x). */
export function elementOffset(l: TensorLayout, b: number, c: number, y: number, x: number): number {
  const byte = l.base + b * l.batchBytes + c * l.planeBytes + y * l.rowBytes;
  return (byte * 8) / l.ebits + x;
}

/** Limits of the DMA fields (kept here so the tiler and the emitters agree). */
export const DMA_MAX = { count: 2048, pitch: 2 ** 15 - 1, rows: 2 ** 14 - 1, ext: 2 ** 30 - 1 } as const;

type DmaOp = "LOAD" | "LOADT" | "STORE";

/**
 * DMA of the tile [c0, c0+cn) × [y0, y0+yn) × [x0, x0+xn) of batch item b between the tensor and a
 * buffer tile laid out densely (rows on bytes) at `addr`. Split over channels past the count limit.
 */
export function tileDma(
  op: DmaOp,
  buf: number,
  l: TensorLayout,
  b: number,
  c0: number,
  cn: number,
  y0: number,
  yn: number,
  x0: number,
  xn: number,
  addr: number,
): Instr[] {
  if (xn > DMA_MAX.count || yn > DMA_MAX.count) throw new Error(`tile ${yn}×${xn} exceeds the DMA counts`);
  const pitch = (l.rowBytes * 8) / l.ebits;
  if (pitch > DMA_MAX.pitch || l.h > DMA_MAX.rows)
    throw new Error(`tensor rows of ${pitch} elements exceed the DMA pitch`);
  const out: Instr[] = [];
  const tileBytes = yn * rowBytes(xn, l.ebits);
  for (let c = 0; c < cn; c += DMA_MAX.count) {
    const n2 = Math.min(DMA_MAX.count, cn - c);
    const ext = elementOffset(l, b, c0 + c, y0, x0);
    if (ext > DMA_MAX.ext) throw new Error(`external offset ${ext} exceeds the DMA field`);
    out.push({
      op,
      buf,
      seg: EV.seg.ACT,
      ebits: ebitsCode(l.ebits),
      ext,
      addr: addr + c * tileBytes,
      n0: xn,
      n1: yn,
      n2,
      pitch,
      rows: l.h,
    } as Instr);
  }
  return out;
}

/** DMA of `len` contiguous elements (split into full 2048-element rows and a remainder). */
export function linearDma(
  op: DmaOp,
  buf: number,
  seg: number,
  ebits: number,
  ext: number,
  addr: number,
  len: number,
): Instr[] {
  const out: Instr[] = [];
  const row = DMA_MAX.count;
  const fullRows = Math.floor(len / row);
  const code = ebitsCode(ebits);
  let done = 0;
  for (let r = 0; r < fullRows; r += DMA_MAX.count * DMA_MAX.count) {
    const rowsHere = Math.min(fullRows - r, DMA_MAX.count * DMA_MAX.count);
    const n1 = Math.min(rowsHere, DMA_MAX.count);
    const n2 = Math.ceil(rowsHere / n1);
    if (n1 * n2 !== rowsHere) {
      // Uneven: emit the whole planes, the rest goes through the next iteration's arithmetic below.
      const planes = Math.floor(rowsHere / n1);
      out.push(dma(op, buf, seg, code, ext + done, addr + (done * ebits) / 8, row, n1, planes, row, n1));
      done += planes * n1 * row;
      const left = rowsHere - planes * n1;
      out.push(dma(op, buf, seg, code, ext + done, addr + (done * ebits) / 8, row, left, 1, row, left));
      done += left * row;
    } else {
      out.push(dma(op, buf, seg, code, ext + done, addr + (done * ebits) / 8, row, n1, n2, row, n1));
      done += rowsHere * row;
    }
  }
  if (len > done)
    out.push(dma(op, buf, seg, code, ext + done, addr + (done * ebits) / 8, len - done, 1, 1, 0, 0));
  return out;
}

function dma(
  op: DmaOp,
  buf: number,
  seg: number,
  ebits: number,
  ext: number,
  addr: number,
  n0: number,
  n1: number,
  n2: number,
  pitch: number,
  rows: number,
): Instr {
  if (ext > DMA_MAX.ext) throw new Error(`external offset ${ext} exceeds the DMA field`);
  return { op, buf, seg, ebits, ext, addr, n0, n1, n2, pitch, rows } as Instr;
}
