/**
 * Device commands: `quart info`, `quart flash` and `quart run`, on a board (--port) or the Verilator sim (--sim),
 * through the same Device interface (host/device/). Results on stdout (or one JSON object with --json),
 * progress on stderr, failures as one line.
 */
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import { perfOfBlob } from "../../compiler/blob/perf.js";
import { type Blob, readBlob } from "../../compiler/blob/reader.js";
import { deviceImageOf } from "../../compiler/blob/writer.js";
import { readImage } from "../../compiler/data/image.js";
import { readNpy, writeNpyAtomic } from "../../compiler/data/npy.js";
import { imageToInput } from "../../compiler/eval/preprocess.js";
import type { Codes } from "../../compiler/ptq/qgraph.js";
import { runBlob } from "../../sim/isa/run.js";
import { UserError } from "../app/output.js";
import { transferProgress } from "../app/transfer-progress.js";
import { DEFAULT_BAUD, type Device, openSerialDevice, type Session, withSession } from "../device/device.js";
import { listPorts, simAvailable } from "../device/discover.js";
import { formatInfo, infoReport, parseFirmwareId } from "../device/report.js";
import { quantizeBlobInput, runBlobOnDevice, uploadImage } from "../device/run.js";
import { openSimForCommand, SIM_SPEED_FACTOR } from "../device/sim.js";
import { readSimState } from "../device/sim-state.js";
import { openTcpDevice, parseTcpTarget } from "../device/tcp.js";
import { listUsbDevices, matchUsbSelector, openUsbDevice } from "../device/usb-link.js";
import { DeviceError, type DeviceInfo } from "../protocol/index.js";

export interface DeviceOptions {
  sim?: boolean;
  port?: string;
  /** A USB bulk device: VID:PID or BUS-ADDRESS. */
  usb?: string;
  /** A simulated SoC served over TCP by `quart sim --tcp`: HOST:PORT or PORT. */
  tcp?: string;
  baud?: string;
  /** Rate both ends switch to after connecting (SET_BAUD). */
  switchBaud?: string;
  /** Sim only: drop and bit-flip probability per byte, both directions. */
  simFaults?: string;
}

/** The Device the options name; exactly one of --sim, --port and --usb. */
export function deviceOpener(opts: DeviceOptions): () => Promise<Device> {
  const chosen = [opts.sim, opts.port, opts.usb, opts.tcp].filter(
    (x) => x !== undefined && x !== false,
  ).length;
  if (chosen !== 1)
    throw new UserError(
      "give one device: --sim, --port <device>, --usb <vid:pid|bus-address> or --tcp <host:port>",
    );
  const baud = opts.baud !== undefined ? Number(opts.baud) : undefined;
  if (baud !== undefined && !(Number.isInteger(baud) && baud > 0)) throw new Error(`bad --baud ${opts.baud}`);
  const p = opts.simFaults !== undefined ? Number(opts.simFaults) : undefined;
  if (p !== undefined && !(p >= 0 && p < 1))
    throw new Error(`bad --sim-faults ${opts.simFaults} (0 <= p < 1)`);
  if (p !== undefined && !opts.sim) throw new Error("--sim-faults needs --sim");
  if (opts.tcp !== undefined) {
    const target = opts.tcp;
    parseTcpTarget(target);
    if (p !== undefined) throw new UserError("--sim-faults needs --sim (give faults to quart sim for --tcp)");
    // The far end's speed is unknown here: the timers assume the slowest simulation sim.ts plans for.
    return () => openTcpDevice(target, { baud: baud ?? DEFAULT_BAUD, speed: SIM_SPEED_FACTOR / 2 });
  }
  if (opts.usb !== undefined) {
    const selector = opts.usb;
    if (baud !== undefined)
      throw new UserError("--baud applies to serial ports; a USB bulk device has no line rate");
    matchUsbSelector(selector);
    return () => openUsbDevice(selector);
  }
  if (opts.sim)
    return () =>
      openSimForCommand({
        requestedBaud: baud,
        faults: p ? { drop: p, flip: p, direction: "both" } : undefined,
      });
  return () => openSerialDevice(opts.port!, { baud });
}

