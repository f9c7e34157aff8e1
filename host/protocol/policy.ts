/**
 * Every retry, flush, timeout and failure-budget rule of the host side, in one place. Each rule names
 * the failure it handles; channel.ts and client.ts call these functions instead of deciding themselves,
 * and docs/protocol.md lists RULES. The numbers come from spec.ts (TIMING, LIMITS).
 */
import { DERIVED, LIMITS, type RequestName, TIMING } from "./spec.js";

export interface Rule {
  readonly name: string;
  readonly failure: string;
  readonly rule: string;
}

export const RULES: readonly Rule[] = [
  {
    name: "flush before SYNC",
    failure:
      "bytes of an earlier session (a reply still streaming when the host restarted, line noise) would be parsed as frames of the new one",
    rule: "open() drops the parser's partial frame and every buffered or pending frame, then sends a delimiter before SYNC so the device also starts a fresh frame",
  },
  {
    name: "SYNC retry",
    failure: "the device is busy or rebooting, or SYNC / SYNC_ACK was corrupted",
    rule: `SYNC is re-sent every syncTimeoutMs (${TIMING.syncTimeoutMs} ms), at most syncAttempts (${TIMING.syncAttempts}) times, then TimeoutError; the same nonce is kept so a late SYNC_ACK still counts and the device does not reset twice. On a link slower than real time (the simulated device) the wait stretches by baud / 10 / bytesPerSecond, which keeps the device's baud revert inside the host's attempts at the new rate`,
  },
  {
    name: "version check",
    failure: "host and firmware built from different protocol versions would misread each other's bodies",
    rule: "SYNC_ACK carries the device's version in a layout frozen across versions; a difference throws ProtocolVersionError naming both, before any message is sent",
  },
  {
    name: "retransmission timeout",
    failure: "a frame or its ACK was lost or corrupted and no NAK followed (the last frame of a burst)",
    rule: `per-frame timer; RTO = SRTT + max(rtoGranularityMs, 4·RTTVAR) (RFC 6298, G = ${TIMING.rtoGranularityMs} ms), sampled only from frames sent once (Karn) and only on the newest frame an ACK covers, clamped to [rtoMinMs, rtoMaxMs] = [${TIMING.rtoMinMs}, ${TIMING.rtoMaxMs}] ms and doubled after each timeout; before the first sample: rtoInitialMs (${TIMING.rtoInitialMs} ms) plus the time a full window takes on the line. Each frame's timer also gets the line time, at the link's current rate, of the bytes written ahead of it and of the frame itself (at most the unacknowledged bytes), and RTT samples exclude it: a write returns as soon as the OS or the sim's pty takes the bytes, so a 1 KiB frame queued behind a window at a low rate must not time out while it waits for the wire. On a link slower than real time (the simulated device) the fixed bounds stretch by baud / 10 / bytesPerSecond: the device answers in its own time`,
  },
  {
    name: "fast retransmit on NAK",
    failure:
      "a corrupt or missing frame in the middle of a window; waiting for the timer would stall the window",
    rule: "a NAK for an in-flight frame retransmits it at once; if the frame was (re)sent less than half an SRTT ago the NAK may be about the older copy, so the retransmission waits until 1.5 SRTT after the send unless an ACK comes first (the device, without an RTT estimate, always obeys at once). Receivers NAK each missing sequence number once, and again after every corrupt frame, which may have been its retransmission",
  },
  {
    name: "loss inference",
    failure:
      "a retransmitted frame is lost again (its gap was already NAKed once) or a frame is lost while later ones arrive",
    rule: "a serial line never reorders, so a frame still unacknowledged when a frame sent after it is acknowledged or SACKed was lost: it is retransmitted at once, without waiting for a NAK or the timer. Only frames sent exactly once count as evidence: for a retransmitted frame nobody knows which copy arrived",
  },
  {
    name: "retry budget",
    failure: "the device is gone (cable, power, crash): retrying forever would hang the host",
    rule: `a frame that timed out more than maxRetries (${TIMING.maxRetries}) times with nothing valid heard from the peer since it was sent (silence), or was retransmitted more than maxRetransmits (${TIMING.maxRetransmits}) times for any reason (NAKs prove the peer alive, so they get a larger budget), fails the channel with TimeoutError; pending requests reject, and the next operation must open() again. The device applies the same budget to its own frames and then drops its session`,
  },
  {
    name: "reply timeouts scale with the work",
    failure:
      "a fixed timeout either fires during a long LOAD_END verification of a large blob or waits far too long for a small reply",
    rule: `replies get replyBaseMs (${TIMING.replyBaseMs} ms) plus, for LOAD_END, size / deviceVerifyBytesPerSec (${TIMING.deviceVerifyBytesPerSec} B/s), and for RUN, runComputeMs (${TIMING.runComputeMs} ms) restarted by every RUN_OUTPUT; the timer starts once the request is acknowledged, so link delays do not eat it; on a link slower than real time (the simulated device) all of it stretches by baud / 10 / bytesPerSecond`,
  },
  {
    name: "no blind re-send of commands",
    failure: "re-sending a command whose reply was lost could commit or run twice",
    rule: "requests are never re-issued by the client: the link layer delivers each exactly once or fails the channel; LOAD resumes explicitly (LOAD_BEGIN resume=true) after a reconnect",
  },
  {
    name: "chunk size follows the error rate",
    failure:
      "on a noisy line long frames are lost more often; on a clean one short frames waste header bytes",
    rule: "each chunk (upload, input frame, and RUN_OUTPUT via RUN.out_chunk) gets the size (128..chunkMax) that maximises the expected goodput at the byte error rate seen so far on the channel: (retransmissions + corrupt frames received) / wire bytes both ways",
  },
  {
    name: "baud switch fallback",
    failure: "the SET_BAUD reply or the switch itself was lost, leaving the two ends at different rates",
    rule: `after OK the host waits hostBaudSwitchDelayMs (${TIMING.hostBaudSwitchDelayMs} ms, longer than the device's deviceActionDelayMs), switches and opens a new session; if that fails it returns to the old rate and opens there, then reports the failure. The device returns to the old rate by itself when no session is opened at the new one within deviceBaudRevertMs (${TIMING.deviceBaudRevertMs} ms)`,
  },
];

