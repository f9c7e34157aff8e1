/**
 * The quart instruction set: the single source of truth.
 *
 * Every consumer is derived from this table: the table-driven TS encoder/decoder (encode.ts), the
 * assembler (asm.ts), the instruction-level simulator (sim/isa), the performance model (perf.ts), and
 * the generated `docs/isa.md`, `fpga/rtl/accel/isa_defs.vh` and `firmware/include/quart_isa.h`
 * (gen.ts; a test fails when they drift). Arithmetic follows docs/arithmetic.md.
 *
 * Machine model (VTA-like): a fetch unit reads 128-bit instructions, expands LOOP blocks and dispatches
 * each instruction to one of three in-order queues — `load` (DMA into INP/WGT), `compute` (table
 * loads, matrix unit, vector unit) and `store` (DMA out of OUT). The queues run concurrently and are
 * ordered only by dependency tokens (the four dep flags of every instruction).
 */
import { createHash } from "node:crypto";

/** Bumped on any change that alters encodings or semantics; the blob header carries it. */
export const ISA_VERSION = 2;
export const INSTR_BITS = 128;
export const INSTR_BYTES = INSTR_BITS / 8;

export type Queue = "fetch" | "load" | "compute" | "store";
export type InstrClass = "ctrl" | "dma" | "matrix" | "vector";

export interface EnumValue {
  readonly name: string;
  readonly value: number;
  readonly doc: string;
}

export interface EnumDef {
  readonly name: string;
  readonly doc: string;
  readonly values: readonly EnumValue[];
}

/** Named encodings of enum fields; instructions hold the numeric values. */
export const ENUMS = {
  buf: {
    name: "buf",
    doc: "On-chip buffer.",
    values: [
      { name: "INP", value: 0, doc: "input buffer: activation codes read by the matrix unit and by RESIZE" },
      { name: "WGT", value: 1, doc: "weight buffer: signed int4 (two per byte, low nibble first) or int8" },
      { name: "TBL", value: 2, doc: "table buffer: decode tables, bias, thresholds, requant parameters" },
      { name: "ACC", value: 3, doc: "accumulator buffer: int32, little-endian" },
      { name: "OUT", value: 4, doc: "output buffer: codes written by the vector unit" },
    ],
  },
  seg: {
    name: "seg",
    doc: "External memory segment; the runtime sets each segment's base address.",
    values: [
      {
        name: "ACT",
        value: 0,
        doc: "activation arena (RAM/DRAM), read-write; network input and output live here",
      },
      { name: "WGT", value: 1, doc: "packed weights (flash/DRAM), read-only" },
      { name: "TBL", value: 2, doc: "tables (flash/DRAM), read-only" },
    ],
  },
  ebits: {
    name: "ebits",
    doc: "DMA element width; external offsets, pitches and counts are in elements of this width.",
    values: [
      { name: "E4", value: 0, doc: "4-bit elements (nibble 2k is the low nibble of byte k)" },
      { name: "E8", value: 1, doc: "8-bit elements" },
      { name: "E16", value: 2, doc: "16-bit elements, little-endian" },
      { name: "E32", value: 3, doc: "32-bit elements, little-endian" },
    ],
  },
  wbits: {
    name: "wbits",
    doc: "Weight precision of the matrix unit.",
    values: [
      { name: "W4", value: 0, doc: "signed 4-bit weights [-8, 7] (W4A8 mode)" },
      { name: "W8", value: 1, doc: "signed 8-bit weights [-128, 127] (W8A8 mode)" },
    ],
  },
  ienc: {
    name: "ienc",
    doc: "Encoding of the activation codes read from INP.",
    values: [
      {
        name: "LUT4",
        value: 0,
        doc: "4-bit codes decoded by a per-channel table of 16 int8 (decode at the matrix input)",
      },
      {
        name: "LIN8",
        value: 1,
        doc: "8-bit codes decoded as q - 128; padding reads the per-channel zero value",
      },
      {
        name: "INT4",
        value: 2,
        doc: "reserved: signed 4-bit codes used directly (W4A4 mode, not implemented)",
      },
    ],
  },
  stage: {
    name: "stage",
    doc: "Vector-unit output stage (docs/arithmetic.md §3).",
    values: [
      { name: "ACC32", value: 0, doc: "the int32 accumulator is the output (4-byte elements)" },
      {
        name: "THRESH",
        value: 1,
        doc: "threshold quantization to 4-bit codes (binary search over 15 thresholds)",
      },
      { name: "REQUANT", value: 2, doc: "activation then fixed-point requantization to 8-bit codes" },
    ],
  },
  act: {
    name: "act",
    doc: "Activation applied before requantization (folded into the thresholds for THRESH).",
    values: [
      { name: "NONE", value: 0, doc: "identity" },
      { name: "RELU", value: 1, doc: "max(u, 0)" },
      { name: "LEAKY", value: 2, doc: "u >= 0 ? u : (u * alpha) >> 16" },
      {
        name: "TABLE",
        value: 3,
        doc: "identity, then the 8-bit code is mapped through TBL.u8[ttab + code] (GELU)",
      },
    ],
  },
  pmode: {
    name: "pmode",
    doc: "How LPATCH advances a field per loop iteration i.",
    values: [
      { name: "LINEAR", value: 0, doc: "field += i * stride" },
      { name: "TOGGLE", value: 1, doc: "field += (i & 1) * stride (double buffering)" },
    ],
  },
} as const satisfies Record<string, EnumDef>;

