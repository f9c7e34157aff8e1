/** Renders docs/protocol.md from spec.ts and the rules of policy.ts. */
import { GENERATED_NOTE, macroCase } from "./gen-c.js";
import { chunkGoodput, chunkOverhead, RULES } from "./policy.js";
import {
  type ByteField,
  type ConstantDoc,
  DERIVED,
  ERRORS,
  FIRST_MESSAGE_TYPE,
  FLAGS,
  FRAME,
  LIMITS,
  LIMITS_DOC,
  LINK_FRAMES,
  type LinkFrameSpec,
  MESSAGES,
  type MessageSpec,
  PROTOCOL_VERSION,
  TIMING,
  TIMING_DOC,
} from "./spec.js";

const hx = (v: number, digits = 2) => `\`0x${v.toString(16).padStart(digits, "0")}\``;
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

function layoutTable(fields: readonly ByteField[]): string {
  return table(
    ["offset", "bytes", "field", "meaning"],
    fields.map((f) => [String(f.offset), String(f.bytes), `\`${f.name}\``, f.doc]),
  );
}

function constantsTable(
  prefix: string,
  values: Readonly<Record<string, number>>,
  docs: Readonly<Record<string, ConstantDoc>>,
) {
  return table(
    ["name", "value", "C macro", "used by", "meaning"],
    Object.entries(values).map(([k, v]) => [
      `\`${k}\``,
      String(v),
      `\`${prefix}${macroCase(k)}\`${docs[k]!.overridable ? " (overridable)" : ""}`,
      docs[k]!.side,
      docs[k]!.doc,
    ]),
  );
}

