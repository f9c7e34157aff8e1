/**
 * Test harness: the real firmware protocol code (native build of test/firmware/protocol/native_device.c)
 * in a child process, reached through a LoopbackLink whose faults, latency and rate the test chooses.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bridge, type LineOptions, LoopbackLink, StreamLink } from "../../../host/protocol/link.js";
import { buildNative } from "../../firmware/protocol/native-build.js";

export interface Connection {
  /** The host's end of the line. */
  host: LoopbackLink;
  /** The device's end (bridged to the process). */
  device: LoopbackLink;
  disconnect(): void;
}

export class NativeDevice {
  readonly events: string[] = [];
  readonly commitFile: string;
  private readonly processLink: StreamLink;
  private readonly waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  private current: Connection | undefined;
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly proc: ChildProcessWithoutNullStreams,
    private readonly dir: string,
  ) {
    this.commitFile = join(dir, "model.bin");
    this.processLink = new StreamLink(proc.stdout, proc.stdin);
    this.exited = new Promise((resolve) => proc.on("exit", (code) => resolve(code)));
    let partial = "";
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      for (const line of lines) this.onEvent(line);
    });
  }

  /** Starts a device; `defines` rebuild it with other compile-time settings (e.g. QP_DEVICE_VERSION=7). */
  static start(args: readonly string[] = [], defines: readonly string[] = []): NativeDevice {
    const bin = buildNative("native_device", defines);
    const dir = mkdtempSync(join(tmpdir(), "quart-native-device-"));
    const proc = spawn(bin, ["--commit-file", join(dir, "model.bin"), ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new NativeDevice(proc, dir);
  }

  /** A fresh line to the device (the previous one, if any, is unplugged). */
  connect(line: LineOptions = {}, back?: LineOptions): Connection {
    this.current?.disconnect();
    const [host, device] = LoopbackLink.pair(line, back);
    const unbridge = bridge(device, this.processLink);
    const conn: Connection = {
      host,
      device,
      disconnect: () => {
        unbridge();
        if (this.current === conn) this.current = undefined;
      },
    };
    this.current = conn;
    return conn;
  }

  /** The active model as the device committed it (undefined before the first commit). */
  committed(): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(this.commitFile));
    } catch {
      return undefined;
    }
  }

  waitFor(re: RegExp): Promise<string> {
    const seen = this.events.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }

  async stop(): Promise<void> {
    this.current?.disconnect();
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill(), 2000);
    await this.exited;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onEvent(line: string): void {
    this.events.push(line);
    // The device switched its UART: so does its end of the line.
    const baud = /^set_baud (\d+)$/.exec(line);
    if (baud && this.current) void this.current.device.setBaud(Number(baud[1]));
    for (let i = this.waiters.length - 1; i >= 0; i--)
      if (this.waiters[i]!.re.test(line)) this.waiters.splice(i, 1)[0]!.resolve(line);
  }
}