export type EnumName = keyof typeof ENUMS;

/** `EV.buf.INP === 0` etc.: numeric enum values by name, typed. */
export type EnumValues = {
  readonly [E in EnumName]: { readonly [V in (typeof ENUMS)[E]["values"][number]["name"]]: number };
};

export const EV: EnumValues = Object.fromEntries(
  Object.values(ENUMS).map((e) => [e.name, Object.fromEntries(e.values.map((v) => [v.name, v.value]))]),
) as EnumValues;

export interface RawField {
  readonly name: string;
  readonly width: number;
  readonly doc: string;
  /** Two's complement. */
  readonly signed?: boolean;
  /** The stored bits hold value − offset (counts are stored minus one). */
  readonly offset?: number;
  readonly enum?: EnumName;
}

export interface FieldDef extends RawField {
  readonly lsb: number;
  /** Smallest and largest value the field can hold (after the offset). */
  readonly min: number;
  readonly max: number;
}

/** A field; the generic keeps the literal name so instructions are typed per opcode. */
const f = <N extends string>(
  name: N,
  width: number,
  doc: string,
  extra: Partial<RawField> = {},
): RawField & { readonly name: N } => ({ ...extra, name, width, doc });

/** Bits 0..8 of every instruction. */
export const OPCODE_BITS = 5;
export const DEP_FLAGS = ["pop_prev", "pop_next", "push_prev", "push_next"] as const;
export type DepFlag = (typeof DEP_FLAGS)[number];
export const HEADER_BITS = OPCODE_BITS + DEP_FLAGS.length;

export const DEP_DOC: Record<DepFlag, string> = {
  pop_prev:
    "before executing, wait for and take a token from the previous queue (load→compute, compute→store)",
  pop_next: "before executing, wait for and take a token from the next queue (compute→load, store→compute)",
  push_prev: "after executing, give a token to the previous queue (compute→load, store→compute)",
  push_next: "after executing, give a token to the next queue (load→compute, compute→store)",
};