// ---------------------------------------------------------------------------------------------------

/** Retransmission timeout before any RTT sample: the base plus the time a full window needs on the line. */
export function initialRtoMs(window: number, bytesPerSecond?: number): number {
  const drain = bytesPerSecond ? ((window * DERIVED.wireMax) / bytesPerSecond) * 1000 : 0;
  return Math.min(TIMING.rtoMaxMs, TIMING.rtoInitialMs + 2 * drain);
}

/**
 * Wall-clock seconds per second of line time: 1 for a real UART; more for a simulated device that runs
 * slower than real time (its link reports a wall-clock `bytesPerSecond` below `baud / 10`). The device
 * answers in its own time, so the host's timer bounds stretch by this factor.
 */
export function lineTimeScale(link: { readonly baud?: number; readonly bytesPerSecond?: number }): number {
  return link.baud && link.bytesPerSecond ? Math.max(1, link.baud / 10 / link.bytesPerSecond) : 1;
}

/** RFC 6298 smoothed RTT with Karn's back-off. */
export class RttEstimator {
  private srtt: number | undefined;
  private rttvar = 0;
  private backoff = 1;

  /** `scale`: lineTimeScale() of the link, read at each use; stretches the fixed bounds (rtoMinMs, G, rtoMaxMs). */
  constructor(
    private readonly initialMs: number,
    private readonly scale: () => number = () => 1,
  ) {}

  sample(ms: number): void {
    if (this.srtt === undefined) {
      this.srtt = ms;
      this.rttvar = ms / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
      this.srtt = 0.875 * this.srtt + 0.125 * ms;
    }
    this.backoff = 1;
  }

  /** After a timeout: double the RTO until the next fresh sample. */
  timedOut(): void {
    this.backoff = Math.min(this.backoff * 2, 64);
  }

  get smoothedMs(): number | undefined {
    return this.srtt;
  }

  get rtoMs(): number {
    const k = this.scale();
    const base =
      this.srtt === undefined
        ? this.initialMs
        : this.srtt + Math.max(TIMING.rtoGranularityMs * k, 4 * this.rttvar);
    return Math.min(TIMING.rtoMaxMs * k, Math.max(TIMING.rtoMinMs * k, base) * this.backoff);
  }
}

/**
 * A NAK for a frame (re)sent less than this long ago may describe an older copy: the channel then
 * retransmits at sentAt + 3 × this unless the frame is acknowledged first.
 */
export function nakHoldoffMs(srttMs: number | undefined): number {
  return (srttMs ?? 0) / 2;
}

/** How long to wait for the reply to `op` once it was acknowledged. */
export function replyTimeoutMs(op: RequestName, work: { bytes?: number } = {}): number {
  switch (op) {
    case "LOAD_END":
      return TIMING.replyBaseMs + ((work.bytes ?? 0) / TIMING.deviceVerifyBytesPerSec) * 1000;
    case "RUN":
      return TIMING.replyBaseMs + TIMING.runComputeMs;
    default:
      return TIMING.replyBaseMs;
  }
}

/** Wire bytes around a chunk's data: frame header and CRC, body keys, COBS codes and the delimiter. */
export function chunkOverhead(chunk: number): number {
  const body = 1 + 1 + 5 + 1 + (chunk < 256 ? 2 : 3);
  const raw = DERIVED.frameMin + body + chunk;
  return raw + Math.max(1, Math.ceil(raw / 254)) + 1 - chunk;
}

/** Expected goodput fraction of a chunk size at a byte error rate (selective repeat: losses cost one frame). */
export function chunkGoodput(chunk: number, byteErrorRate: number): number {
  const wire = chunk + chunkOverhead(chunk);
  return (chunk / wire) * (1 - byteErrorRate) ** wire;
}

const CHUNK_CHOICES = [128, 256, 512, 1024] as const;

/** Picks the chunk size from the errors observed so far. */
export class ChunkSizer {
  constructor(
    private readonly max: number = LIMITS.chunkMax,
    private readonly fixed?: number,
  ) {}

  /**
   * `errors` frames were lost or corrupt among `bytes` wire bytes, both directions: the byte error
   * rate is at least errors / bytes (a lost frame holds one error or more).
   */
  size(errors: number, bytes: number): number {
    if (this.fixed) return Math.min(this.fixed, this.max);
    const e = errors / Math.max(bytes, 4096); // little evidence yet: a first error still counts, damped
    let best: number = CHUNK_CHOICES[0];
    for (const c of CHUNK_CHOICES) if (c <= this.max && chunkGoodput(c, e) > chunkGoodput(best, e)) best = c;
    return Math.min(best, this.max);
  }
}
