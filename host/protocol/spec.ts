/**
 * The quart host↔device wire protocol, specified once.
 *
 * Everything both sides must agree on lives in this file as typed data: the version, the frame layout,
 * the link-control frames, the messages with their MessagePack fields, the error codes, the limits and
 * the timing constants. `gen.ts` turns it into `firmware/include/quart_protocol.h` (C) and
 * `docs/protocol.md`; the TypeScript codec, channel and client read it directly. A test regenerates the
 * outputs and fails when a committed copy differs.
 *
 * Layers (bottom up): COBS framing + CRC-32 (frame.ts) → sequencing, windowed ACK/NAK and retransmission
 * (channel.ts, firmware/protocol/qp_link.c) → MessagePack message bodies (body.ts, mpack_lite.c) →
 * commands (client.ts, firmware/protocol/proto.c).
 */

/** Bumped whenever a message, field, opcode or semantic changes. Frame layout and SYNC are frozen. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------------
// Framing

export interface ByteField {
  readonly name: string;
  readonly offset: number;
  readonly bytes: 1 | 2 | 4;
  readonly doc: string;
}

/** Frame layout before COBS encoding. All multi-byte integers little-endian. */
export const FRAME = {
  /** Ends every encoded frame; COBS guarantees it appears nowhere else. */
  delimiter: 0x00,
  headerBytes: 6,
  crcBytes: 4,
  header: [
    { name: "type", offset: 0, bytes: 1, doc: "link frame type (< 0x10) or message opcode (≥ 0x10)" },
    { name: "flags", offset: 1, bytes: 1, doc: "bit set, see FLAGS; unknown bits must be zero" },
    {
      name: "seq",
      offset: 2,
      bytes: 2,
      doc: "message frames: sequence number (mod 2^16); ACK/NAK: the receiver's next expected sequence number; SYNC/SYNC_ACK: 0",
    },
    { name: "len", offset: 4, bytes: 2, doc: "payload length in bytes; must equal decoded length − 10" },
  ],
  /** CRC-32/ISO-HDLC (zlib, Ethernet) over header + payload, appended little-endian. */
  crc: {
    name: "CRC-32/ISO-HDLC",
    polyReflected: 0xedb88320,
    init: 0xffffffff,
    xorOut: 0xffffffff,
    /** CRC of the ASCII string "123456789". */
    check: 0xcbf43926,
  },
  /** COBS code byte value for a full 254-byte block that carries no implied zero. */
  cobsMaxCode: 0xff,
} as const satisfies {
  delimiter: number;
  headerBytes: number;
  crcBytes: number;
  header: readonly ByteField[];
  crc: object;
  cobsMaxCode: number;
};

export const FLAGS = {
  RETX: { bit: 0x01, doc: "the frame is a retransmission (informational: statistics, RTT sampling)" },
} as const satisfies Record<string, { bit: number; doc: string }>;

// ---------------------------------------------------------------------------------------------------
// Limits and timing

/** Who uses a constant: emitted to C either way, so the documentation and the firmware see one value. */
export interface ConstantDoc {
  readonly doc: string;
  readonly side: "host" | "device" | "both";
  /** The firmware may override the default with -D at build time (it then advertises its own value). */
  readonly overridable?: boolean;
}

export const LIMITS = {
  maxPayload: 1056,
  chunkMax: 1024,
  maxWindow: 32,
  deviceRxWindow: 8,
  deviceTxWindow: 4,
  hostRxWindow: 32,
  maxKeys: 16,
  maxCounters: 24,
  maxStr: 31,
  minBaud: 9600,
} as const;