export function renderDocs(): string {
  const messages = Object.entries(MESSAGES) as [string, MessageSpec][];
  const linkFrames = Object.entries(LINK_FRAMES) as [string, LinkFrameSpec][];
  const chunkRows = [128, 256, 512, 1024].map((c) => {
    const wire = c + chunkOverhead(c);
    return [
      String(c),
      String(wire),
      `${((100 * c) / wire).toFixed(1)} %`,
      `${(100 * chunkGoodput(c, 1e-4)).toFixed(1)} %`,
      `${(100 * chunkGoodput(c, 1e-3)).toFixed(1)} %`,
    ];
  });
  const frameTime = (DERIVED.wireMax / 300_000) * 1000;

  const L: string[] = [];
  L.push(`# quart host↔device wire protocol, version ${PROTOCOL_VERSION}`, "");
  L.push(`<!-- ${GENERATED_NOTE} -->`, "");
  L.push(
    "The host (TypeScript, `host/protocol/`) and the device firmware (C, `firmware/protocol/`) speak this protocol over a UART (the iCEBreaker's FTDI at up to 3 Mbaud, or the Verilator simulation's pty). Everything on this page is generated from `host/protocol/spec.ts` (and the rules in `host/protocol/policy.ts`); the C header `firmware/include/quart_protocol.h` comes from the same source.",
    "",
  );
  L.push("## Layers", "");
  L.push(
    table(
      ["layer", "host", "device", "job"],
      [
        [
          "framing",
          "`frame.ts`, `cobs.ts`, `crc32.ts`",
          "`qp_frame.c`, `qp_crc32.c`",
          "delimit frames, detect corruption, resynchronise",
        ],
        [
          "link",
          "`channel.ts` (`FramedChannel`)",
          "`qp_link.c`",
          "sessions, sequence numbers, window, ACK/NAK, retransmission",
        ],
        [
          "bodies",
          "`body.ts` (msgpackr)",
          "`qp_body.c`, `mpack_lite.c`",
          "MessagePack maps with one-byte keys, checked against the spec",
        ],
        ["commands", "`client.ts` (`DeviceClient`)", "`proto.c`", "HELLO, LOAD, RUN, STATS, RESET, SET_BAUD"],
      ],
    ),
    "",
  );

  L.push("## Framing", "");
  L.push(
    "Each frame is `COBS(header | payload | CRC-32)` followed by one `0x00` delimiter. Multi-byte integers are little-endian.",
    "",
    "**COBS, not SLIP.** COBS removes every zero byte with a worst-case overhead of one byte per 254 (plus the delimiter), whatever the data; model weights are arbitrary bytes, and SLIP's escaping doubles a payload made of its two special bytes (`0xC0`, `0xDB`), so its worst case is 100 %. COBS also gives a receiver a trivial resynchronisation rule: after any error, wait for the next `0x00`. A full 254-byte block at the very end of a frame is not followed by an empty block (decoders accept both forms).",
    "",
    `**Header** (${FRAME.headerBytes} bytes):`,
    "",
    layoutTable(FRAME.header),
    "",
    `Flags: ${Object.entries(FLAGS)
      .map(([n, f]) => `\`${n}\` = ${hx(f.bit)} (${f.doc})`)
      .join("; ")}. Types below ${hx(FIRST_MESSAGE_TYPE)} are link-control frames, the others messages.`,
    "",
    `**CRC**: ${FRAME.crc.name} (reflected polynomial ${hx(FRAME.crc.polyReflected, 8)}, init ${hx(FRAME.crc.init, 8)}, xor-out ${hx(FRAME.crc.xorOut, 8)}, check value ${hx(FRAME.crc.check, 8)}) over header and payload, appended little-endian. A receiver may run the CRC over the whole decoded frame and compare with the residue ${hx(DERIVED.crcResidue, 8)}. One CRC-32 rather than a CRC-16 for the header plus a CRC-32 for the payload: the delimiter, not the length field, finds the end of a frame, so the header never needs to be trusted early. CRC-32 detects every burst of up to 32 bits — every corrupted byte of the decoded frame — and lets 2^-32 of other corruptions through; a CRC-16 would pass one corrupted frame in 65 536, about one silent error per hundred megabytes at a 1e-3 byte error rate.`,
    "",
    `**Checks**, in order: valid COBS (no block runs past the delimiter), at least ${DERIVED.frameMin} bytes, decoded length = \`len\` + ${DERIVED.frameMin}, \`len\` ≤ ${LIMITS.maxPayload}, CRC. A dropped or duplicated data byte changes the decoded length; a flipped data byte is a burst of at most 8 bits for the CRC; a flipped COBS code byte moves the zeros, which the length check or (with probability 1 − 2^-32) the CRC rejects; a byte flipped to \`0x00\` splits the frame into two that both fail. The tests flip, drop and duplicate every byte of sample frames, with every value, on both implementations.`,
    "",
    `Largest frame: ${DERIVED.frameMax} bytes decoded, ${DERIVED.wireMax} on the wire.`,
    "",
  );

  L.push("## Link-control frames", "");
  L.push("Not sequenced, never retransmitted by the link itself. `seq` carries the meaning given below.", "");
  for (const [name, f] of linkFrames) {
    L.push(
      `### ${name} (${hx(f.type)}, ${f.dir === "both" ? "both directions" : f.dir === "h2d" ? "host → device" : "device → host"})`,
      "",
    );
    L.push(f.doc, "", layoutTable(f.payload), "");
  }

  L.push("## Sessions, sequencing, windowing, retransmission", "");
  L.push(
    "- **Session.** The host opens a session with SYNC (a fresh random nonce; the device answers SYNC_ACK). Both sides then number their message frames from 0, each direction separately, modulo 2^16. The device resets its link state only for a new nonce, so a repeated SYNC is harmless. The staging area and the active model survive sessions, which is what makes an upload resumable after a host restart.",
    `- **Version.** SYNC and SYNC_ACK carry the protocol version in a layout that never changes. The host compares them before sending any message and stops with \`ProtocolVersionError\` naming both versions. HELLO / INFO repeat the version for display.`,
    `- **Window.** A sender keeps at most \`window\` message frames unacknowledged: the smaller of its own setting and the receiver's advertised receive window (device default ${LIMITS.deviceRxWindow}, host ${LIMITS.hostRxWindow}, at most ${LIMITS.maxWindow}, the width of the SACK bitmap). At 3 Mbaud a full frame takes ${frameTime.toFixed(2)} ms on the line, so a window of W frames keeps the line busy as long as the round trip stays under about (W − 1) × ${frameTime.toFixed(1)} ms.`,
    "- **Receive.** A frame with the expected sequence number is delivered at once, followed by any buffered successors; a later frame inside the window is buffered (selective repeat) and triggers one NAK for the missing number; an earlier one is a duplicate; all of them are answered with an ACK. ACK and NAK carry the next expected number (cumulative) and a bitmap of buffered frames (selective ACK). A corrupt frame triggers a NAK too. ACKs are built when they reach the wire, so one ACK covers everything that arrived meanwhile.",
    "- **Flow control on the device.** The device delivers a message only when it could queue a reply; otherwise the frame waits in its buffer and is acknowledged later.",
    "- **Send.** Frames are retransmitted on a NAK, when a frame sent later was acknowledged (loss inference), or on timeout; the rules below say when and how often.",
    "",
    "### Retry, flush and failure rules",
    "",
    table(
      ["rule", "failure it handles", "what happens"],
      RULES.map((r) => [`**${r.name}**`, r.failure, r.rule]),
    ),
    "",
  );

  L.push("## Messages", "");
  L.push(
    "A message's body is a MessagePack map whose keys are small positive integers (one byte each), written in ascending key order so both sides produce identical bytes (the host packs with msgpackr, `useRecords: false`; the firmware with `mpack_lite`). Unknown keys are ignored (a newer peer's optional fields); a missing required field or a value of the wrong type is `BAD_BODY`. Field types: `u8`/`u16`/`u32` unsigned integers in their shortest MessagePack form, `bool`, `bin` (bytes), `str` (UTF-8), `u32[]` (array of u32).",
    "",
  );
  L.push(
    table(
      ["message", "opcode", "direction", "reply", "purpose"],
      messages.map(([name, m]) => [
        `[${name}](#${name.toLowerCase()})`,
        hx(m.op),
        m.dir === "h2d" ? "host → device" : "device → host",
        m.dir === "d2h" ? "" : m.reply ? `${m.stream ? `${m.stream}…, ` : ""}${m.reply}` : "none",
        m.doc,
      ]),
    ),
    "",
  );
  for (const [name, m] of messages) {
    L.push(
      `### ${name}`,
      "",
      `Opcode ${hx(m.op)}, ${m.dir === "h2d" ? "host → device" : "device → host"}. ${m.doc}`,
      "",
    );
    if (m.fields.length === 0) L.push("Empty body (an empty map, `0x80`).", "");
    else
      L.push(
        table(
          ["key", "field", "type", "required", "meaning"],
          m.fields.map((f) => [
            String(f.key),
            `\`${f.name}\``,
            f.max === undefined ? f.type : `${f.type} (≤ ${f.max})`,
            f.required ? "yes" : "no",
            f.doc,
          ]),
        ),
        "",
      );
  }

  L.push("## Error codes", "");
  L.push(
    "ERROR replaces the normal reply of the failed request (`op` names it). Chunk messages have no reply: their first failure is answered with one ERROR and then sticks (LOAD_END or RUN report it) until the next LOAD_BEGIN or input frame. The host raises `DeviceError` with the code, its name and the message below.",
    "",
    table(
      ["code", "name", "meaning"],
      Object.entries(ERRORS).map(([n, e]) => [String(e.code), `\`${n}\``, e.message]),
    ),
    "",
  );

  L.push("## Loading a model: staging, verification, atomic commit, resume", "");
  L.push(
    "1. `LOAD_BEGIN {size, crc}` names the blob by its size and CRC-32 and opens the staging area (`TOO_LARGE` beyond the capacity). With `resume: true` and the same (size, crc) as the upload in progress, the device keeps what it has; LOAD_READY's `have` tells the host where to continue. `active: true` means the blob already is the active model, and the host skips the upload unless forced.",
    "2. `LOAD_CHUNK {off, data}` appends to the staging area. `off` must equal the bytes staged so far (`BAD_OFFSET` otherwise). Each chunk is protected by its frame CRC and acknowledged only once the device has written it, so `have` never counts bytes that were not stored.",
    "3. `LOAD_END {size}` starts the verification: the device reads the staging area back (a few hundred bytes per `proto_poll()`, so the UART keeps being served) and compares its CRC-32 with the one announced. Only a match calls the application's `commit()`, which makes the staged blob the active model (a buffer swap or copy). A mismatch (`CRC_MISMATCH`), a storage error or a failed commit discard the staging area and leave the previous model active. An upload that is interrupted — host crash, cable, reset of the session — never reaches commit, so the old model stays active and the staged prefix remains for a resume. A device that keeps models in non-volatile memory (the quart SoC: QSPI flash, `firmware/README.md`) writes the blob there from the staging area and checks the CRC-32 of what it reads back from the flash instead (one read-back, not two); the model becomes active, and is kept across power cycles, only once that matches and its commit record is written, so a mismatch still answers `CRC_MISMATCH` with the previous model active and stored. Meanwhile the device answers HELLO and STATS, and BUSY to other requests.",
    `4. The host's wait for LOAD_DONE grows with the blob: replyBaseMs + size / deviceVerifyBytesPerSec (${TIMING.replyBaseMs} ms + size / ${TIMING.deviceVerifyBytesPerSec} B/s).`,
    "",
    "Why CRC-32 and not SHA-256 for the whole blob: the firmware already has the CRC for its frames (no extra code in an 8 KiB boot ROM), it is about ten times faster on an RV32I without multiplier, and the check guards against transmission and storage errors, not against an adversary — anyone who can reach the UART can load anything anyway. (size, crc) is also the blob's name for resume; two different blobs of equal size and CRC would need a 2^-32 coincidence, and the final check would still catch a blob mixed from both.",
    "",
  );

  L.push("## Running a frame", "");
  L.push(
    "`INPUT_CHUNK {off, data}` uploads the input frame in order (offset 0 starts a new one). `RUN {in_len}` checks that `in_len` bytes arrived (`INCOMPLETE` otherwise) and that a model is active (`NO_MODEL`), runs it, and streams the output tensor back as `RUN_OUTPUT {off, data}` pieces (at most `out_chunk` bytes each when the host asks for smaller ones on a noisy line), followed by `RUN_DONE {out_len, out_crc, cycles, counters}`. The host checks the length and the CRC-32 of what it assembled (`ChecksumError` otherwise). `cycles / INFO.clock_hz` is the device time.",
    "",
  );

  L.push("## SET_BAUD and RESET", "");
  L.push(
    `The device answers OK at the current rate, waits until the reply has left its transmitter plus deviceActionDelayMs (${TIMING.deviceActionDelayMs} ms), then switches (or resets). The host waits hostBaudSwitchDelayMs (${TIMING.hostBaudSwitchDelayMs} ms) after the OK, switches its own port and opens a new session at the new rate; if that fails it goes back to the old rate and opens a session there, then reports the failure. The device keeps the new rate only once the host opens a session at it (a SYNC with a new nonce; other frames may still be arriving from before the switch): after deviceBaudRevertMs (${TIMING.deviceBaudRevertMs} ms) without one it returns to the previous rate by itself, before the host's SYNC attempts at the new rate (${TIMING.syncAttempts} × ${TIMING.syncTimeoutMs} ms) run out, so a lost OK or a host port that cannot take the rate still ends with both sides at the old rate. A new session cancels a pending action. Retransmission timeouts follow the rate: the device's is deviceRtoMs plus twice its transmit window's line time, the host adds to each frame's timeout the line time of the bytes it queued ahead of it, including the frame itself.`,
    "",
  );

  L.push("## Efficiency", "");
  L.push(
    "Payload efficiency of one LOAD_CHUNK frame (data bytes / wire bytes, including header, body keys, CRC, COBS codes and the delimiter), and the expected goodput with selective repeat at a byte error rate e (each lost frame costs one retransmission): the uploader picks the best chunk size for the error rate it observes.",
    "",
    table(
      ["chunk bytes", "wire bytes", "efficiency", "goodput at e = 1e-4", "goodput at e = 1e-3"],
      chunkRows,
    ),
    "",
    "ACKs travel in the other direction of the full-duplex line and cost the upload nothing. Measured throughput against the real firmware code (native build) through a 3 Mbaud line model: `node --test dist/test/host/protocol/efficiency.test.js` prints the table for several windows and latencies. On the simulated SoC (Verilator, bit-level UART, the firmware with the UART's hardware frame decoder), switched to 3 Mbaud with SET_BAUD, `node --test dist/test/host/device/link-rate.test.js` measures uploads in simulated time (BENCHMARKS.md, Wire protocol).",
    "",
  );

  L.push("## Limits", "");
  L.push(constantsTable("QP_", LIMITS, LIMITS_DOC), "");
  L.push("## Timing", "");
  L.push(constantsTable("QP_", TIMING, TIMING_DOC), "");
  L.push(
    "## Device resources",
    "",
    `The device keeps ${LIMITS.deviceRxWindow} receive buffers and ${LIMITS.deviceTxWindow} transmit buffers of ${DERIVED.frameMax} bytes each (\`QP_DEVICE_RX_WINDOW\`, \`QP_DEVICE_TX_WINDOW\` may be overridden at build time; the device advertises what it has), about ${Math.round(((LIMITS.deviceRxWindow + LIMITS.deviceTxWindow) * DERIVED.frameMax) / 1024)} KiB of RAM in \`qp_device_t\`; no dynamic allocation.`,
    "",
  );
  return L.join("\n");
}
