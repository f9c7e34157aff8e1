/**
 * A serial port (a board's UART bridge or the sim's pty) as a protocol Link with a settable line rate.
 *
 * write() resolves once the OS took the bytes, long before they leave a slow line; the protocol channel
 * allows for that itself from `bytesPerSecond` (policy: retransmission timeout), so writes are not
 * paced here. `setBaud` changes the port's rate (SET_BAUD): on a pty the rate is only a setting, the sim
 * moves bytes at the divisor its firmware programmed.
 */
import type { SerialPort } from "serialport";
import { type Link, StreamLink } from "../protocol/index.js";

export class SerialLink implements Link {
  private readonly stream: StreamLink;
  private rate: number;

  constructor(
    private readonly port: SerialPort,
    baud: number,
    /** Line seconds per wall-clock second, read at each use: 1 on a board, less for a slow simulation. */
    private readonly speed: () => number = () => 1,
  ) {
    this.stream = new StreamLink(port, port);
    this.rate = baud;
  }

  get baud(): number {
    return this.rate;
  }

  get bytesPerSecond(): number {
    return (this.rate / 10) * this.speed();
  }

  async setBaud(baud: number): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.port.update({ baudRate: baud }, (err) => (err ? reject(err) : resolve())),
    );
    this.rate = baud;
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.stream.write(bytes);
  }

  onData(cb: (bytes: Uint8Array) => void): () => void {
    return this.stream.onData(cb);
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}