export const LIMITS_DOC: { readonly [K in keyof typeof LIMITS]: ConstantDoc } = {
  maxPayload: { side: "both", doc: "largest message body (MessagePack) one frame carries" },
  chunkMax: {
    side: "both",
    doc: "largest data field of LOAD_CHUNK / INPUT_CHUNK / RUN_OUTPUT; leaves room for the body's keys",
  },
  maxWindow: {
    side: "both",
    doc: "width of the selective-ACK bitmap, hence the largest receive window either side may advertise",
  },
  deviceRxWindow: {
    side: "device",
    overridable: true,
    doc: "frames the device buffers for reordering: its advertised receive window",
  },
  deviceTxWindow: {
    side: "device",
    overridable: true,
    doc: "unacknowledged frames the device keeps for retransmission",
  },
  hostRxWindow: { side: "host", doc: "receive window the host advertises" },
  maxKeys: {
    side: "both",
    doc: "MessagePack map keys are positive fixints below this bound (one byte each)",
  },
  maxCounters: { side: "both", doc: "largest u32[] field (RUN_DONE.counters, RUN.layout)" },
  maxStr: { side: "both", doc: "largest str field in bytes" },
  minBaud: { side: "both", doc: "lowest rate SET_BAUD accepts (bit/s)" },
};

export const TIMING = {
  syncTimeoutMs: 200,
  syncAttempts: 10,
  rtoMinMs: 30,
  rtoMaxMs: 3000,
  rtoInitialMs: 200,
  rtoGranularityMs: 10,
  maxRetries: 12,
  maxRetransmits: 48,
  deviceRtoMs: 60,
  replyBaseMs: 2000,
  deviceVerifyBytesPerSec: 65536,
  runComputeMs: 30000,
  deviceActionDelayMs: 20,
  hostBaudSwitchDelayMs: 60,
  deviceBaudRevertMs: 1000,
  deviceVerifyStep: 256,
} as const;

export const TIMING_DOC: { readonly [K in keyof typeof TIMING]: ConstantDoc } = {
  syncTimeoutMs: { side: "host", doc: "wait for SYNC_ACK before sending SYNC again (ms)" },
  syncAttempts: { side: "host", doc: "SYNC attempts before open() fails with TimeoutError" },
  rtoMinMs: { side: "host", doc: "lower bound of the retransmission timeout (ms)" },
  rtoMaxMs: { side: "host", doc: "upper bound of the retransmission timeout, also after back-off (ms)" },
  rtoInitialMs: {
    side: "host",
    doc: "retransmission timeout before the first RTT sample, added to the time a full window takes on the line (ms)",
  },
  rtoGranularityMs: {
    side: "host",
    doc: "least margin of the retransmission timeout over the smoothed RTT, for timer and scheduling jitter (RFC 6298's G) (ms)",
  },
  maxRetries: {
    side: "both",
    doc: "timeouts of one frame (the peer said nothing) before the link is declared dead",
  },
  maxRetransmits: {
    side: "both",
    doc: "retransmissions of one frame for any reason (NAK, loss inference, timeout) before the link is declared dead",
  },
  deviceRtoMs: {
    side: "device",
    doc: "the device's retransmission timeout on top of twice the time its transmit window takes on the line at the current rate (it keeps no RTT estimate) (ms)",
  },
  replyBaseMs: { side: "host", doc: "base allowance for any reply, on top of the size-dependent terms (ms)" },
  deviceVerifyBytesPerSec: {
    side: "host",
    doc: "slowest whole-blob CRC-32 readback the host waits for (bytes/s): the LOAD_END timeout grows with the blob",
  },
  runComputeMs: {
    side: "host",
    doc: "allowance for one RUN before its first output, and between outputs (ms)",
  },
  deviceActionDelayMs: {
    side: "device",
    doc: "delay between a SET_BAUD / RESET reply leaving the wire and the action (ms)",
  },
  hostBaudSwitchDelayMs: {
    side: "host",
    doc: "delay between receiving the SET_BAUD reply and switching the host's own rate; exceeds the device's delay (ms)",
  },
  deviceBaudRevertMs: {
    side: "device",
    doc: "after a SET_BAUD switch the device returns to the previous rate unless the host opens a session (SYNC with a new nonce) at the new one within this time (ms); shorter than the host's SYNC attempts at the new rate, so both ends meet again at the old rate",
  },
  deviceVerifyStep: {
    side: "device",
    doc: "staging bytes verified per proto_poll() call, so the device keeps draining its UART while it verifies (256 bytes of software CRC-32 take about half the time the 512-entry RX FIFO lasts at 3 Mbaud)",
  },
};

