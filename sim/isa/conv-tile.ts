/**
 * The fast matrix unit: a CONV tile decoded once into typed arrays (input codes through their decode
 * tables with the padding materialized, weight nibbles unpacked), then reduced by the WebAssembly SIMD
 * convolution kernel in float32 — exact because every partial sum is an integer below 2^24, which
 * `exactInFloat32` proves per instruction — or, past that bound, by a float64 loop (exact to 2^53).
 * The caller (units.ts execConv) has checked every buffer range.
 */

import { checkConv2d, conv2dRowsInto } from "../../compiler/exec/kernels/conv.js";
import type { Conv2dGeometry } from "../../compiler/exec/kernels/conv-params.js";
import { gemmEngine } from "../../compiler/exec/kernels/gemm-engine.js";
import type { TableView } from "./memory.js";

/** Integers up to 2^24 are exact in float32. */
const EXACT_F32 = 2 ** 24;

/** Shape of one CONV tile (CCFG registers and the instruction's grouping fields). */
export interface ConvTile {
  readonly kh: number;
  readonly kw: number;
  readonly sy: number;
  readonly sx: number;
  readonly dy: number;
  readonly dx: number;
  readonly pt: number;
  readonly pb: number;
  readonly pl: number;
  readonly pr: number;
  readonly inH: number;
  readonly inW: number;
  readonly ocN: number;
  readonly ohN: number;
  readonly owN: number;
  readonly icN: number;
  /** Output channels per group (0: ungrouped). */
  readonly og: number;
  readonly gphase: number;
  /** Channels in the INP tile. */
  readonly chN: number;
}

/** Values in a decoded INP tile: chN planes of the padded (pt + inH + pb) × (pl + inW + pr) window. */
export function decodedLength(t: ConvTile): number {
  return t.chN * (t.inH + t.pt + t.pb) * (t.inW + t.pl + t.pr);
}

type FloatSlot = "input" | "weights" | "gemm";

/**
 * Typed arrays reused from one CONV to the next (the simulator runs one instruction at a time):
 * a tile's arrays are about a megabyte, and allocating them per instruction costs more than the
 * decoding. An array handed out is valid until the same slot is asked for again.
 */
export class ConvScratch {
  private readonly floatSlots = new Map<FloatSlot, Float32Array>();
  private intSlot: Int32Array = new Int32Array(0);

  floats(slot: FloatSlot, n: number): Float32Array {
    let a = this.floatSlots.get(slot);
    if (!a || a.length < n) {
      a = new Float32Array(Math.max(n, 2 * (a?.length ?? 0)));
      this.floatSlots.set(slot, a);
    }
    return a.subarray(0, n);
  }

  ints(n: number): Int32Array {
    if (this.intSlot.length < n) this.intSlot = new Int32Array(Math.max(n, 2 * this.intSlot.length));
    return this.intSlot.subarray(0, n);
  }
}

export interface DecodedInput {
  /** chN planes of (pt + inH + pb) × (pl + inW + pr) decoded values. */
  readonly values: Float32Array;
  /** Bound on |value| over the tile. */
  readonly maxAbs: number;
}

/** Decodes the INP tile at byte `inp` (LUT4 through per-channel tables at TBL `tab`, LIN8 as q − 128). */
export function decodeInputTile(
  inpBuf: Uint8Array,
  inp: number,
  tbl: TableView,
  tab: number,
  lut: boolean,
  t: ConvTile,
  values: Float32Array = new Float32Array(decodedLength(t)),
  sharedTable = false,
): DecodedInput {
  const PH = t.inH + t.pt + t.pb;
  const PW = t.inW + t.pl + t.pr;
  const irb = lut ? (t.inW + 1) >> 1 : t.inW;
  const pairs = t.inW >> 1;
  const table = new Float32Array(16);
  let maxAbs = lut ? 0 : 128;
  for (let ch = 0; ch < t.chN; ch++) {
    const plane = ch * PH * PW;
    if (lut) {
      for (let q = 0; q < 16; q++) {
        const v = tbl.i8(tab + (sharedTable ? 0 : ch) * 16 + q);
        table[q] = v;
        if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
      }
    }
    // Implicit padding reads 0 (LUT4) or the channel's zero value (LIN8); rows overwrite the inside.
    values.fill(lut ? 0 : tbl.i8(tab + (sharedTable ? 0 : ch)), plane, plane + PH * PW);
    for (let iy = 0; iy < t.inH; iy++) {
      const row = inp + (ch * t.inH + iy) * irb;
      let o = plane + (iy + t.pt) * PW + t.pl;
      if (lut) {
        for (let p = 0; p < pairs; p++) {
          const byte = inpBuf[row + p]!;
          values[o++] = table[byte & 15]!;
          values[o++] = table[byte >> 4]!;
        }
        if (t.inW & 1) values[o] = table[inpBuf[row + pairs]! & 15]!;
      } else {
        for (let ix = 0; ix < t.inW; ix++) values[o + ix] = inpBuf[row + ix]! - 128;
      }
    }
  }
  return { values, maxAbs };
}

/**
 * The tile's n weights from byte `at` (W4: two per byte, low nibble first): two's complement model
 * weights, or offset-binary activation operands (q − 8, q − 128) when `offsetBinary`.
 */