const DMA_FIELDS = [
  f("buf", 3, "on-chip buffer", { enum: "buf" }),
  f("seg", 2, "external segment", { enum: "seg" }),
  f("ebits", 2, "element width", { enum: "ebits" }),
  f("ext", 30, "external offset of the first element, in elements of the segment"),
  f("addr", 20, "buffer byte address of the first element"),
  f("n0", 11, "elements per row (contiguous in external memory)", { offset: 1 }),
  f("n1", 11, "rows per plane", { offset: 1 }),
  f("n2", 11, "planes", { offset: 1 }),
  f("pitch", 15, "external row pitch, in elements"),
  f("rows", 14, "external plane pitch, in rows of `pitch` elements"),
] as const;

const DMA_SEMANTICS = `rb = ceil(n0 * eb / 8)                    # buffer row bytes: rows start on a byte
for p in 0..n2-1, r in 0..n1-1, x in 0..n0-1:
  e = ext + (p * rows + r) * pitch + x     # element index in segment seg
  b = addr + (p * n1 + r) * rb             # buffer byte of the row
  buffer[b] element x  <->  segment element e   # eb = element bits; 4-bit: low nibble first`;

/** The instruction table. Field bit offsets are assigned in order after the 9 header bits. */
export const RAW_OPCODES = [
  {
    name: "NOP",
    code: 0,
    queue: "compute",
    cls: "ctrl",
    implemented: true,
    doc: "Does nothing; carries dependency flags (layer barriers).",
    semantics: "pop tokens; push tokens",
    fields: [],
  },
  {
    name: "FINISH",
    code: 1,
    queue: "compute",
    cls: "ctrl",
    implemented: true,
    doc: "End of program: raises DONE once it has executed (give it pop_next to wait for the last STORE).",
    semantics: "pop tokens; halt",
    fields: [],
  },
  {
    name: "LOOP",
    code: 2,
    queue: "fetch",
    cls: "ctrl",
    implemented: true,
    doc:
      "Micro-op loop, expanded by the fetch unit: the next `patches` words are LPATCH, the following `body` words " +
      "are dispatched `count` times, each time with the patched fields advanced. Bodies may nest.",
    semantics: `for i in 0..count-1:
  body_i = copy of the body words
  for each LPATCH (index k, field f, mode m, stride s):
    body_i[k].f += s * (m == LINEAR ? i : i & 1)
  dispatch body_i (expanding nested LOOPs)`,
    fields: [
      f("count", 16, "iterations", { offset: 1 }),
      f("body", 8, "words in the body (nested LOOP/LPATCH words included)", { offset: 1 }),
      f("patches", 6, "LPATCH words that follow"),
    ],
  },
  {
    name: "LPATCH",
    code: 3,
    queue: "fetch",
    cls: "ctrl",
    implemented: true,
    doc: "Field patch of the enclosing LOOP (never dispatched).",
    semantics: "see LOOP",
    fields: [
      f("index", 8, "body word to patch"),
      f("field", 6, "index of the field in that word's opcode field list (docs/isa.md order)"),
      f("mode", 1, "advance mode", { enum: "pmode" }),
      f("stride", 32, "signed increment", { signed: true }),
    ],
  },
  {
    name: "LOAD",
    code: 4,
    queue: "load",
    cls: "dma",
    implemented: true,
    doc: "DMA of a 3-D strided tile from external memory into INP or WGT.",
    semantics: DMA_SEMANTICS,
    fields: DMA_FIELDS,
  },
  {
    name: "LOADT",
    code: 5,
    queue: "compute",
    cls: "dma",
    implemented: true,
    doc: "DMA into TBL or ACC, executed in order with compute (tables, accumulator reloads).",
    semantics: DMA_SEMANTICS,
    fields: DMA_FIELDS,
  },
  {
    name: "STORE",
    code: 6,
    queue: "store",
    cls: "dma",
    implemented: true,
    doc: "DMA of a 3-D strided tile from OUT to the activation segment.",
    semantics: DMA_SEMANTICS,
    fields: DMA_FIELDS,
  },
  {
    name: "CCFG",
    code: 7,
    queue: "compute",
    cls: "matrix",
    implemented: true,
    doc: "Convolution configuration and tile shape, held in registers for the following CONV instructions.",
    semantics: `registers := fields
in_h = (oh_n - 1) * sy + (kh - 1) * dy + 1 - pt - pb    # input rows held in INP for a tile
in_w = (ow_n - 1) * sx + (kw - 1) * dx + 1 - pl - pr`,
    fields: [
      f("wbits", 1, "weight precision", { enum: "wbits" }),
      f("ienc", 2, "input encoding", { enum: "ienc" }),
      f("kh", 5, "kernel rows"),
      f("kw", 5, "kernel columns"),
      f("sy", 5, "row stride"),
      f("sx", 5, "column stride"),
      f("dy", 3, "row dilation"),
      f("dx", 3, "column dilation"),
      f("og", 11, "output channels per group (0: ungrouped, every output channel reads all ic_n channels)"),
      f(
        "itab",
        19,
        "TBL byte address of the input decode table (LUT4: 16 int8 per channel; LIN8: pad value)",
      ),
      f("oc_n", 10, "output channels of a tile", { offset: 1 }),
      f("oh_n", 10, "output rows of a tile", { offset: 1 }),
      f("ow_n", 10, "output columns of a tile", { offset: 1 }),
      f("ic_n", 11, "input channels reduced per output channel", { offset: 1 }),
      f("pt", 4, "virtual zero-code rows above the INP tile"),
      f("pb", 4, "virtual zero-code rows below the INP tile"),
      f("pl", 4, "virtual zero-code columns left of the INP tile"),
      f("pr", 4, "virtual zero-code columns right of the INP tile"),
      f(
        "wt",
        1,
        "weights stored transposed, [ic][oc] (1×1 kernels: an activation tensor as the weight operand)",
      ),
      f(
        "wofs",
        1,
        "weights in offset binary (w = code − 8 for W4, code − 128 for W8): activation codes as weights",
      ),
      f("ishared", 1, "one decode table (or pad value) for every input channel, at itab"),
    ],
  },
  {
    name: "CONV",
    code: 8,
    queue: "compute",
    cls: "matrix",
    implemented: true,
    doc:
      "Convolution tile on the matrix unit (a GEMM is a 1×1 CONV). With `fuse`, the accumulators go straight " +
      "through the vector unit's output stage into OUT (the fused kernel); otherwise they are written to ACC.",
    semantics: `ib = ienc == LUT4 ? 4 : 8; irb = ceil(in_w * ib / 8)  # INP row bytes; channel pitch in_h * irb
for j in 0..oc_n-1, y in 0..oh_n-1, x in 0..ow_n-1:
  g = og == 0 ? 0 : (j + gphase) / og                 # group of output channel j within the INP tile
  a = accum ? ACC.i32[acc/4 + (j*oh_n + y)*ow_n + x] : 0
  for c in 0..ic_n-1, ky in 0..kh-1, kx in 0..kw-1:
    ch = g * ic_n + c                                  # channel within the INP tile
    iy = y*sy + ky*dy - pt;  ix = x*sx + kx*dx - pl
    if 0 <= iy < in_h and 0 <= ix < in_w:
      q = INP code (inp + ch*in_h*irb + iy*irb, element ix)
      t = ishared ? 0 : ic0 + ch                         # decode-table channel
      v = ienc == LUT4 ? TBL.i8[itab + t*16 + q] : q - 128
    else:
      v = ienc == LUT4 ? 0 : TBL.i8[itab + t]           # implicit padding reads the zero code
    k = wt ? c*oc_n + j : ((j*ic_n + c)*kh + ky)*kw + kx
    w = WGT element k from byte wgt: wofs ? unsigned − (W4 ? 8 : 128) : signed (wbits)
    a += w * v                                         # int32
  if fuse: OUT element (dst, plane j, row y, column x) = stage(a, oc0 + j)   # see VEC
  else:    ACC.i32[acc/4 + (j*oh_n + y)*ow_n + x] = a`,
    fields: [
      f("fuse", 1, "send results through the vector output stage to OUT"),
      f("accum", 1, "start from the ACC tile at `acc` instead of 0 (input-channel splits)"),
      f("inp", 20, "INP byte address of the input tile"),
      f("wgt", 20, "WGT byte address of the weight tile"),
      f("acc", 20, "ACC byte address (read when accum, written unless fuse)"),
      f("dst", 20, "OUT byte address (fuse only)"),
      f("ic0", 12, "channel index of the INP tile's first channel in the decode table"),
      f("oc0", 12, "channel index of the tile's first output channel in the VCFG tables"),
      f("gphase", 12, "output channels of the first group that precede the tile (grouped convolutions)"),
    ],
  },
  {
    name: "VCFG",
    code: 9,
    queue: "compute",
    cls: "vector",
    implemented: true,
    doc: "Vector output-stage configuration for VEC, fused CONV and RESIZE.",
    semantics: `registers := fields
stage(a, ch):
  if bias: a += TBL.i32[btab + 4*ch]
  ACC32:   out i32 = a
  THRESH:  out u4  = #{k in 0..14 : a >= TBL.i32[ptab + 60*ch + 4*k]}   # 4-step binary search
  REQUANT: M = TBL.u16[ptab + 8*ch]; n = TBL.u8[ptab + 8*ch + 2]; z = TBL.i32[ptab + 8*ch + 4]
           u = act == RELU ? max(a, 0) : act == LEAKY && a < 0 ? (a * alpha) >> 16 : a
           out u8 = clamp(((u * M + (n > 0 ? 1 << (n-1) : 0)) >> n) + z + 128, 0, 255)   # 48-bit product
           if act == TABLE: out = TBL.u8[ttab + out]`,
    fields: [
      f("stage", 2, "output stage", { enum: "stage" }),
      f("bias", 1, "add the int32 bias before the stage"),
      f("act", 2, "activation (REQUANT only; THRESH has it folded into its thresholds)", { enum: "act" }),
      f("alpha", 18, "LeakyReLU slope A = round(alpha * 2^16)"),
      f("btab", 20, "TBL byte address of the bias table (int32 per channel)"),
      f(
        "ptab",
        20,
        "TBL byte address of the stage parameters (THRESH: 15 int32; REQUANT: u16 M, u8 n, pad, i32 z)",
      ),
      f("ttab", 20, "TBL byte address of the 256-byte code table (act TABLE)"),
    ],
  },
  {
    name: "VEC",
    code: 10,
    queue: "compute",
    cls: "vector",
    implemented: true,
    doc: "Vector output stage over an ACC tile into OUT (the unfused path).",
    semantics: `ob = out element bits (ACC32: 32, THRESH: 4, REQUANT: 8); orb = ceil(cols * ob / 8)
for j in 0..c_n-1, r in 0..rows-1, x in 0..cols-1:
  a = ACC.i32[src/4 + (j*rows + r)*cols + x]
  OUT element x of row (dst + (j*rows + r) * orb) = stage(a, c0 + j)`,
    fields: [
      f("src", 20, "ACC byte address"),
      f("dst", 20, "OUT byte address"),
      f("c0", 12, "table channel of the first channel"),
      f("c_n", 12, "channels", { offset: 1 }),
      f("rows", 10, "rows per channel", { offset: 1 }),
      f("cols", 11, "elements per row", { offset: 1 }),
    ],
  },
  {
    name: "RCFG",
    code: 11,
    queue: "compute",
    cls: "vector",
    implemented: true,
    doc: "Resize configuration (bilinear, align_corners, 8-bit fixed-point weights).",
    semantics: `registers := fields
taps(o, in, out): den = out - 1; num = o * (in - 1)
  i0 = den ? num / den : 0;  i1 = min(i0 + 1, in - 1);  f = den ? (256 * (num % den) + den / 2) / den : 0`,
    fields: [
      f("ienc", 2, "input encoding", { enum: "ienc" }),
      f("in_h", 12, "input rows", { offset: 1 }),
      f("in_w", 12, "input columns", { offset: 1 }),
      f("out_h", 13, "output rows", { offset: 1 }),
      f("out_w", 13, "output columns", { offset: 1 }),
      f("itab", 20, "TBL byte address of the LUT4 decode table"),
    ],
  },
  {
    name: "RESIZE",
    code: 12,
    queue: "compute",
    cls: "vector",
    implemented: true,
    doc: "Bilinear align_corners resize of a tile of output rows (full width) on the vector unit, then the VCFG stage.",
    semantics: `ib = ienc == LUT4 ? 4 : 8; irb = ceil(in_w * ib / 8); ob, orb as VEC with cols = out_w
V(j, i, k) = decode(INP code (inp + (j*ih_n + i - iy0)*irb, element k))   # error if the row is not held
for j in 0..c_n-1, t in 0..ny-1, x in 0..out_w-1:
  (y0r, y1r, fy) = taps(y0 + t, in_h, out_h);  (x0, x1, fx) = taps(x, in_w, out_w)
  top = V(j,y0r,x0)*(256-fx) + V(j,y0r,x1)*fx;  bot = V(j,y1r,x0)*(256-fx) + V(j,y1r,x1)*fx
  OUT element x of row (dst + (j*ny + t) * orb) = stage(top*(256-fy) + bot*fy, c0 + j)`,
    fields: [
      f("inp", 20, "INP byte address of the input tile"),
      f("dst", 20, "OUT byte address"),
      f("c0", 12, "table channel of the first channel"),
      f("c_n", 12, "channels", { offset: 1 }),
      f("y0", 13, "first output row"),
      f("ny", 10, "output rows", { offset: 1 }),
      f("iy0", 12, "input row held first in the INP tile"),
      f("ih_n", 10, "input rows held per channel", { offset: 1 }),
    ],
  },
  {
    name: "NORM",
    code: 13,
    queue: "compute",
    cls: "vector",
    implemented: true,
    doc: "LayerNorm across the channels of an INP tile at every pixel, then the VCFG stage into OUT (docs/arithmetic.md §4).",
    semantics: `ib = ienc == LUT4 ? 4 : 8; irb = ceil(cols * ib / 8); ob, orb as VEC
for r in 0..rows-1, x in 0..cols-1:
  v_c = decode(INP code (inp + (c*rows + r)*irb, element x)) - (ienc == LIN8 ? TBL.i8[itab + c] : 0)
  s1 = sum_c v_c;  s2 = sum_c v_c^2                           # c in 0..c_n-1
  r = floor(2^32 / isqrt(c_n*s2 - s1^2 + eps))                  # sequential divider, once per pixel
  for c: a = ((c_n*v_c - s1) * r + 2^19) >> 20                  # units 2^-12; 51-bit product
         OUT element x of row (dst + (c*rows + r) * orb) = stage(a, c)`,
    fields: [
      f("ienc", 2, "input encoding", { enum: "ienc" }),
      f("inp", 20, "INP byte address of the tile [c_n][rows][cols]"),
      f("dst", 20, "OUT byte address"),
      f("itab", 20, "TBL byte address of the decode table (LUT4: 16 int8 per channel; LIN8: pad value)"),
      f("c_n", 12, "channels normalized together", { offset: 1 }),
      f("rows", 10, "rows of the tile", { offset: 1 }),
      f("cols", 11, "columns of the tile", { offset: 1 }),
      f("eps", 20, "epsilon in the integer variance domain (≥ 1)"),
    ],
  },
  {
    name: "SMAX",
    code: 14,
    queue: "compute",
    cls: "vector",
    implemented: true,
    doc:
      "Integer softmax down every column of an ACC tile (attention scores, keys on the channel axis), then the " +
      "VCFG stage of channel 0 into OUT or, fused, into INP for the next CONV (docs/arithmetic.md §5).",
    semantics: `for x in 0..cols-1:
  s_j = ACC.i32[src/4 + j*cols + x] for j in 0..c_n-1;  mx = max_j s_j
  u_j = ((mx - s_j) * m + (n > 0 ? 1 << (n-1) : 0)) >> n       # log2-domain distance, units 2^-8
  e_j = (u_j >> 8) >= 16 ? 0 : EXP2[u_j & 255] >> (u_j >> 8)  # EXP2[f] = round(2^15 * 2^(-f/256)), a ROM
  r = floor((2^46 - 1) / sum_j e_j)                             # sequential divider, once per column
  p_j = (e_j * r + 2^30) >> 31                                  # units 2^-15
  (dbuf == INP ? INP : OUT) element x of row (dst + j * orb) = stage(p_j, 0)   # orb = ceil(cols * ob / 8)`,
    fields: [
      f("src", 20, "ACC byte address of the tile [c_n][cols]"),
      f("dst", 20, "byte address of the result rows in the destination buffer"),
      f("dbuf", 1, "destination: 0 OUT (then STORE), 1 INP (the fused attention kernel)"),
      f("c_n", 13, "keys (rows of the tile)", { offset: 1 }),
      f("cols", 11, "queries (columns)", { offset: 1 }),
      f("m", 16, "score-to-log2 multiplier"),
      f("n", 6, "its shift"),
    ],
  },
] as const;