// ---------------------------------------------------------------------------------------------------
// Link-control frames (type < 0x10): not sequenced, never retransmitted by the link itself.

export interface LinkFrameSpec {
  readonly type: number;
  readonly dir: "h2d" | "d2h" | "both";
  readonly doc: string;
  readonly payload: readonly ByteField[];
}

const SYNC_PAYLOAD = [
  { name: "version", offset: 0, bytes: 2, doc: "protocol version of the sender" },
  { name: "nonce", offset: 2, bytes: 4, doc: "session id chosen by the host, echoed in SYNC_ACK" },
  { name: "window", offset: 6, bytes: 1, doc: "sender's receive window in frames (1..32)" },
  { name: "max_payload", offset: 7, bytes: 2, doc: "largest message body the sender accepts" },
] as const satisfies readonly ByteField[];

const SACK_PAYLOAD = [
  {
    name: "sack",
    offset: 0,
    bytes: 4,
    doc: "bit i set: frame seq+1+i was received and is buffered (selective ACK)",
  },
] as const satisfies readonly ByteField[];

export const LINK_FRAMES = {
  SYNC: {
    type: 0x01,
    dir: "h2d",
    doc: "Open a session: the device resets both sequence spaces and its transmit window (staging area and active model are kept), unless the nonce equals the current session's, in which case it only answers again. Layout frozen across versions.",
    payload: SYNC_PAYLOAD,
  },
  SYNC_ACK: {
    type: 0x02,
    dir: "d2h",
    doc: "Answer to SYNC with the device's version, the echoed nonce, its receive window and payload limit. Layout frozen across versions.",
    payload: SYNC_PAYLOAD,
  },
  ACK: {
    type: 0x03,
    dir: "both",
    doc: "Cumulative acknowledgement: every message frame before `seq` was delivered.",
    payload: SACK_PAYLOAD,
  },
  NAK: {
    type: 0x04,
    dir: "both",
    doc: "Like ACK, and frame `seq` is missing (a later frame or a corrupt frame arrived): retransmit it now.",
    payload: SACK_PAYLOAD,
  },
} as const satisfies Record<string, LinkFrameSpec>;

/** Types at or above this value are sequenced message frames; below are link-control frames. */
export const FIRST_MESSAGE_TYPE = 0x10;

// ---------------------------------------------------------------------------------------------------
// Messages (type ≥ 0x10): sequenced, acknowledged, body is a MessagePack map with fixint keys.

export type FieldType = "bool" | "u8" | "u16" | "u32" | "bin" | "str" | "u32[]";

export interface FieldSpec {
  readonly name: string;
  readonly key: number;
  readonly type: FieldType;
  readonly required: boolean;
  /** bin/str/u32[]: largest length; a bin with `exact` must have exactly this length. */
  readonly max?: number;
  readonly doc: string;
}

export interface MessageSpec {
  readonly op: number;
  readonly dir: "h2d" | "d2h";
  readonly doc: string;
  /** Final reply to this request; null: none (errors still come back as ERROR). */
  readonly reply?: string | null;
  /** Messages the device streams before the final reply. */
  readonly stream?: string;
  readonly fields: readonly FieldSpec[];
}

function field<const N extends string, const T extends FieldType, const R extends boolean>(
  key: number,
  name: N,
  type: T,
  required: R,
  doc: string,
  max?: number,
): { name: N; key: number; type: T; required: R; doc: string; max?: number } {
  return max === undefined ? { name, key, type, required, doc } : { name, key, type, required, doc, max };
}

const chunkFields = (what: string) =>
  [
    field(
      0,
      "off",
      "u32",
      true,
      `byte offset of \`data\` in the ${what}; must equal the bytes received so far`,
    ),
    field(1, "data", "bin", true, "the bytes (1..chunkMax)", LIMITS.chunkMax),
  ] as const;