export function decodeWeights(
  wgt: Uint8Array,
  at: number,
  n: number,
  w8: boolean,
  w: Float32Array = new Float32Array(n),
  offsetBinary = false,
): Float32Array {
  if (w8) {
    if (offsetBinary) for (let i = 0; i < n; i++) w[i] = wgt[at + i]! - 128;
    else for (let i = 0; i < n; i++) w[i] = (wgt[at + i]! << 24) >> 24;
    return w;
  }
  // a nibble q is q − 8 in offset binary, (q ^ 8) − 8 in two's complement
  const flip = offsetBinary ? 0 : 8;
  const pairs = n >> 1;
  for (let p = 0; p < pairs; p++) {
    const byte = wgt[at + p]!;
    w[2 * p] = ((byte & 15) ^ flip) - 8;
    w[2 * p + 1] = ((byte >> 4) ^ flip) - 8;
  }
  if (n & 1) w[n - 1] = ((wgt[at + pairs]! & 15) ^ flip) - 8;
  return w;
}

/** Whether Σ|w·v| of every output channel stays below 2^24 (then float32 sums are exact in any order). */
export function exactInFloat32(w: Float32Array, K: number, maxAbsInput: number): boolean {
  // Every weight is an int8: most tiles pass without looking at them.
  if (K * 128 * maxAbsInput < EXACT_F32) return true;
  let worst = 0;
  for (let j = 0; j < w.length; j += K) {
    let s = 0;
    for (let t = j; t < j + K; t++) s += Math.abs(w[t]!);
    if (s > worst) worst = s;
  }
  return worst * maxAbsInput < EXACT_F32;
}

/** Group of output channel j inside the tile (spec.ts CONV). */
function groupOf(t: ConvTile, j: number): number {
  return t.og === 0 ? 0 : Math.floor((j + t.gphase) / t.og);
}

/** Σ w·v for every output (j, y, x) of the tile, j-major, wrapped to int32 like the MAC chain. */
export function convSums(
  input: DecodedInput,
  w: Float32Array,
  t: ConvTile,
  scratch = new ConvScratch(),
): Int32Array {
  const K = t.icN * t.kh * t.kw;
  const sums = scratch.ints(t.ocN * t.ohN * t.owN);
  if (!exactInFloat32(w, K, input.maxAbs)) return exactSums(input.values, w, t, sums);
  sums.set(gemmSums(input.values, w, t, scratch.floats("gemm", sums.length)));
  return sums;
}

/** Through the SIMD kernel: one call per run of output channels sharing a group (one when uniform). */
export function gemmSums(
  dec: Float32Array,
  w: Float32Array,
  t: ConvTile,
  sums: Float32Array = new Float32Array(t.ocN * t.ohN * t.owN),
): Float32Array {
  const PH = t.inH + t.pt + t.pb;
  const PW = t.inW + t.pl + t.pr;
  const K = t.icN * t.kh * t.kw;
  const plane = t.ohN * t.owN;
  const conv = (
    x: Float32Array,
    wj: Float32Array,
    c: number,
    o: number,
    group: number,
    out: Float32Array,
  ) => {
    const g: Conv2dGeometry = {
      n: 1,
      c,
      h: PH,
      w: PW,
      o,
      kh: t.kh,
      kw: t.kw,
      strideH: t.sy,
      strideW: t.sx,
      padTop: 0,
      padLeft: 0,
      dilationH: t.dy,
      dilationW: t.dx,
      group,
      oh: t.ohN,
      ow: t.owN,
    };
    checkConv2d(x, wj, undefined, g, "CONV tile");
    conv2dRowsInto(x, wj, undefined, g, 0, t.ohN, out, gemmEngine());
  };
  if (t.og === 0) {
    conv(dec, w, t.icN, t.ocN, 1, sums);
  } else if (t.gphase === 0 && t.ocN % t.og === 0) {
    const groups = t.ocN / t.og;
    conv(dec, w, groups * t.icN, t.ocN, groups, sums);
  } else {
    const chPlanes = t.icN * PH * PW;
    for (let j0 = 0; j0 < t.ocN; ) {
      const g = groupOf(t, j0);
      let j1 = j0 + 1;
      while (j1 < t.ocN && groupOf(t, j1) === g) j1++;
      const x = dec.subarray(g * chPlanes, (g + 1) * chPlanes);
      conv(x, w.subarray(j0 * K, j1 * K), t.icN, j1 - j0, 1, sums.subarray(j0 * plane, j1 * plane));
      j0 = j1;
    }
  }
  return sums;
}

/**
 * Float64 multiply-accumulate over K = ic·kh·kw per output, exact for any int8 × int8 tile, stored
 * wrapped to int32 (what the int32 accumulator holds whatever the start value added later).
 */
export function exactSums(
  dec: Float32Array,
  w: Float32Array,
  t: ConvTile,
  sums: Int32Array = new Int32Array(t.ocN * t.ohN * t.owN),
): Int32Array {
  const PH = t.inH + t.pt + t.pb;
  const PW = t.inW + t.pl + t.pr;
  const taps = t.kh * t.kw;
  const K = t.icN * taps;
  // Offset of every reduction step (c, ky, kx) from the window's corner, in the weight order.
  const tapOff = new Int32Array(K);
  for (let c = 0, k = 0; c < t.icN; c++)
    for (let ky = 0; ky < t.kh; ky++)
      for (let kx = 0; kx < t.kw; kx++) tapOff[k++] = c * PH * PW + ky * t.dy * PW + kx * t.dx;
  const plane = t.ohN * t.owN;
  for (let j = 0; j < t.ocN; j++) {
    const chBase = groupOf(t, j) * t.icN * PH * PW;
    const wj = j * K;
    for (let y = 0; y < t.ohN; y++) {
      for (let x = 0; x < t.owN; x++) {
        const corner = chBase + y * t.sy * PW + x * t.sx;
        let a = 0;
        for (let k = 0; k < K; k++) a += w[wj + k]! * dec[corner + tapOff[k]!]!;
        sums[j * plane + y * t.owN + x] = a;
      }
    }
  }
  return sums;
}