type RawOp = (typeof RAW_OPCODES)[number];
export type OpName = RawOp["name"];
export type FieldName<O extends OpName> = Extract<RawOp, { name: O }>["fields"][number]["name"];

/** A decoded instruction: opcode name plus numeric field values (missing fields are 0). */
export type Instr = {
  [O in OpName]: { op: O } & Partial<Record<FieldName<O> | DepFlag, number>>;
}[OpName];
export type InstrOf<O extends OpName> = Extract<Instr, { op: O }>;

export interface OpcodeDef {
  readonly name: OpName;
  readonly code: number;
  readonly queue: Queue;
  readonly cls: InstrClass;
  readonly implemented: boolean;
  readonly doc: string;
  readonly semantics: string;
  readonly fields: readonly FieldDef[];
}

function layout(raw: readonly RawField[]): FieldDef[] {
  let lsb = HEADER_BITS;
  return raw.map((r) => {
    const offset = r.offset ?? 0;
    const min = (r.signed ? -(2 ** (r.width - 1)) : 0) + offset;
    const max = (r.signed ? 2 ** (r.width - 1) - 1 : 2 ** r.width - 1) + offset;
    const def: FieldDef = { ...r, lsb, min, max };
    lsb += r.width;
    return def;
  });
}

export const OPCODES: readonly OpcodeDef[] = RAW_OPCODES.map((o) => ({
  name: o.name,
  code: o.code,
  queue: o.queue,
  cls: o.cls,
  implemented: o.implemented,
  doc: o.doc,
  semantics: o.semantics,
  fields: layout(o.fields),
}));