export const MESSAGES = {
  HELLO: {
    op: 0x10,
    dir: "h2d",
    reply: "INFO",
    doc: "Identify the device. Sent after every SYNC.",
    fields: [field(0, "version", "u16", true, "host protocol version")],
  },
  LOAD_BEGIN: {
    op: 0x11,
    dir: "h2d",
    reply: "LOAD_READY",
    doc: "Start (or resume) uploading a model blob into the staging area. The active model is untouched.",
    fields: [
      field(0, "size", "u32", true, "blob size in bytes"),
      field(1, "crc", "u32", true, "CRC-32 of the whole blob; with `size` it names the blob"),
      field(2, "resume", "bool", false, "keep bytes already staged for the same (size, crc)"),
    ],
  },
  LOAD_CHUNK: {
    op: 0x12,
    dir: "h2d",
    reply: null,
    doc: "Bytes for the staging area, in order. No reply; a failure answers ERROR once and sticks until LOAD_BEGIN.",
    fields: chunkFields("blob"),
  },
  LOAD_END: {
    op: 0x13,
    dir: "h2d",
    reply: "LOAD_DONE",
    doc: "Verify the staged blob (CRC-32 read back from storage) and, only if it matches, commit it as the active model.",
    fields: [field(0, "size", "u32", true, "blob size, must match LOAD_BEGIN")],
  },
  INPUT_CHUNK: {
    op: 0x14,
    dir: "h2d",
    reply: null,
    doc: "Bytes of the next input frame, in order; offset 0 starts a new frame.",
    fields: chunkFields("input frame"),
  },
  RUN: {
    op: 0x15,
    dir: "h2d",
    reply: "RUN_DONE",
    stream: "RUN_OUTPUT",
    doc: "Run the active model on the uploaded input frame; the output streams back as RUN_OUTPUT, then RUN_DONE.",
    fields: [
      field(0, "in_len", "u32", true, "input frame length, must equal the bytes uploaded"),
      field(
        1,
        "out_chunk",
        "u32",
        false,
        "largest RUN_OUTPUT data field the host wants (noisy lines: smaller)",
      ),
      field(
        2,
        "layout",
        "u32[]",
        false,
        "where the input and the output tensors lie in the activation arena, from the blob's IODS section (the device does not parse its MessagePack): base, ebits, n, c, h, w, rowBytes, planeBytes, batchBytes of the input, then the same 9 of the output. The input frame holds the codes in NCHW order (one byte each; ebits 32: 4 bytes little-endian), and so does the output",
        18,
      ),
      field(
        3,
        "max_cycles",
        "u32",
        false,
        "watchdog of the run in device clock cycles: past it the device stops the accelerator and answers RUN_FAILED (absent or 0: the firmware's default, 10 s on the quart SoC)",
      ),
    ],
  },
  STATS: {
    op: 0x16,
    dir: "h2d",
    reply: "STATS_REPLY",
    doc: "Read the device's link and command counters.",
    fields: [],
  },
  RESET: {
    op: 0x17,
    dir: "h2d",
    reply: "OK",
    doc: "Reset the device after the OK has left the wire (deviceActionDelayMs later).",
    fields: [],
  },
  SET_BAUD: {
    op: 0x18,
    dir: "h2d",
    reply: "OK",
    doc: "Switch the UART rate after the OK has left the wire; the host then switches and sends SYNC at the new rate.",
    fields: [field(0, "baud", "u32", true, "new line rate in bit/s")],
  },
  INFO: {
    op: 0x50,
    dir: "d2h",
    doc: "Reply to HELLO.",
    fields: [
      field(0, "version", "u16", true, "device protocol version"),
      field(1, "device", "str", true, "device kind, e.g. quart-up5k or quart-native", LIMITS.maxStr),
      field(2, "firmware", "str", true, "firmware build identifier", LIMITS.maxStr),
      field(3, "clock_hz", "u32", true, "clock of the cycle counters in RUN_DONE"),
      field(4, "stage_capacity", "u32", true, "largest blob LOAD_BEGIN accepts"),
      field(5, "input_capacity", "u32", true, "largest input frame"),
      field(6, "chunk_max", "u32", true, "largest chunk data field the device accepts"),
      field(7, "max_baud", "u32", true, "highest rate SET_BAUD accepts (0: fixed rate)"),
      field(8, "uptime_ms", "u32", true, "milliseconds since boot"),
      field(9, "model_size", "u32", false, "size of the active model; absent when none"),
      field(10, "model_crc", "u32", false, "CRC-32 of the active model; absent when none"),
      field(
        11,
        "stored_size",
        "u32",
        false,
        "size of the model kept in non-volatile storage (flash), which the device activates at boot; absent when none",
      ),
      field(12, "stored_crc", "u32", false, "CRC-32 of the stored model; absent when none"),
      field(
        13,
        "stored_seq",
        "u32",
        false,
        "commit number of the stored model (counts LOADs committed to flash)",
      ),
    ],
  },
  LOAD_READY: {
    op: 0x51,
    dir: "d2h",
    doc: "Reply to LOAD_BEGIN.",
    fields: [
      field(0, "have", "u32", true, "bytes already staged for this blob: the host continues at this offset"),
      field(1, "chunk_max", "u32", true, "largest chunk data field accepted"),
      field(2, "active", "bool", true, "the blob is already the active model"),
    ],
  },
  LOAD_DONE: {
    op: 0x52,
    dir: "d2h",
    doc: "Reply to LOAD_END: the blob verified and is now the active model.",
    fields: [
      field(0, "size", "u32", true, "committed size"),
      field(1, "crc", "u32", true, "committed CRC-32"),
    ],
  },
  RUN_OUTPUT: {
    op: 0x53,
    dir: "d2h",
    doc: "A piece of the output tensor, in order.",
    fields: chunkFields("output tensor"),
  },
  RUN_DONE: {
    op: 0x54,
    dir: "d2h",
    doc: "Final reply to RUN, after every RUN_OUTPUT.",
    fields: [
      field(0, "out_len", "u32", true, "output tensor length in bytes"),
      field(1, "out_crc", "u32", true, "CRC-32 of the output tensor"),
      field(
        2,
        "cycles",
        "u32",
        true,
        "device clock cycles spent in the run (see INFO.clock_hz); the quart SoC: the accelerator's cycles from start to DONE",
      ),
      field(
        3,
        "counters",
        "u32[]",
        true,
        "accelerator performance counters, firmware-defined order",
        LIMITS.maxCounters,
      ),
    ],
  },
  STATS_REPLY: {
    op: 0x55,
    dir: "d2h",
    doc: "Reply to STATS: device-side counters since boot.",
    fields: [
      field(0, "rx_frames", "u32", true, "valid frames received"),
      field(1, "rx_bad", "u32", true, "frames rejected: COBS, length or CRC error, or overflow"),
      field(2, "rx_dup", "u32", true, "duplicate message frames (already delivered)"),
      field(3, "rx_ooo", "u32", true, "message frames buffered out of order"),
      field(4, "rx_drop", "u32", true, "message frames dropped: outside the window or no buffer"),
      field(5, "tx_frames", "u32", true, "frames sent (all kinds)"),
      field(6, "tx_retx", "u32", true, "message frames retransmitted"),
      field(7, "nak_tx", "u32", true, "NAKs sent"),
      field(8, "nak_rx", "u32", true, "NAKs received"),
      field(9, "loads", "u32", true, "blobs committed"),
      field(10, "runs", "u32", true, "runs completed"),
      field(11, "uptime_ms", "u32", true, "milliseconds since boot"),
      field(12, "cycles", "u32", false, "device clock cycles since reset, low 32 bits (see INFO.clock_hz)"),
      field(13, "cycles_hi", "u32", false, "device clock cycles since reset, high 32 bits"),
      field(14, "rx_bytes", "u32", false, "frame bytes received (after COBS decoding), valid or not"),
      field(
        15,
        "restore_cycles",
        "u32",
        false,
        "device clock cycles the boot spent activating the stored model (reading it from flash, checking its CRC-32, copying it into model memory); absent without non-volatile storage",
      ),
    ],
  },
  OK: {
    op: 0x56,
    dir: "d2h",
    doc: "Generic success reply (RESET, SET_BAUD).",
    fields: [
      field(0, "op", "u8", true, "opcode of the request"),
      field(1, "value", "u32", false, "request-specific result (SET_BAUD: the new rate)"),
    ],
  },
  ERROR: {
    op: 0x5f,
    dir: "d2h",
    doc: "A request failed. Replaces the request's normal reply.",
    fields: [
      field(0, "code", "u16", true, "error code, see ERRORS"),
      field(1, "op", "u8", true, "opcode of the failed request"),
      field(2, "detail", "u32", false, "code-specific detail (expected offset, capacity, …)"),
    ],
  },
} as const satisfies Record<string, MessageSpec>;