/**
 * `--switch-baud`: moves both ends to the rate after connecting (SET_BAUD; the device answers at the old
 * rate, a failed switch leaves both at the old one and throws). Returns the rate in use.
 */
export async function switchBaud(session: Session, opts: DeviceOptions): Promise<number> {
  if (opts.switchBaud === undefined) return session.device.baud;
  const baud = Number(opts.switchBaud);
  if (!(Number.isInteger(baud) && baud > 0)) throw new Error(`bad --switch-baud ${opts.switchBaud}`);
  if (baud !== session.device.baud) {
    const info = await session.client.setBaud(baud);
    Object.assign(session.info, info);
  }
  return session.device.baud;
}

export function addDeviceOptions(cmd: Command): Command {
  return cmd
    .option(
      "--sim",
      "the simulated SoC: the one `quart sim` keeps running, else a fresh one for this command (built on first use)",
    )
    .option("--port <device>", "serial port of the board, e.g. /dev/ttyUSB1")
    .option("--usb <vid:pid|bus-address>", "a USB bulk device (see quart devices)")
    .option("--tcp <host:port>", "the simulated SoC served by quart sim --tcp")
    .option("--baud <n>", `serial line rate (default ${DEFAULT_BAUD})`)
    .option("--switch-baud <n>", "after connecting, switch both ends to this rate (e.g. 3000000)")
    .option("--sim-faults <p>", "sim only: drop and bit-flip each byte on the line with probability p")
    .option("--json", "print one JSON object");
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export function registerDevice(program: Command): void {
  addDeviceOptions(
    program
      .command("info")
      .description("ask the device for its versions (protocol, ISA, SoC map), model memory and active model"),
  ).action(async (opts: DeviceOptions & { json?: boolean }) => {
    const open = deviceOpener(opts);
    await withSession(open, async (session) => {
      await switchBaud(session, opts);
      const { device, info } = session;
      const report = infoReport(info, device.label, device.baud, device.notes);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatInfo(report));
    });
  });

  addDeviceOptions(
    program
      .command("flash <file>")
      .description("upload a model blob into the device's staging area, verify it there and make it active"),
  )
    .option("--force", "upload even when the device already has this blob active")
    .option("--quiet", "no progress bar")
    .action(
      async (file: string, opts: DeviceOptions & { json?: boolean; force?: boolean; quiet?: boolean }) => {
        let blob: Uint8Array;
        try {
          if (!statSync(file).isFile()) throw new Error("not a file");
          blob = uploadImage(new Uint8Array(readFileSync(file)));
        } catch (e) {
          throw new Error(
            `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          );
        }
        const open = deviceOpener(opts);
        await withSession(open, async (session) => {
          const baud = await switchBaud(session, opts);
          const { device, client, info } = session;
          checkFitsSlot(file, blob.length, info.stageCapacity);
          const bar = await transferProgress(`flash ${device.kind} ${basename(file)}`, blob.length, {
            quiet: opts.quiet || opts.json,
          });
          let res: Awaited<ReturnType<typeof client.load>>;
          try {
            res = await client.load(blob, {
              force: opts.force,
              onProgress: (p) => bar.update(p.bytes, `${p.phase} ${(p.rate / 1024).toFixed(1)} KiB/s`),
            });
          } catch (e) {
            if (e instanceof DeviceError && e.is("TOO_LARGE"))
              throw new Error(
                `the device refused ${file}: ${blob.length} bytes, capacity ${e.detail ?? "?"}`,
              );
            throw e;
          }
          const rate = res.skipped ? 0 : (blob.length - res.resumedFrom) / Math.max(res.seconds, 1e-6);
          bar.done(res.skipped ? "already active" : `${(rate / 1024).toFixed(2)} KiB/s`);
          const crc = `0x${res.crc.toString(16).padStart(8, "0")}`;
          if (opts.json) {
            const out = {
              file,
              port: device.label,
              bytes: res.size,
              seconds: res.seconds,
              verified: res.verified,
              bytes_per_second: rate,
              baud,
              crc,
              skipped: res.skipped,
              resumed_from: res.resumedFrom,
              notes: device.notes,
            };
            process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          } else {
            process.stdout.write(
              `${res.skipped ? "already active" : "flashed"} ${res.size} bytes (crc ${crc}) to ${device.label} in ${res.seconds.toFixed(2)} s` +
                `${res.skipped ? "" : `, ${(rate / 1024).toFixed(2)} KiB/s`}; ${res.verified ? "verified by the device" : "NOT verified"}\n` +
                device.notes.map((n) => `note: ${n}\n`).join(""),
            );
          }
        });
      },
    );
}

/** Refuses, before any upload, a blob larger than the device's model slot (INFO.stage_capacity). */
function checkFitsSlot(file: string, bytes: number, capacity: number): void {
  if (bytes > capacity)
    throw new Error(
      `${file} is ${bytes} bytes (${kib(bytes)}); the device takes at most ${capacity} (${kib(capacity)} model slot)`,
    );
}

/**
 * A model blob from a file, checked; unreadable or corrupt files end as one line. `bytes` is what goes
 * up the link: the blob's device image (without META, which only host tools read).
 */
export function readBlobFile(file: string): { bytes: Uint8Array; blob: Blob } {
  let bytes: Uint8Array;
  try {
    if (!statSync(file).isFile()) throw new Error("not a file");
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const blob = readBlob(bytes);
    return { bytes: deviceImageOf(blob), blob };
  } catch (e) {
    throw new UserError(`${file} is not a usable model blob: ${(e as Error).message}`);
  }
}

/**
 * Refuses a blob for another instruction set than the device's firmware runs (INFO.firmware names the
 * ISA version and hash); firmware whose id is not recognised is let through (quart info shows it).
 */
export function checkDeviceIsa(info: DeviceInfo, blob: Blob, name: string): void {
  const id = parseFirmwareId(info.firmware);
  if (!id) return;
  if (id.isaVersion !== blob.header.isaVersion || id.isaHash !== blob.header.isaHash >>> 0)
    throw new UserError(
      `${name} is for ISA v${blob.header.isaVersion} (hash ${hex8(blob.header.isaHash)}), the device runs v${id.isaVersion} (hash ${hex8(id.isaHash)}): update the firmware or recompile the model`,
    );
}

const hex8 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;

/**
 * Input codes for a blob from a file: a .npy of uint8 codes (NCHW, as sim/isa/run.ts takes them), a
 * float32/float64 .npy or an image, quantized with the blob's lin8 input encoding.
 */
export function inputCodesFor(blob: Blob, file: string): Codes {
  const d = blob.io.input;
  const count = d.shape.reduce((a, b) => a * b, 1);
  let x: Float32Array;
  if (file.toLowerCase().endsWith(".npy")) {
    const a = readNpy(file);
    if (a.data.length !== count)
      throw new Error(
        `${file} holds ${a.data.length} values; the model input ${d.shape.join("×")} takes ${count}`,
      );
    if (a.dtype === "uint8") return Uint8Array.from(a.data);
    if (a.dtype !== "float32" && a.dtype !== "float64")
      throw new Error(`${file}: dtype ${a.dtype}; give uint8 codes or float32 values`);
    x = Float32Array.from(a.data);
  } else {
    const [, , h, w] = d.shape as [number, number, number, number];
    let image: ReturnType<typeof readImage>;
    try {
      image = readImage(file);
    } catch (e) {
      throw new UserError(`cannot read ${file} as an image: ${(e as Error).message.split("\n")[0]}`);
    }
    x = imageToInput(image, w, h);
  }
  return quantizeBlobInput(blob, x);
}

export function registerRun(program: Command): void {
  addDeviceOptions(
    program
      .command("run <blob> <input>")
      .description(
        "flash a model blob (skipped when already active) and run it on the device: input codes from a uint8 .npy, or a float .npy / image quantized with the blob's input encoding",
      ),
  )
    .option("-o, --output <npy>", "write the output codes as .npy (NCHW)")
    .option("--check", "also run the blob on the instruction-level simulator and compare the outputs")
    .action(
      async (
        blobFile: string,
        inputFile: string,
        opts: DeviceOptions & { json?: boolean; output?: string; check?: boolean },
      ) => {
        const { bytes, blob } = readBlobFile(blobFile);
        const codes = inputCodesFor(blob, inputFile);
        const open = deviceOpener(opts);
        await withSession(open, async (session) => {
          const baud = await switchBaud(session, opts);
          const { device, client } = session;
          checkFitsSlot(blobFile, bytes.length, session.info.stageCapacity);
          checkDeviceIsa(session.info, blob, blobFile);
          const load = await client.load(bytes);
          const r = await runBlobOnDevice(client, blob, codes);
          const model = perfOfBlob(blob).cycles;
          let identical: boolean | null = null;
          if (opts.check) {
            const ref = runBlob(blob, codes).codes;
            identical = ref.length === r.codes.length && ref.every((v, i) => v === r.codes[i]);
          }
          if (opts.output) {
            const shape = blob.io.output.shape.slice();
            writeNpyAtomic(
              opts.output,
              r.codes instanceof Int32Array
                ? { dtype: "int32", shape, data: r.codes }
                : { dtype: "uint8", shape, data: Uint8Array.from(r.codes) },
            );
          }
          const clockHz = session.info.clockHz;
          if (opts.json) {
            const out = {
              blob: blobFile,
              port: device.label,
              baud,
              flashed: !load.skipped,
              flash_seconds: load.skipped ? 0 : load.seconds,
              output_shape: blob.io.output.shape,
              output: opts.output ?? null,
              accel_cycles: r.cycles,
              accel_seconds: clockHz ? r.cycles / clockHz : null,
              model_cycles: model,
              counters: r.counters,
              macs: r.macs,
              host_seconds: r.run.hostSeconds,
              identical_to_simulator: identical,
              notes: device.notes,
            };
            process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          } else {
            const ms = clockHz ? ` (${((1000 * r.cycles) / clockHz).toFixed(3)} ms)` : "";
            process.stdout.write(
              `ran ${blobFile} on ${device.label}: output ${blob.io.output.shape.join("×")}, ${r.cycles} accelerator cycles${ms}, ` +
                `perf model ${model} (${(r.cycles / model).toFixed(2)}×), ${r.macs} MACs\n` +
                (identical === null ? "" : `simulator: ${identical ? "identical" : "DIFFERENT"}\n`) +
                device.notes.map((n) => `note: ${n}\n`).join(""),
            );
          }
          if (identical === false) process.exitCode = 1;
        });
      },
    );
}

export function registerDevices(program: Command): void {
  program
    .command("devices")
    .description(
      "list serial ports (boards recognised by USB VID:PID), USB bulk devices, and the simulator (running or available)",
    )
    .option("--json", "print one JSON object")
    .action(async (opts: { json?: boolean }) => {
      const ports = await listPorts();
      const sim = simAvailable();
      const usb = await listUsbDevices();
      const running = readSimState();
      const simOut = {
        ...sim,
        running: running
          ? { pid: running.pid, port: running.pty, baud: running.baud, tcp: running.tcp }
          : null,
      };
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ ports, usb: usb.devices, usb_error: usb.error, sim: simOut }, null, 2)}\n`,
        );
        return;
      }
      for (const p of ports) {
        const id = p.vendorId ? ` ${p.vendorId}:${p.productId}` : "";
        process.stdout.write(
          `${p.path}${id}${p.manufacturer ? ` ${p.manufacturer}` : ""}${p.board ? `  ← ${p.board}` : ""}\n`,
        );
      }
      if (ports.length === 0) process.stdout.write("no serial ports\n");
      for (const d of usb.devices)
        process.stdout.write(
          `usb ${d.id}${d.bus !== null ? ` at ${d.bus}-${d.address}` : ""}${d.product ? ` ${d.product}` : ""}  ← ${d.name} (bulk IN ${d.bulk.in}, OUT ${d.bulk.out}); use --usb ${d.id}\n`,
        );
      if (usb.devices.length === 0)
        process.stdout.write(`no USB bulk devices${usb.error ? ` (${usb.error})` : ""}\n`);
      process.stdout.write(
        `sim: ${
          running
            ? `quart sim running on ${running.pty}${running.tcp ? ` and tcp port ${running.tcp}` : ""} (pid ${running.pid}); --sim attaches to it`
            : sim.available
              ? `available (${sim.verilator}); use --sim, or start quart sim to keep one running`
              : "unavailable (install verilator)"
        }\n`,
      );
    });
}
