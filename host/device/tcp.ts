/**
 * The simulated SoC's UART over TCP: `quart sim --tcp <port>` bridges one TCP connection at a time to
 * its pty (for hosts that cannot open the pty: another machine, a container), and `--tcp <host:port>`
 * in the device commands connects to such a bridge.
 *
 * The bridge holds the pty open for the connection, at the rate the device's UART runs (it follows
 * SET_BAUD), so the client's own rate is only bookkeeping. The client cannot measure how much slower
 * than real time the simulation runs, so its protocol timers assume the slowest rate sim.ts plans for.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { SerialPort } from "serialport";
import { type Link, StreamLink } from "../protocol/index.js";
import { type Device, DeviceOpenError } from "./device.js";

export interface TcpBridge {
  /** The port listened on (the one asked for, or the system's choice for 0). */
  readonly port: number;
  /** The device's UART moved to another rate: the pty side follows. */
  setBaud(baud: number): Promise<void>;
  close(): Promise<void>;
}

export interface TcpBridgeOptions {
  port: number;
  host?: string;
  pty: string;
  /** The device's UART rate now. */
  baud: () => number;
  /** A connection was bridged / ended (quart sim runs the simulator's clock in between). */
  onAttach?: () => void;
  onDetach?: () => void;
  log?: (line: string) => void;
}

export async function startTcpBridge(opts: TcpBridgeOptions): Promise<TcpBridge> {
  let current: { socket: Socket; port: SerialPort } | undefined;
  const server: Server = createServer((socket) => {
    if (current) {
      opts.log?.(`tcp: refused ${socket.remoteAddress}: a client is connected already`);
      socket.destroy();
      return;
    }
    const port = new SerialPort({ path: opts.pty, baudRate: opts.baud(), autoOpen: false });
    const conn = { socket, port };
    current = conn;
    let ended = false;
    // Only a bridged connection runs and then pauses the clock: one that could not open the pty (a local
    // command has it) leaves it to that command.
    let attached = false;
    const end = () => {
      if (ended) return;
      ended = true;
      socket.destroy();
      if (port.isOpen) port.close(() => {});
      if (current === conn) current = undefined;
      if (attached) opts.onDetach?.();
    };
    socket.setNoDelay(true);
    socket.on("error", end);
    socket.on("close", end);
    port.on("error", end);
    port.open((err) => {
      if (err) {
        opts.log?.(`tcp: cannot open ${opts.pty}: ${err.message.split("\n")[0]}`);
        end();
        return;
      }
      if (ended) {
        port.close(() => {});
        return;
      }
      attached = true;
      opts.onAttach?.();
      socket.pipe(port);
      port.pipe(socket);
      opts.log?.(`tcp: bridging ${socket.remoteAddress}:${socket.remotePort}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) =>
      reject(new DeviceOpenError(`cannot listen on tcp port ${opts.port}: ${e.message}`)),
    );
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : opts.port,
    async setBaud(baud) {
      const c = current;
      if (c?.port.isOpen)
        await new Promise<void>((resolve) => c.port.update({ baudRate: baud }, () => resolve()));
    },
    async close() {
      current?.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `--tcp host:port` (host defaults to 127.0.0.1). */
export function parseTcpTarget(text: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || !(port > 0 && port < 65536))
    throw new DeviceOpenError(`bad --tcp "${text}": give HOST:PORT or PORT (e.g. 127.0.0.1:7878)`);
  return { host: m[1] ?? "127.0.0.1", port };
}

/** A Link over a socket whose far end is a simulated UART at `baud`, `speed` times real time. */
class TcpLink implements Link {
  private readonly stream: StreamLink;
  constructor(
    socket: Socket,
    private rate: number,
    private readonly speed: number,
  ) {
    this.stream = new StreamLink(socket, socket);
  }
  get baud(): number {
    return this.rate;
  }
  get bytesPerSecond(): number {
    return (this.rate / 10) * this.speed;
  }
  // The bridge follows the device's rate itself; here it only scales the timers.
  async setBaud(baud: number): Promise<void> {
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

export async function openTcpDevice(
  target: string,
  opts: { baud: number; speed: number; notes?: string[] },
): Promise<Device> {
  const { host, port } = parseTcpTarget(target);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection({ host, port }, () => resolve(s));
    s.once("error", (e) => reject(new DeviceOpenError(`cannot connect to ${host}:${port}: ${e.message}`)));
  });
  socket.setNoDelay(true);
  // A reset connection after open must not crash the process; the client times out.
  socket.on("error", () => {});
  const link = new TcpLink(socket, opts.baud, opts.speed);
  let closing: Promise<void> | undefined;
  return {
    kind: "sim",
    label: `sim over tcp ${host}:${port}`,
    link,
    get baud() {
      return link.baud;
    },
    notes: opts.notes ?? [],
    close() {
      closing ??= (async () => {
        await Promise.race([link.close(), new Promise((r) => setTimeout(r, 500))]).catch(() => {});
        socket.destroy();
      })();
      return closing;
    },
  };
}