export type MessageName = keyof typeof MESSAGES;
export type RequestName = {
  [K in MessageName]: (typeof MESSAGES)[K]["dir"] extends "h2d" ? K : never;
}[MessageName];

// ---------------------------------------------------------------------------------------------------
// Error codes carried by ERROR.code (0 is success and never sent).

export const ERRORS = {
  UNKNOWN_OP: { code: 1, message: "unknown or host-bound opcode" },
  BAD_BODY: { code: 2, message: "message body malformed, a required field missing or of the wrong type" },
  BAD_STATE: { code: 3, message: "command not valid now (e.g. LOAD_CHUNK before LOAD_BEGIN)" },
  BUSY: { code: 4, message: "device busy with the previous command" },
  TOO_LARGE: { code: 5, message: "size exceeds the device's capacity (detail: capacity)" },
  BAD_OFFSET: { code: 6, message: "chunk offset is not the next expected one (detail: expected offset)" },
  INCOMPLETE: { code: 7, message: "not all bytes arrived before LOAD_END / RUN (detail: bytes received)" },
  CRC_MISMATCH: {
    code: 8,
    message: "staged blob CRC-32 does not match; staging discarded, previous model kept (detail: CRC found)",
  },
  STORAGE: { code: 9, message: "staging storage write or read failed (detail: offset)" },
  COMMIT_FAILED: { code: 10, message: "committing the staged blob failed; previous model kept" },
  NO_MODEL: { code: 11, message: "no active model" },
  RUN_FAILED: { code: 12, message: "the run failed on the device (detail: firmware status)" },
  BAD_BAUD: { code: 13, message: "baud rate not supported (detail: highest supported)" },
} as const satisfies Record<string, { code: number; message: string }>;