const BY_NAME = new Map(OPCODES.map((o) => [o.name, o]));
const BY_CODE = new Map(OPCODES.map((o) => [o.code, o]));

export function opcodeDef(name: OpName): OpcodeDef {
  return BY_NAME.get(name)!;
}

export function opcodeByCode(code: number): OpcodeDef | undefined {
  return BY_CODE.get(code);
}

/** The largest value a field of an opcode can hold. */
export function fieldMax(op: OpName, field: string): number {
  const fd = opcodeDef(op).fields.find((x) => x.name === field);
  if (!fd) throw new Error(`isa spec: ${op} has no field ${field}`);
  return fd.max;
}

/** Bits per element of a DMA `ebits` value. */
export const EBITS = [4, 8, 16, 32] as const;

/** Table formats in TBL, bytes per channel (docs/arithmetic.md tables in their hardware form). */
export const TABLE_BYTES = {
  /** 16 int8 levels of a LUT4 channel. */
  lut4: 16,
  /** The decoded pad value (int8) of a LIN8 channel. */
  lin8Pad: 1,
  /** int32 bias. */
  bias: 4,
  /** 15 non-decreasing int32 thresholds. */
  thresh: 60,
  /** u16 multiplier M (2^14 ≤ M < 2^15), u8 shift n (≤ 47), u8 reserved, i32 output zero. */
  requant: 8,
} as const;

