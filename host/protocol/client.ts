/**
 * DeviceClient: the commands of the quart protocol over a FramedChannel. Transport-blind: give it any
 * Link (serial port, sim pty, child process, LoopbackLink).
 *
 *   const dev = await DeviceClient.connect(link);      // SYNC + version check + HELLO
 *   await dev.load(blob, { onProgress });               // resumable, verified, atomic
 *   const { output, cycles } = await dev.run(input);
 */
import { performance } from "node:perf_hooks";
import { type Body, decodeBody, encodeBody } from "./body.js";
import { type ChannelOptions, type ChannelStats, FramedChannel, type PeerInfo } from "./channel.js";
import { crc32 } from "./crc32.js";
import { ChecksumError, DeviceError, ProtocolError, TimeoutError } from "./errors.js";
import type { Link } from "./link.js";
import { ChunkSizer, lineTimeScale, replyTimeoutMs } from "./policy.js";
import {
  LIMITS,
  MESSAGES,
  type MessageName,
  messageByOp,
  PROTOCOL_VERSION,
  type RequestName,
  TIMING,
} from "./spec.js";

type ReplyName<M extends RequestName> = (typeof MESSAGES)[M] extends { readonly reply: infer R }
  ? R extends MessageName
    ? R
    : never
  : never;

type StreamName<M extends RequestName> = (typeof MESSAGES)[M] extends { readonly stream: infer S }
  ? S extends MessageName
    ? S
    : never
  : never;

/** Requests answered by a reply. */
export type ReplyingRequest = { [K in RequestName]: [ReplyName<K>] extends [never] ? never : K }[RequestName];
/** Requests without a reply (chunks): acknowledged by the link only. */
export type PostedRequest = Exclude<RequestName, ReplyingRequest>;

export interface DeviceInfo {
  version: number;
  device: string;
  firmware: string;
  clockHz: number;
  stageCapacity: number;
  inputCapacity: number;
  chunkMax: number;
  maxBaud: number;
  uptimeMs: number;
  /** The active model, if any. */
  model?: { size: number; crc: number };
  /** The model kept in the device's flash (activated at boot), if any; `seq` counts commits. */
  stored?: { size: number; crc: number; seq: number };
  link: PeerInfo;
}

export interface LoadProgress {
  phase: "upload" | "verify" | "done";
  /** Bytes the device has acknowledged (staged), including a resumed prefix. */
  bytes: number;
  total: number;
  /** Upload rate of this session so far, bytes/s. */
  rate: number;
  resumedFrom: number;
}

export interface LoadOptions {
  /** Continue a previous upload of the same blob (default true). */
  resume?: boolean;
  /** Upload even when the blob is already the active model. */
  force?: boolean;
  /** Fixed chunk size instead of the adaptive one. */
  chunkSize?: number;
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
}

export interface LoadResult {
  size: number;
  crc: number;
  /** The device already had this prefix. */
  resumedFrom: number;
  /** The blob was already active; nothing was sent. */
  skipped: boolean;
  /** The device read the staged blob back and its CRC-32 matched before committing. */
  verified: boolean;
  seconds: number;
}

export interface RunResult {
  output: Uint8Array;
  cycles: number;
  counters: number[];
  /** cycles / INFO.clock_hz */
  deviceSeconds: number;
  hostSeconds: number;
}

export interface DeviceStats {
  device: Body<"STATS_REPLY">;
  host: ChannelStats;
}

export interface ClientOptions extends ChannelOptions {}

interface Pending {
  op: number;
  expect: MessageName;
  stream?: MessageName;
  onStream?: (body: unknown) => void;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
  resolve: (body: unknown) => void;
  reject: (e: Error) => void;
}

