/**
 * FramedChannel: reliable, ordered message frames over a Link.
 *
 * - Framing: frame.ts (COBS + CRC-32); a corrupt frame is dropped and answered with a NAK.
 * - Sequencing: each direction numbers its message frames mod 2^16 from 0 after SYNC.
 * - Window: up to `window` frames in flight (capped by the peer's advertised receive window). The
 *   receiver buffers out-of-order frames inside its window (selective repeat), acknowledges
 *   cumulatively with a SACK bitmap, and NAKs a missing sequence number once.
 * - Retransmission: per-frame timeout and fast retransmit on NAK, bounded by the retry budget
 *   (policy.ts has every rule). A frame's send() promise resolves when it is acknowledged.
 *
 * The host opens sessions (role "host"); role "device" answers SYNC, for tests of two TS ends.
 */
import { performance } from "node:perf_hooks";
import { assertSameVersion, LinkClosedError, ProtocolError, TimeoutError } from "./errors.js";
import { encodeFrame, type Frame, FrameParser, packLayout, unpackLayout } from "./frame.js";
import type { Link } from "./link.js";
import { initialRtoMs, lineTimeScale, nakHoldoffMs, RttEstimator } from "./policy.js";
import { FIRST_MESSAGE_TYPE, FLAGS, FRAME, LIMITS, LINK_FRAMES, PROTOCOL_VERSION, TIMING } from "./spec.js";

export interface ChannelOptions {
  /** Frames in flight towards the peer (capped by its receive window). Default: the peer's window. */
  window?: number;
  /** Receive window advertised to the peer. */
  rxWindow?: number;
  /** Protocol version this end speaks (tests use another to provoke a mismatch). */
  version?: number;
  role?: "host" | "device";
  /** Timeouts of one frame before the channel fails (default TIMING.maxRetries). */
  maxRetries?: number;
  /** Receives one line per retransmission and session event, for diagnosing a link. */
  trace?: (line: string) => void;
}

/** What the other end advertised in SYNC / SYNC_ACK. */
export interface PeerInfo {
  version: number;
  window: number;
  maxPayload: number;
}

export interface ChannelStats {
  framesSent: number;
  /** Bytes written to the link, all frame kinds. */
  wireBytesSent: number;
  /** Payload bytes of message frames, counted once however often they were sent. */
  payloadBytesSent: number;
  retransmits: number;
  timeouts: number;
  naksSent: number;
  naksReceived: number;
  framesReceived: number;
  wireBytesReceived: number;
  badFrames: number;
  duplicates: number;
  outOfOrder: number;
  syncs: number;
}

export type MessageHandler = (type: number, payload: Uint8Array) => void;

interface Outgoing {
  seq: number;
  type: number;
  payload: Uint8Array;
  state: "waiting" | "queued" | "sending" | "sent" | "sacked";
  sentAt: number;
  /**
   * Line time (ms) of the bytes written ahead of the latest transmission and of the frame itself: the
   * write returned when the OS took them, the wire needs this much longer (policy: retransmission timeout).
   */
  lineMs: number;
  /** Encoded size of the latest transmission. */
  wireBytes: number;
  /** Position of the latest transmission in the send order (loss inference, see onAck). */
  order: number;
  retries: number;
  /** Timeouts with nothing heard from the peer since the frame was sent. */
  timeouts: number;
  /** A NAK inside the hold-off: retransmit at this time unless acknowledged first. */
  nakDeadline?: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

type State = "idle" | "opening" | "open" | "failed" | "closed";

const SEQ_MASK = 0xffff;
const seqDiff = (a: number, b: number) => (a - b) & SEQ_MASK;

export class FramedChannel {
  readonly stats: ChannelStats = {
    framesSent: 0,
    wireBytesSent: 0,
    payloadBytesSent: 0,
    retransmits: 0,
    timeouts: 0,
    naksSent: 0,
    naksReceived: 0,
    framesReceived: 0,
    wireBytesReceived: 0,
    badFrames: 0,
    duplicates: 0,
    outOfOrder: 0,
    syncs: 0,
  };
  private state: State = "idle";
  private failure: Error | undefined;
  private readonly parser = new FrameParser();
  private readonly handlers = new Set<MessageHandler>();
  private readonly failureHandlers = new Set<(e: Error) => void>();
  private readonly version: number;
  private readonly rxWindow: number;
  private readonly maxRetries: number;
  private peer: PeerInfo = { version: 0, window: 1, maxPayload: LIMITS.maxPayload };
  private nonce = 0;
  private syncWaiter: ((p: PeerInfo) => void) | undefined;