/** Output element bits of a stage (`stage` enum value). */
export function stageBits(stage: number): 4 | 8 | 32 {
  if (stage === EV.stage.THRESH) return 4;
  if (stage === EV.stage.REQUANT) return 8;
  return 32;
}

/** Bytes of a buffer row of n elements of `bits` bits: every row starts on a byte. */
export function rowBytes(n: number, bits: number): number {
  return Math.ceil((n * bits) / 8);
}

/** Checks the table's own consistency (unique names/codes, no field past bit 127). */
export function validateSpec(ops: readonly OpcodeDef[] = OPCODES): void {
  const codes = new Set<number>();
  for (const o of ops) {
    if (codes.has(o.code)) throw new Error(`isa spec: duplicate opcode ${o.code}`);
    if (o.code >= 2 ** OPCODE_BITS)
      throw new Error(`isa spec: opcode ${o.name} does not fit ${OPCODE_BITS} bits`);
    codes.add(o.code);
    const names = new Set<string>(DEP_FLAGS);
    names.add("op");
    for (const fd of o.fields) {
      if (names.has(fd.name)) throw new Error(`isa spec: ${o.name}.${fd.name} is defined twice`);
      names.add(fd.name);
      if (fd.width > 32 || fd.width < 1) throw new Error(`isa spec: ${o.name}.${fd.name} width ${fd.width}`);
      if (fd.enum && 2 ** fd.width < ENUMS[fd.enum].values.length)
        throw new Error(`isa spec: ${o.name}.${fd.name} cannot hold enum ${fd.enum}`);
    }
    const last = o.fields[o.fields.length - 1];
    if (last && last.lsb + last.width > INSTR_BITS)
      throw new Error(`isa spec: ${o.name} uses ${last.lsb + last.width} bits (> ${INSTR_BITS})`);
  }
}

