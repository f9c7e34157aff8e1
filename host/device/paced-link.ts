/**
 * A Link whose write() resolves when the bytes have left the line, not when the OS took them.
 *
 * Failure it handles: a serial port (or the sim's pty) accepts a whole window of frames at once and
 * write() returns at once, so the protocol's per-frame timer starts while most of those bytes still wait
 * in OS and UART buffers. Its RTT estimate, learnt on short replies, is then far below the time a 1 KiB
 * chunk spends queued and every chunk is retransmitted (seen at 115200 baud: RTO 42 ms vs ~90 ms per
 * chunk on the wire). Pacing writes at the line rate makes the timer start when the frame is on the wire.
 */
import type { Link } from "../protocol/index.js";

export class PacedLink implements Link {
  private lineFreeAt = 0;

  constructor(
    private readonly inner: Link,
    /** Bytes per second the line really moves (8N1: baud / 10; slower for the sim). */
    readonly bytesPerSecond: number,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    await this.inner.write(bytes);
    const now = performance.now();
    this.lineFreeAt = Math.max(now, this.lineFreeAt) + (bytes.length / this.bytesPerSecond) * 1000;
    const wait = this.lineFreeAt - now;
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  }

  onData(cb: (bytes: Uint8Array) => void): () => void {
    return this.inner.onData(cb);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