  // transmit
  private txBase = 0;
  private txNext = 0;
  private readonly inflight = new Map<number, Outgoing>();
  private readonly backlog: Outgoing[] = [];
  private readonly control: Uint8Array[] = [];
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private pumping = false;
  private sendOrder = 0;
  /** When the last valid frame arrived (silence detection for the retry budget). */
  private heardAt = 0;
  /** When the bytes written so far will have left the line, at the link's rate (0: no rate known). */
  private lineFreeAt = 0;
  private rtt: RttEstimator;
  private timer: NodeJS.Timeout | undefined;

  // receive
  private rxExpect = 0;
  private readonly rxBuffer = new Map<number, Frame>();
  private nakDone = false;
  private ackNeeded = false;
  private nakNeeded = false;

  private readonly unsubscribe: () => void;

  constructor(
    private readonly link: Link,
    private readonly options: ChannelOptions = {},
  ) {
    this.version = options.version ?? PROTOCOL_VERSION;
    this.rxWindow = Math.min(options.rxWindow ?? LIMITS.hostRxWindow, LIMITS.maxWindow);
    this.maxRetries = options.maxRetries ?? TIMING.maxRetries;
    this.rtt = new RttEstimator(initialRtoMs(options.window ?? LIMITS.maxWindow, link.bytesPerSecond), () =>
      lineTimeScale(link),
    );
    this.unsubscribe = link.onData((bytes) => this.receive(bytes));
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  get peerInfo(): PeerInfo {
    return { ...this.peer };
  }

  /** Effective number of frames in flight. */
  get window(): number {
    return Math.max(1, Math.min(this.options.window ?? this.peer.window, this.peer.window, LIMITS.maxWindow));
  }

  get rto(): number {
    return this.rtt.rtoMs;
  }

  onMessage(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Called when the channel fails (retry budget, link error) or is closed. */
  onFailure(handler: (e: Error) => void): () => void {
    this.failureHandlers.add(handler);
    return () => this.failureHandlers.delete(handler);
  }

  /**
   * Opens a session (role "host"): flush, SYNC with retries, version check. Any earlier session's
   * pending frames are rejected with LinkClosedError.
   */
  async open(): Promise<PeerInfo> {
    if (this.state === "closed") throw new LinkClosedError("channel closed");
    if (this.options.role === "device") throw new ProtocolError("a device-role channel waits for SYNC");
    this.resetSession(new LinkClosedError("session re-opened"));
    this.state = "opening";
    this.failure = undefined;
    this.nonce = (Math.random() * 0x100000000) >>> 0;
    const sync = this.syncPayload(this.nonce);
    // In line time: a simulated device slower than real time answers (and reverts a rate) later.
    const syncMs = TIMING.syncTimeoutMs * lineTimeScale(this.link);
    const got = new Promise<PeerInfo>((resolve) => {
      this.syncWaiter = resolve;
    });
    for (let attempt = 1; attempt <= TIMING.syncAttempts; attempt++) {
      this.stats.syncs++;
      // A delimiter first: the device drops whatever partial frame it holds (flush before SYNC).
      this.sendControl(LINK_FRAMES.SYNC.type, 0, sync, true);
      let timer: NodeJS.Timeout | undefined;
      const peer = await Promise.race([
        got,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), syncMs);
        }),
      ]);
      clearTimeout(timer);
      if (this.state !== "opening") throw this.failure ?? new LinkClosedError("channel closed while opening");
      if (!peer) continue;
      this.syncWaiter = undefined;
      try {
        assertSameVersion(this.version, peer.version);
      } catch (e) {
        this.state = "failed";
        this.failure = e as Error;
        throw e;
      }
      this.peer = peer;
      this.rtt = new RttEstimator(initialRtoMs(this.window, this.link.bytesPerSecond), () =>
        lineTimeScale(this.link),
      );
      this.state = "open";
      return this.peerInfo;
    }
    this.syncWaiter = undefined;
    this.state = "failed";
    this.failure = new TimeoutError("SYNC (no SYNC_ACK from the device)", syncMs * TIMING.syncAttempts);
    throw this.failure;
  }

  /** Queues a message frame; resolves when the peer acknowledges it. */
  send(type: number, payload: Uint8Array): Promise<void> {
    if (type < FIRST_MESSAGE_TYPE || type > 0xff)
      return Promise.reject(new ProtocolError(`not a message type: ${type}`));
    if (payload.length > this.peer.maxPayload)
      return Promise.reject(
        new ProtocolError(`payload of ${payload.length} bytes exceeds ${this.peer.maxPayload}`),
      );
    if (this.state !== "open") return Promise.reject(this.failure ?? new ProtocolError("channel not open"));
    return new Promise<void>((resolve, reject) => {
      this.backlog.push({
        seq: -1,
        type,
        payload,
        state: "waiting",
        sentAt: 0,
        lineMs: 0,
        wireBytes: 0,
        order: 0,
        retries: 0,
        timeouts: 0,
        resolve,
        reject,
      });
      this.stats.payloadBytesSent += payload.length;
      this.admit();
      this.kick();
    });
  }

  /** Resolves when another frame fits in the window (so producers can pace themselves). */
  ready(): Promise<void> {
    if (this.state !== "open") return Promise.reject(this.failure ?? new ProtocolError("channel not open"));
    if (this.inflight.size + this.backlog.length < this.window) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Detaches from the link (which stays open) and rejects everything pending. */
  close(): void {
    if (this.state === "closed") return;
    const reason = new LinkClosedError("channel closed");
    this.resetSession(reason);
    this.state = "closed";
    this.unsubscribe();
    for (const h of this.failureHandlers) h(reason);
  }

  // ---- transmit ---------------------------------------------------------------------------------

  /** Moves frames from the backlog into the window, giving them sequence numbers. */
  private admit(): void {
    while (this.backlog.length && seqDiff(this.txNext, this.txBase) < this.window) {
      const o = this.backlog.shift()!;
      o.seq = this.txNext;
      o.state = "queued";
      this.inflight.set(o.seq, o);
      this.txNext = (this.txNext + 1) & SEQ_MASK;
    }
    while (this.readyWaiters.length && this.inflight.size + this.backlog.length < this.window)
      this.readyWaiters.shift()!.resolve();
  }

  private sendControl(type: number, seq: number, payload: Uint8Array, leadingDelimiter = false): void {
    const frame = encodeFrame({ type, flags: 0, seq, payload });
    if (!leadingDelimiter) this.control.push(frame);
    else {
      const bytes = new Uint8Array(frame.length + 1);
      bytes[0] = FRAME.delimiter;
      bytes.set(frame, 1);
      this.control.push(bytes);
    }
    this.kick();
  }

  /** The next bytes for the wire: SYNC frames, ACK/NAK, then retransmissions and new frames oldest first. */
  private nextWire(): { bytes: Uint8Array; frame?: Outgoing } | undefined {
    const ctrl = this.control.shift();
    if (ctrl) return { bytes: ctrl };
    if (this.state !== "open") return undefined;
    const ack = this.ackFrame();
    if (ack) return { bytes: ack };
    for (
      let i = 0, seq = this.txBase;
      i < seqDiff(this.txNext, this.txBase);
      i++, seq = (seq + 1) & SEQ_MASK
    ) {
      const o = this.inflight.get(seq);
      if (o?.state !== "queued") continue;
      o.state = "sending";
      const flags = o.retries ? FLAGS.RETX.bit : 0;
      if (o.retries) this.stats.retransmits++;
      return { bytes: encodeFrame({ type: o.type, flags, seq: o.seq, payload: o.payload }), frame: o };
    }
    return undefined;
  }

  private kick(): void {
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (let next = this.nextWire(); next; next = this.nextWire()) {
        this.stats.framesSent++;
        this.stats.wireBytesSent += next.bytes.length;
        await this.link.write(next.bytes);
        const lineMs = this.queueOnLine(next.bytes.length);
        const o = next.frame;
        if (o?.state === "sending") {
          o.state = "sent";
          o.sentAt = performance.now();
          o.lineMs = lineMs;
          o.wireBytes = next.bytes.length;
          o.order = ++this.sendOrder;
          this.arm();
        }
      }
    } catch (e) {
      this.fail(
        e instanceof ProtocolError ? e : new LinkClosedError(`link write failed: ${(e as Error).message}`),
      );
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Books `bytes` just written on the modelled line and returns how long (ms) until they will have left
   * it. The model never holds more than the unacknowledged bytes, since acknowledged ones have arrived:
   * a rate set too low cannot make the backlog grow without bound.
   */
  private queueOnLine(bytes: number): number {
    const rate = this.link.bytesPerSecond;
    if (!rate) return 0;
    const now = performance.now();
    let unacked = bytes;
    for (const o of this.inflight.values()) if (o.state === "sent") unacked += o.wireBytes;
    const free = Math.max(now, this.lineFreeAt) + (bytes / rate) * 1000;
    this.lineFreeAt = Math.min(free, now + (unacked / rate) * 1000);
    return this.lineFreeAt - now;
  }

  /** Arms the retransmission timer for the earliest deadline among sent frames. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    let earliest = Number.POSITIVE_INFINITY;
    for (const o of this.inflight.values())
      if (o.state === "sent")
        earliest = Math.min(earliest, o.sentAt + o.lineMs + this.rtt.rtoMs, o.nakDeadline ?? earliest);
    if (earliest === Number.POSITIVE_INFINITY) return;
    const wait = Math.max(0, earliest - performance.now());
    this.timer = setTimeout(() => this.onTimer(), wait);
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.state !== "open") return;
    const now = performance.now();
    const rto = this.rtt.rtoMs;
    let queued = false;
    let timedOut = false;
    for (const o of this.inflight.values()) {
      if (o.state !== "sent") continue;
      const why =
        o.nakDeadline !== undefined && now >= o.nakDeadline
          ? "nak"
          : now - o.sentAt - o.lineMs >= rto
            ? "timeout"
            : undefined;
      if (!why) continue;
      if (this.retransmit(o, why)) return;
      queued = true;
      timedOut ||= why === "timeout";
    }
    if (timedOut) {
      this.rtt.timedOut();
      this.stats.timeouts++;
    }
    if (queued) this.kick();
    this.arm();
  }

  /** Schedules a retransmission. Returns true if the retry budget ran out and the channel failed. */
  private retransmit(o: Outgoing, why: "timeout" | "nak"): boolean {
    o.retries++;
    if (why === "timeout" && this.heardAt < o.sentAt) o.timeouts++; // silence since it was sent
    this.options.trace?.(
      `retransmit seq=${o.seq} why=${why} retries=${o.retries} silent-timeouts=${o.timeouts} age=${(performance.now() - o.sentAt).toFixed(1)}ms rto=${this.rtt.rtoMs.toFixed(1)}ms`,
    );
    if (o.timeouts > this.maxRetries || o.retries > TIMING.maxRetransmits) {
      const detail = `${o.timeouts} timeouts, ${o.retries - 1} retransmissions`;
      this.fail(
        new TimeoutError(
          `frame ${o.seq} (type 0x${o.type.toString(16)}) unacknowledged`,
          this.rtt.rtoMs,
          detail,
        ),
      );
      return true;
    }
    o.state = "queued";
    o.nakDeadline = undefined;
    return false;
  }

  private onAck(cum: number, sack: number, nak: boolean): void {
    if (nak) this.stats.naksReceived++;
    const advance = seqDiff(cum, this.txBase);
    if (advance > seqDiff(this.txNext, this.txBase)) return; // stale, or from another session
    const now = performance.now();
    const newest = advance ? this.inflight.get((cum - 1) & SEQ_MASK) : undefined;
    if (newest && newest.retries === 0 && newest.state === "sent")
      this.rtt.sample(Math.max(0, now - newest.sentAt - newest.lineMs));
    // Latest send order known to have arrived; only frames sent once are evidence (which copy of a
    // retransmitted frame arrived is unknown).
    let delivered = 0;
    for (let i = 0; i < advance; i++) {
      const o = this.inflight.get(this.txBase)!;
      if (o.state === "sent" && o.retries === 0) delivered = Math.max(delivered, o.order);
      this.inflight.delete(this.txBase);
      this.txBase = (this.txBase + 1) & SEQ_MASK;
      o.resolve();
    }
    for (let i = 0; i < 32; i++) {
      if (!((sack >>> i) & 1)) continue;
      const o = this.inflight.get((cum + 1 + i) & SEQ_MASK);
      if (o?.state !== "sent") continue;
      o.state = "sacked";
      if (o.retries === 0) delivered = Math.max(delivered, o.order);
    }
    // A serial line does not reorder: a frame sent before one that arrived was lost (policy: loss inference).
    for (const o of this.inflight.values())
      if (o.state === "sent" && o.order < delivered && this.retransmit(o, "nak")) return;
    if (nak) {
      const o = this.inflight.get(cum);
      if (o?.state === "sent") {
        const holdoff = nakHoldoffMs(this.rtt.smoothedMs);
        if (now - o.sentAt >= holdoff) {
          if (this.retransmit(o, "nak")) return;
        } else o.nakDeadline = o.sentAt + 3 * holdoff;
      }
    }
    this.admit();
    this.kick();
    this.arm();
  }

  // ---- receive ----------------------------------------------------------------------------------

  private receive(bytes: Uint8Array): void {
    if (this.state === "closed") return;
    this.stats.wireBytesReceived += bytes.length;
    for (const ev of this.parser.push(bytes)) {
      if (ev.error) {
        // It may have been a retransmission of the frame already NAKed: NAK again.
        this.stats.badFrames++;
        this.nakDone = false;
        this.wantNak();
      } else this.onFrame(ev.frame);
    }
    if (this.ackNeeded || this.nakNeeded) this.kick();
  }

  /**
   * One ACK or NAK for everything received so far, built when it reaches the wire so that it carries
   * the latest state: many frames arriving while the line is busy cost one ACK.
   */
  private ackFrame(): Uint8Array | undefined {
    if (!this.ackNeeded && !this.nakNeeded) return undefined;
    let sack = 0;
    for (const seq of this.rxBuffer.keys()) {
      const ahead = seqDiff(seq, this.rxExpect);
      if (ahead >= 1 && ahead <= 32) sack |= 1 << (ahead - 1);
    }
    const payload = packLayout(LINK_FRAMES.ACK.payload, { sack });
    const type = this.nakNeeded ? LINK_FRAMES.NAK.type : LINK_FRAMES.ACK.type;
    if (this.nakNeeded) {
      this.stats.naksSent++;
      this.nakDone = true;
    }
    this.ackNeeded = this.nakNeeded = false;
    return encodeFrame({ type, flags: 0, seq: this.rxExpect, payload });
  }

  private wantNak(): void {
    if (!this.nakDone) this.nakNeeded = true;
  }

  private onFrame(f: Frame): void {
    this.stats.framesReceived++;
    this.heardAt = performance.now();
    if (f.type < FIRST_MESSAGE_TYPE) {
      this.onControl(f);
      return;
    }
    if (this.state !== "open") return; // a previous session's frame
    this.ackNeeded = true;
    const ahead = seqDiff(f.seq, this.rxExpect);
    if (ahead >= 0x8000 || this.rxBuffer.has(f.seq)) {
      this.stats.duplicates++;
      return;
    }
    if (ahead >= this.rxWindow) return;
    this.rxBuffer.set(f.seq, f);
    if (ahead) {
      this.stats.outOfOrder++;
      this.wantNak();
      return;
    }
    for (let next = this.rxBuffer.get(this.rxExpect); next; next = this.rxBuffer.get(this.rxExpect)) {
      this.rxBuffer.delete(this.rxExpect);
      this.rxExpect = (this.rxExpect + 1) & SEQ_MASK;
      this.nakDone = false;
      for (const h of this.handlers) h(next.type, next.payload);
      if (this.state !== "open") return;
    }
  }

  private onControl(f: Frame): void {
    if (f.type === LINK_FRAMES.ACK.type || f.type === LINK_FRAMES.NAK.type) {
      const ack = unpackLayout(LINK_FRAMES.ACK.payload, f.payload);
      if (ack && this.state === "open") this.onAck(f.seq, ack.sack, f.type === LINK_FRAMES.NAK.type);
      return;
    }
    const sync = unpackLayout(LINK_FRAMES.SYNC.payload, f.payload);
    if (!sync) return;
    const peer: PeerInfo = {
      version: sync.version,
      window: Math.max(1, Math.min(sync.window, LIMITS.maxWindow)),
      maxPayload: sync.max_payload,
    };
    if (f.type === LINK_FRAMES.SYNC_ACK.type && this.state === "opening" && sync.nonce === this.nonce)
      this.syncWaiter?.(peer);
    if (f.type === LINK_FRAMES.SYNC.type && this.options.role === "device") {
      if (this.state !== "open" || sync.nonce !== this.nonce) {
        this.resetSession(new LinkClosedError("peer opened a new session"));
        this.nonce = sync.nonce;
        this.peer = peer;
        this.state = "open";
      }
      this.sendControl(LINK_FRAMES.SYNC_ACK.type, 0, this.syncPayload(sync.nonce));
    }
  }

  private syncPayload(nonce: number): Uint8Array {
    return packLayout(LINK_FRAMES.SYNC.payload, {
      version: this.version,
      nonce,
      window: this.rxWindow,
      max_payload: LIMITS.maxPayload,
    });
  }

  // ---- failure ----------------------------------------------------------------------------------

  /** Forgets the session: sequence numbers, buffers and the parser's partial frame (flush before SYNC). */
  private resetSession(reason: Error): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = [...this.inflight.values(), ...this.backlog];
    this.inflight.clear();
    this.backlog.length = 0;
    this.control.length = 0;
    for (const o of pending) o.reject(reason);
    for (const w of this.readyWaiters.splice(0)) w.reject(reason);
    this.rxBuffer.clear();
    this.parser.reset();
    this.txBase = this.txNext = this.rxExpect = 0;
    this.lineFreeAt = 0;
    this.nakDone = this.ackNeeded = this.nakNeeded = false;
  }

  private fail(e: Error): void {
    if (this.state === "failed" || this.state === "closed") return;
    this.state = "failed";
    this.failure = e;
    this.resetSession(e);
    for (const h of this.failureHandlers) h(e);
  }
}