/**
 * Canonical JSON of what defines encodings: opcodes, queues, field layouts, enum values, table formats.
 * Documentation text is left out (a typo fix must not orphan every blob); a change of meaning without
 * a change of layout must bump ISA_VERSION.
 */
export function canonicalSpec(): string {
  return JSON.stringify({
    version: ISA_VERSION,
    bits: INSTR_BITS,
    header: { opcode: OPCODE_BITS, deps: DEP_FLAGS },
    enums: Object.values(ENUMS).map((e) => ({
      name: e.name,
      values: e.values.map((v) => [v.name, v.value]),
    })),
    tables: TABLE_BYTES,
    opcodes: OPCODES.map((o) => ({
      name: o.name,
      code: o.code,
      queue: o.queue,
      fields: o.fields.map((fd) => [
        fd.name,
        fd.lsb,
        fd.width,
        fd.signed ?? false,
        fd.offset ?? 0,
        fd.enum ?? "",
      ]),
    })),
  });
}

/** SHA-256 of the canonical spec (hex). */
export const ISA_SPEC_SHA256 = createHash("sha256").update(canonicalSpec()).digest("hex");
/** The first 32 bits of ISA_SPEC_SHA256: what the blob header and the device ID register carry. */
export const ISA_HASH = Number.parseInt(ISA_SPEC_SHA256.slice(0, 8), 16) >>> 0;