/** Frames lost or corrupted in either direction, as far as this end can tell. */
const lineErrors = (s: ChannelStats) => s.retransmits + s.badFrames;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DeviceClient {
  readonly channel: FramedChannel;
  private pending: Pending | undefined;
  /** An ERROR that arrived while no request was waiting (a failed chunk). */
  private asyncError: DeviceError | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private lastInfo: DeviceInfo | undefined;
  private readonly version: number;

  constructor(
    readonly link: Link,
    options: ClientOptions = {},
  ) {
    this.version = options.version ?? PROTOCOL_VERSION;
    this.channel = new FramedChannel(link, { ...options, role: "host" });
    this.channel.onMessage((type, payload) => this.onMessage(type, payload));
    this.channel.onFailure((e) => this.failPending(e));
  }

  static async connect(link: Link, options: ClientOptions = {}): Promise<DeviceClient> {
    const client = new DeviceClient(link, options);
    try {
      await client.connect();
    } catch (e) {
      client.channel.close();
      throw e;
    }
    return client;
  }

  /** The INFO of the last HELLO. */
  get info(): DeviceInfo | undefined {
    return this.lastInfo;
  }

  /** Opens a session (SYNC, version check) and identifies the device. */
  connect(): Promise<DeviceInfo> {
    return this.exclusive(async () => {
      await this.channel.open();
      return this.helloLocked();
    });
  }

  hello(): Promise<DeviceInfo> {
    return this.exclusive(() => this.helloLocked());
  }

  /** Sends a request and waits for its reply. */
  request<M extends ReplyingRequest>(
    name: M,
    body: Body<M>,
    timeoutMs?: number,
  ): Promise<Body<ReplyName<M>>> {
    return this.exclusive(() => this.requestLocked(name, body, timeoutMs));
  }

  /**
   * Uploads a blob into the staging area and commits it. Resumes a previous upload of the same blob,
   * and skips the upload when the device already runs it (unless `force`).
   */
  load(blob: Uint8Array, options: LoadOptions = {}): Promise<LoadResult> {
    return this.exclusive(async () => {
      const t0 = performance.now();
      const size = blob.length;
      const crc = crc32(blob);
      this.asyncError = undefined;
      const ready = await this.requestLocked("LOAD_BEGIN", { size, crc, resume: options.resume ?? true });
      const resumedFrom = ready.have;
      const result = (verified: boolean, skipped: boolean): LoadResult => ({
        size,
        crc,
        resumedFrom,
        skipped,
        verified,
        seconds: (performance.now() - t0) / 1000,
      });
      if (ready.active && !options.force) return result(true, true);
      if (ready.have > size) throw new ProtocolError(`device claims ${ready.have} of ${size} bytes staged`);
      const report = (phase: LoadProgress["phase"], bytes: number) =>
        options.onProgress?.({
          phase,
          bytes,
          total: size,
          rate: (bytes - resumedFrom) / Math.max(1e-3, (performance.now() - t0) / 1000),
          resumedFrom,
        });
      report("upload", resumedFrom);
      await this.streamChunks(
        "LOAD_CHUNK",
        blob,
        resumedFrom,
        Math.min(ready.chunk_max, LIMITS.chunkMax),
        options,
        (b) => report("upload", b),
      );
      report("verify", size);
      const done = await this.requestLocked(
        "LOAD_END",
        { size },
        replyTimeoutMs("LOAD_END", { bytes: size }),
      );
      if (done.size !== size)
        throw new ProtocolError(`device committed ${done.size} bytes, expected ${size}`);
      if (done.crc !== crc) throw new ChecksumError("committed blob", crc, done.crc);
      report("done", size);
      return result(true, false);
    });
  }

  /**
   * Uploads an input frame, runs the active model and collects the output tensor. `layout`: RUN.layout,
   * the input and output tensor layouts in the activation arena (host/device/run.ts builds it from a blob).
   */
  run(
    input: Uint8Array,
    options: {
      chunkSize?: number;
      signal?: AbortSignal;
      layout?: readonly number[];
      maxCycles?: number;
      /** Wait for RUN_DONE in device time (default replyTimeoutMs("RUN"); stretched on a slow link). */
      replyTimeoutMs?: number;
    } = {},
  ): Promise<RunResult> {
    return this.exclusive(async () => {
      const t0 = performance.now();
      this.asyncError = undefined;
      await this.streamChunks("INPUT_CHUNK", input, 0, this.lastInfo?.chunkMax ?? LIMITS.chunkMax, options);
      const parts: Uint8Array[] = [];
      let received = 0;
      const request: Body<"RUN"> = { in_len: input.length };
      const outChunk = this.outputChunkSize();
      if (outChunk < LIMITS.chunkMax) request.out_chunk = outChunk;
      if (options.layout) request.layout = [...options.layout];
      if (options.maxCycles !== undefined) request.max_cycles = options.maxCycles;
      const wait = options.replyTimeoutMs ?? replyTimeoutMs("RUN");
      const done = await this.requestLocked("RUN", request, wait, (part) => {
        if (part.off !== received) throw new ProtocolError(`RUN_OUTPUT at ${part.off}, expected ${received}`);
        parts.push(part.data);
        received += part.data.length;
      });
      if (done.out_len !== received)
        throw new ProtocolError(`RUN_DONE says ${done.out_len} bytes, received ${received}`);
      const output = new Uint8Array(received);
      let at = 0;
      for (const p of parts) {
        output.set(p, at);
        at += p.length;
      }
      const got = crc32(output);
      if (got !== done.out_crc) throw new ChecksumError("output tensor", done.out_crc, got);
      return {
        output,
        cycles: done.cycles,
        counters: [...done.counters],
        deviceSeconds: this.lastInfo?.clockHz ? done.cycles / this.lastInfo.clockHz : 0,
        hostSeconds: (performance.now() - t0) / 1000,
      };
    });
  }

  stats(): Promise<DeviceStats> {
    return this.exclusive(async () => ({
      device: await this.requestLocked("STATS", {}),
      host: { ...this.channel.stats },
    }));
  }

  /** Resets the device and opens a new session once it is back. */
  reset(): Promise<DeviceInfo> {
    return this.exclusive(async () => {
      await this.requestLocked("RESET", {});
      await sleep(TIMING.hostBaudSwitchDelayMs * lineTimeScale(this.link));
      await this.channel.open();
      return this.helloLocked();
    });
  }

  /**
   * Switches both ends to a new line rate (see the "baud switch fallback" rule in policy.ts): the
   * device replies OK at the old rate and switches; the host follows and opens a new session.
   */
  setBaud(baud: number): Promise<DeviceInfo> {
    return this.exclusive(async () => {
      const link = this.link;
      if (!link.setBaud) throw new ProtocolError("this link has no line rate to change");
      const oldBaud = link.baud;
      let replied: Error | undefined;
      try {
        await this.requestLocked("SET_BAUD", { baud });
      } catch (e) {
        if (e instanceof DeviceError) throw e; // refused: nothing changed
        replied = e as Error; // reply lost: the device may or may not have switched
      }
      // The delay is in line time: a simulated device slower than real time needs as much more.
      await sleep(TIMING.hostBaudSwitchDelayMs * lineTimeScale(link));
      await link.setBaud(baud);
      try {
        await this.channel.open();
      } catch (e) {
        if (!(e instanceof TimeoutError) || oldBaud === undefined) throw e;
        await link.setBaud(oldBaud);
        await this.channel.open();
        throw new ProtocolError(
          `device did not switch to ${baud} baud; still connected at ${oldBaud}${replied ? ` (${replied.message})` : ""}`,
        );
      }
      return this.helloLocked();
    });
  }

  /** Closes the session and the link. */
  async close(): Promise<void> {
    this.channel.close();
    await this.link.close();
  }

  // ---------------------------------------------------------------------------------------------------

  /** Runs operations one at a time: a load holds the device until it is committed. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  private async helloLocked(): Promise<DeviceInfo> {
    const info = await this.requestLocked("HELLO", { version: this.version });
    this.lastInfo = {
      version: info.version,
      device: info.device,
      firmware: info.firmware,
      clockHz: info.clock_hz,
      stageCapacity: info.stage_capacity,
      inputCapacity: info.input_capacity,
      chunkMax: info.chunk_max,
      maxBaud: info.max_baud,
      uptimeMs: info.uptime_ms,
      model: info.model_size === undefined ? undefined : { size: info.model_size, crc: info.model_crc ?? 0 },
      stored:
        info.stored_size === undefined
          ? undefined
          : { size: info.stored_size, crc: info.stored_crc ?? 0, seq: info.stored_seq ?? 0 },
      link: this.channel.peerInfo,
    };
    return this.lastInfo;
  }

  private requestLocked<M extends ReplyingRequest>(
    name: M,
    body: Body<M>,
    timeoutMs: number = replyTimeoutMs(name),
    onStream?: (part: Body<StreamName<M>>) => void,
  ): Promise<Body<ReplyName<M>>> {
    if (this.pending) return Promise.reject(new ProtocolError("a request is already pending"));
    const spec: { reply?: string | null; stream?: string } = MESSAGES[name];
    return new Promise<Body<ReplyName<M>>>((resolve, reject) => {
      const pending: Pending = {
        op: MESSAGES[name].op,
        expect: spec.reply as MessageName,
        stream: spec.stream as MessageName | undefined,
        onStream: onStream as ((b: unknown) => void) | undefined,
        timeoutMs,
        resolve: (b) => resolve(b as Body<ReplyName<M>>),
        reject,
      };
      this.pending = pending;
      this.channel.send(pending.op, encodeBody(name, body)).then(
        () => {
          if (this.pending === pending) this.armReplyTimer(pending, name);
        },
        (e: Error) => this.settle(pending, e),
      );
    });
  }

  private armReplyTimer(p: Pending, name: string): void {
    clearTimeout(p.timer);
    // The device works in its own time: a simulated one needs proportionally more wall-clock time.
    const ms = p.timeoutMs * lineTimeScale(this.link);
    p.timer = setTimeout(() => this.settle(p, new TimeoutError(`reply to ${name}`, ms)), ms);
  }

  private settle(p: Pending, error?: Error, body?: unknown): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve(body);
  }

  private failPending(e: Error): void {
    if (this.pending) this.settle(this.pending, e);
  }

  /** Sends data as chunk messages from `start`, window-paced; `onAcked` gets the acknowledged offset. */
  private async streamChunks(
    op: PostedRequest,
    data: Uint8Array,
    start: number,
    chunkMax: number,
    options: { chunkSize?: number; signal?: AbortSignal },
    onAcked?: (bytes: number) => void,
  ): Promise<void> {
    const sizer = new ChunkSizer(chunkMax, options.chunkSize);
    const stats = this.channel.stats;
    const sends: Promise<void>[] = [];
    for (let off = start; off < data.length; ) {
      options.signal?.throwIfAborted();
      this.throwAsyncError();
      await this.channel.ready();
      // The error rate seen on this channel so far (all sessions, both directions) sizes each chunk.
      const end = Math.min(
        off + sizer.size(lineErrors(stats), stats.wireBytesSent + stats.wireBytesReceived),
        data.length,
      );
      const acked = this.channel
        .send(MESSAGES[op].op, encodeBody(op, { off, data: data.subarray(off, end) }))
        .then(() => onAcked?.(end));
      acked.catch(() => {}); // awaited below; a failure must not count as unhandled meanwhile
      sends.push(acked);
      off = end;
    }
    await Promise.all(sends);
    this.throwAsyncError();
  }

  /** RUN_OUTPUT size for the error rate seen on this channel so far (see ChunkSizer). */
  private outputChunkSize(): number {
    const s = this.channel.stats;
    return new ChunkSizer().size(lineErrors(s), s.wireBytesSent + s.wireBytesReceived);
  }

  private throwAsyncError(): void {
    const e = this.asyncError;
    if (!e) return;
    this.asyncError = undefined;
    throw e;
  }

  private onMessage(type: number, payload: Uint8Array): void {
    const name = messageByOp(type);
    const p = this.pending;
    if (!name || MESSAGES[name].dir !== "d2h") {
      if (p)
        this.settle(p, new ProtocolError(`unexpected frame type 0x${type.toString(16)} from the device`));
      return;
    }
    let body: unknown;
    try {
      body = decodeBody(name, payload);
    } catch (e) {
      if (p) this.settle(p, e as Error);
      return;
    }
    if (name === "ERROR") {
      const b = body as Body<"ERROR">;
      const err = new DeviceError(b.code, b.op, b.detail);
      if (p) this.settle(p, err);
      else this.asyncError ??= err;
      return;
    }
    if (!p) return; // a reply nobody waits for any more (its request timed out)
    if (name === p.stream) {
      try {
        p.onStream?.(body);
        this.armReplyTimer(p, name);
      } catch (e) {
        this.settle(p, e as Error);
      }
    } else if (name === p.expect) this.settle(p, undefined, body);
    else this.settle(p, new ProtocolError(`expected ${p.expect}, device sent ${name}`));
  }
}
