/**
 * The model blob (`model.bin`) format: the single source of truth for the writer, the reader and the
 * generated docs/blob.md.
 *
 *   header (64 B) | section table (16 B per section) | sections, each 16-byte aligned | SHA-256 (32 B)
 *
 * All integers are little-endian. The SHA-256 trailer covers every byte before it.
 */

export const BLOB_MAGIC = "QUARTBIN";
export const BLOB_FORMAT_VERSION = 1;
export const HEADER_BYTES = 64;
export const SECTION_ENTRY_BYTES = 16;
export const SECTION_ALIGN = 16;
/**
 * Where the writer starts each section: a multiple of the SoC's PSRAM burst (XMEM_BURST_BYTES), so the
 * weights and tables sit in a model slot exactly as the performance model times their DMA rows. Readers
 * accept any SECTION_ALIGN multiple.
 */
export const SECTION_PLACEMENT = 64;
export const TRAILER_BYTES = 32;

export type HeaderFieldType = "ascii8" | "ascii16" | "u16" | "u32" | "zero";

export interface HeaderField {
  readonly name: string;
  readonly offset: number;
  readonly type: HeaderFieldType;
  readonly bytes: number;
  readonly doc: string;
}

export const HEADER_FIELDS = [
  { name: "magic", offset: 0, type: "ascii8", bytes: 8, doc: `"${BLOB_MAGIC}"` },
  {
    name: "formatVersion",
    offset: 8,
    type: "u16",
    bytes: 2,
    doc: `blob format version (${BLOB_FORMAT_VERSION})`,
  },
  { name: "headerBytes", offset: 10, type: "u16", bytes: 2, doc: `bytes of this header (${HEADER_BYTES})` },
  {
    name: "isaVersion",
    offset: 12,
    type: "u16",
    bytes: 2,
    doc: "ISA_VERSION of the program (compiler/isa/spec.ts)",
  },
  { name: "sectionCount", offset: 14, type: "u16", bytes: 2, doc: "entries in the section table" },
  {
    name: "isaHash",
    offset: 16,
    type: "u32",
    bytes: 4,
    doc: "ISA_HASH: first 32 bits of the SHA-256 of the ISA spec",
  },
  { name: "totalBytes", offset: 20, type: "u32", bytes: 4, doc: "bytes of the whole blob, trailer included" },
  {
    name: "target",
    offset: 24,
    type: "ascii16",
    bytes: 16,
    doc: "target name (compiler/isa/targets.ts), zero-padded",
  },
  { name: "flags", offset: 40, type: "u32", bytes: 4, doc: "bit 0: fused kernels; other bits 0" },
  {
    name: "actBytes",
    offset: 44,
    type: "u32",
    bytes: 4,
    doc: "bytes of the activation arena (ACT segment) to reserve",
  },
  { name: "programWords", offset: 48, type: "u32", bytes: 4, doc: "128-bit words in the PROG section" },
  { name: "reserved", offset: 52, type: "zero", bytes: 12, doc: "zero" },
] as const satisfies readonly HeaderField[];

export const SECTION_ENTRY_FIELDS = [
  { name: "kind", offset: 0, type: "ascii4", bytes: 4, doc: "four ASCII characters naming the section" },
  {
    name: "offset",
    offset: 4,
    type: "u32",
    bytes: 4,
    doc: "byte offset from the start of the blob (16-aligned)",
  },
  { name: "size", offset: 8, type: "u32", bytes: 4, doc: "bytes of the section (padding excluded)" },
  { name: "crc32", offset: 12, type: "u32", bytes: 4, doc: "CRC-32 (ISO-HDLC, zlib) of the section's bytes" },
] as const;

export type SectionKind = "PROG" | "WGHT" | "TABL" | "IODS" | "META";

export interface SectionDef {
  readonly kind: SectionKind;
  readonly required: boolean;
  readonly doc: string;
}

/** Sections in the order the writer emits them. */
export const SECTIONS: readonly SectionDef[] = [
  {
    kind: "PROG",
    required: true,
    doc: "the program: 16-byte instruction words (docs/isa.md), little-endian",
  },
  {
    kind: "WGHT",
    required: true,
    doc: "the WGT segment: packed weight tiles (int4: two per byte, low nibble first; int8), in the order the LOADs read them",
  },
  {
    kind: "TABL",
    required: true,
    doc: "the TBL segment: decode tables (16 int8 per lut4 channel, int8 pad value per lin8 channel), int32 biases, 15 int32 thresholds or (u16 M, u8 n, u8 0, i32 z) per channel",
  },
  {
    kind: "IODS",
    required: true,
    doc: "MessagePack map: `actBytes`, `input` and `output` descriptors {name, shape (NCHW), encoding {kind, channels, scales, zeros | lut, zeroCode}, layout {base, ebits, n, c, h, w, rowBytes, planeBytes, batchBytes} in the ACT segment}",
  },
  {
    kind: "META",
    required: false,
    doc: "MessagePack map: model name, compiler options, per-layer records {name, op, firstWord, words, dispatched, steps, macs, tiling} for reports and the performance model",
  },
];

/** The reader's checks, in the order it runs them; a failure names the check. */
export const BLOB_CHECKS = [
  { name: "size", doc: "the file holds at least a header, an empty section table and the trailer" },
  { name: "magic", doc: `the first 8 bytes are "${BLOB_MAGIC}"` },
  { name: "format-version", doc: `formatVersion is ${BLOB_FORMAT_VERSION} (readers refuse other versions)` },
  { name: "header-size", doc: `headerBytes is ${HEADER_BYTES} and the reserved bytes are zero` },
  {
    name: "total-size",
    doc: "totalBytes equals the file length (shorter: truncated; longer: trailing bytes)",
  },
  {
    name: "section-table",
    doc: "every section lies inside the blob, is aligned, does not overlap another, and is known",
  },
  { name: "section-crc", doc: "each section's CRC-32 matches its bytes" },
  { name: "sha256", doc: "the trailer is the SHA-256 of everything before it" },
  { name: "isa-version", doc: "isaVersion equals the reader's ISA_VERSION" },
  { name: "isa-hash", doc: "isaHash equals the reader's ISA_HASH (same instruction table)" },
  { name: "target", doc: "the target is one the reader knows (or the one it expects)" },
  { name: "sections", doc: "every required section is present exactly once" },
  {
    name: "program",
    doc: "the PROG section decodes (known opcodes, reserved bits zero) and has programWords words",
  },
  { name: "io", doc: "the IODS section decodes to input and output descriptors" },
  { name: "meta", doc: "the META section, when present, decodes" },
] as const;

export type BlobCheck = (typeof BLOB_CHECKS)[number]["name"];