export type ErrorName = keyof typeof ERRORS;

// ---------------------------------------------------------------------------------------------------
// Derived values, computed once (both sides assert them).

/** Bytes covered by a fixed little-endian layout. */
export function layoutBytes(fields: readonly ByteField[]): number {
  return Math.max(0, ...fields.map((f) => f.offset + f.bytes));
}

/** Worst-case COBS output length for `n` input bytes (without the delimiter). */
export function cobsMaxLength(n: number): number {
  return n + Math.max(1, Math.ceil(n / 254));
}

export const DERIVED = {
  /** Largest decoded frame: header + payload + CRC. */
  frameMax: FRAME.headerBytes + LIMITS.maxPayload + FRAME.crcBytes,
  /** Smallest decoded frame (empty payload). */
  frameMin: FRAME.headerBytes + FRAME.crcBytes,
  /** Largest encoded frame on the wire including its delimiter. */
  wireMax: cobsMaxLength(FRAME.headerBytes + LIMITS.maxPayload + FRAME.crcBytes) + 1,
  /** SYNC / SYNC_ACK payload length. */
  syncBytes: layoutBytes(SYNC_PAYLOAD),
  /** ACK / NAK payload length. */
  sackBytes: layoutBytes(SACK_PAYLOAD),
  /** CRC-32 of any frame body followed by its own little-endian CRC: receivers may check this instead. */
  crcResidue: 0x2144df1c,
} as const;

export function messageByOp(op: number): MessageName | undefined {
  for (const name of Object.keys(MESSAGES) as MessageName[]) if (MESSAGES[name].op === op) return name;
  return undefined;
}

export function errorByCode(code: number): ErrorName | undefined {
  for (const name of Object.keys(ERRORS) as ErrorName[]) if (ERRORS[name].code === code) return name;
  return undefined;
}
