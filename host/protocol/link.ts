/**
 * Byte transports under the protocol. Everything above `Link` is transport-blind: the serial port,
 * the Verilator pty, a child process's pipes and the in-memory LoopbackLink all look the same.
 */

import { performance } from "node:perf_hooks";
import type { Readable, Writable } from "node:stream";
import { prng } from "../../compiler/prng.js";
import { LinkClosedError } from "./errors.js";

export interface Link {
  /** Resolves when the bytes have been handed to the line (written out, not necessarily received). */
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribes to received bytes; returns the unsubscribe function. */
  onData(cb: (bytes: Uint8Array) => void): () => void;
  close(): Promise<void>;
  /**
   * Bytes/s the line moves in wall-clock time when known (a UART with 8N1 framing: baud / 10; a
   * simulated device slower than real time: less). Retransmission timers allow for it.
   */
  readonly bytesPerSecond?: number;
  /** Nominal line rate in bit/s when the transport has one. */
  readonly baud?: number;
  /** Changes the local line rate (SET_BAUD). Absent when the transport has no rate. */
  setBaud?(baud: number): Promise<void>;
}

/** Connects two links both ways (e.g. a LoopbackLink end to a child process). Returns the disconnect. */
export function bridge(a: Link, b: Link): () => void {
  const ignore = () => {};
  const offA = a.onData((bytes) => void b.write(bytes).catch(ignore));
  const offB = b.onData((bytes) => void a.write(bytes).catch(ignore));
  return () => {
    offA();
    offB();
  };
}

/** Seeded generator so fault patterns repeat exactly (the project's one PRNG). */
export const seededRandom = prng;

/** Per-byte fault probabilities of one direction. */
export interface FaultOptions {
  drop?: number;
  flip?: number;
  duplicate?: number;
  seed?: number;
  /** Lose everything (a cable pulled out). */
  cut?: boolean;
}

export interface LineOptions {
  faults?: FaultOptions;
  /** One-way latency added to every write (ms). */
  latencyMs?: number;
  /** Line rate in bit/s with 10 bits per byte (8N1); undefined: unlimited. */
  baud?: number;
  /**
   * Transmit buffer in bytes (an OS serial driver's): write() resolves once its bytes fit in it, so
   * the writer can stay ahead of the line. Default 4096.
   */
  txBuffer?: number;
}

export interface LineStats {
  written: number;
  delivered: number;
  dropped: number;
  flipped: number;
  duplicated: number;
  /** Bytes received while the two ends disagreed on the baud rate. */
  garbled: number;
}

/** Runs callbacks at non-decreasing times, in order, with one timer. */
class TimedQueue {
  private readonly items: { at: number; run: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  push(at: number, run: () => void): void {
    this.items.push({ at, run });
    this.arm();
  }

  clear(): void {
    this.items.length = 0;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
  }

  private arm(): void {
    if (this.timer || this.immediate || this.items.length === 0) return;
    const wait = this.items[0]!.at - performance.now();
    const fire = () => {
      this.timer = this.immediate = undefined;
      const now = performance.now() + 0.25;
      while (this.items.length && this.items[0]!.at <= now) this.items.shift()!.run();
      this.arm();
    };
    if (wait > 0.5) this.timer = setTimeout(fire, wait);
    else this.immediate = setImmediate(fire);
  }
}

/**
 * An in-memory line between two ends with, per direction, seeded byte faults (drop, flip, duplicate),
 * latency and a rate limit. Ends with different baud rates receive garbage, as real UARTs do.
 */
export class LoopbackLink implements Link {
  readonly stats: LineStats = { written: 0, delivered: 0, dropped: 0, flipped: 0, duplicated: 0, garbled: 0 };
  private peer!: LoopbackLink;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private readonly deliveries = new TimedQueue();
  private readonly completions = new TimedQueue();
  private random: () => number;
  private lineFreeAt = 0;
  private closed = false;

  private constructor(private line: LineOptions) {
    this.random = seededRandom(line.faults?.seed ?? 1);
  }

  /** Two connected ends; `bToA` defaults to the same settings (with its own random stream). */
  static pair(aToB: LineOptions = {}, bToA?: LineOptions): [LoopbackLink, LoopbackLink] {
    const back = bToA ?? {
      ...aToB,
      faults: aToB.faults && { ...aToB.faults, seed: (aToB.faults.seed ?? 1) + 1 },
    };
    const a = new LoopbackLink(aToB);
    const b = new LoopbackLink(back);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  get bytesPerSecond(): number | undefined {
    return this.line.baud ? this.line.baud / 10 : undefined;
  }

  get baud(): number | undefined {
    return this.line.baud;
  }

  /** Changes the faults of this end's outgoing direction (a new seed restarts the random stream). */
  setFaults(faults: FaultOptions): void {
    this.line = { ...this.line, faults };
    if (faults.seed !== undefined) this.random = seededRandom(faults.seed);
  }

  async setBaud(baud: number): Promise<void> {
    this.line = { ...this.line, baud };
  }

  /** Delivers raw bytes to this end's listeners, as if they had arrived on the line. */
  inject(bytes: Uint8Array): void {
    for (const cb of this.listeners) cb(bytes);
  }

  onData(cb: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosedError("loopback link closed"));
    this.stats.written += bytes.length;
    const out = this.corrupt(bytes);
    const now = performance.now();
    const rate = this.bytesPerSecond;
    const start = Math.max(now, this.lineFreeAt);
    const end = rate ? start + (bytes.length / rate) * 1000 : now;
    this.lineFreeAt = end;
    const accepted = rate ? Math.max(now, end - ((this.line.txBuffer ?? 4096) / rate) * 1000) : now;
    const peer = this.peer;
    if (out.length) {
      this.deliveries.push(end + (this.line.latencyMs ?? 0), () => {
        if (peer.closed) return;
        this.stats.delivered += out.length;
        for (const cb of peer.listeners) cb(out);
      });
    }
    return new Promise((resolve) => this.completions.push(accepted, resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deliveries.clear();
    this.completions.clear();
    this.listeners.clear();
  }

  private corrupt(bytes: Uint8Array): Uint8Array {
    const f = this.line.faults ?? {};
    const mismatch = this.line.baud !== this.peer.line.baud;
    if (f.cut) {
      this.stats.dropped += bytes.length;
      return new Uint8Array(0);
    }
    const drop = f.drop ?? 0;
    const flip = f.flip ?? 0;
    const dup = f.duplicate ?? 0;
    if (!mismatch && drop + flip + dup === 0) return bytes.slice();
    const out: number[] = [];
    for (const b of bytes) {
      if (mismatch) {
        this.stats.garbled++;
        if (this.random() < 0.5) out.push(Math.floor(this.random() * 256));
        continue;
      }
      const r = this.random();
      if (r < drop) this.stats.dropped++;
      else if (r < drop + flip) {
        this.stats.flipped++;
        out.push(b ^ (1 + Math.floor(this.random() * 255)));
      } else if (r < drop + flip + dup) {
        this.stats.duplicated++;
        out.push(b, b);
      } else out.push(b);
    }
    return Uint8Array.from(out);
  }
}

/** A Link over a readable and a writable stream: a child process's stdout/stdin, a SerialPort, a socket. */
export class StreamLink implements Link {
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    readonly bytesPerSecond?: number,
  ) {}

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.output.destroyed) return Promise.reject(new LinkClosedError("stream closed"));
    return new Promise((resolve, reject) => {
      this.output.write(bytes, (err) => (err ? reject(new LinkClosedError(err.message)) : resolve()));
    });
  }

  onData(cb: (bytes: Uint8Array) => void): () => void {
    const handler = (chunk: Buffer) => cb(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    this.input.on("data", handler);
    return () => this.input.off("data", handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.output.end(resolve));
  }
}
