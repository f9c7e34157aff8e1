/**
 * `quart sim` keeps one simulated SoC running and every `--sim` command attaches to it: a blob flashed by
 * `quart flash` is still active for `quart run` (no second upload) and for `quart live`, which runs
 * image frames on the device, resized to the blob's input, bit-identical to the instruction-level
 * simulator, with the device's cycles and the three rates kept apart. Stopping `quart sim` removes its
 * pty and its record.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import { SerialPort } from "serialport";
import { readBlob } from "../../../compiler/blob/reader.js";
import { contentsFromLowered, encodeBlob } from "../../../compiler/blob/writer.js";
import { encodePng, type Image, readImage } from "../../../compiler/data/image.js";
import { encodeNpy } from "../../../compiler/data/npy.js";
import { imageToInput } from "../../../compiler/eval/preprocess.js";
import { icebreaker } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import type { QGraph } from "../../../compiler/ptq/qgraph.js";
import { encodeQGraph } from "../../../compiler/ptq/qgraph-codec.js";
import { codesToFrame, quantizeBlobInput } from "../../../host/device/run.js";
import { processState, simPaused } from "../../../host/device/sim-state.js";
import { FIRMWARE_TOOLS } from "../../../sim/device/firmware.js";
import { fromRoot } from "../../../sim/device/paths.js";
import { SIM_TOOLS } from "../../../sim/device/sim-device.js";
import { runBlob } from "../../../sim/isa/run.js";
import { skipUnless, tempDir } from "../../fpga/cpu/cpu-harness.js";
import { buildRgbdFolder } from "../../helpers/data-fixtures.js";
import { randomInputCodes, randomQGraph } from "../../helpers/random-qgraph.js";

const skip = skipUnless([...SIM_TOOLS, ...FIRMWARE_TOOLS]);
const CLI = fromRoot("dist/host/cli.js");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function quart(args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** A tiny depth-shaped model: RGB 8×8 in, one acc32 channel out, fitting the icebreaker's buffers. */
function depthGraph(): QGraph {
  for (let seed = 1; seed <= 200; seed++) {
    const g = randomQGraph({ seed, input: [1, 3, 8, 8], layers: 2, acc32Output: true });
    const out = g.values.get(g.output)!.shape;
    if (out[1] !== 1) continue;
    const l = lowerQGraph(g, icebreaker, { ignoreArenaLimit: true });
    if (l.actBytes <= icebreaker.segments.ACT.bytes) return g;
  }
  throw new Error("no small single-channel graph fits");
}

/** An image whose pixels vary with position and frame number (so frames differ). */
function frame(w: number, h: number, k: number): Image {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    data[3 * i] = (i * 7 + k * 40) & 255;
    data[3 * i + 1] = (i * 3 + k * 90) & 255;
    data[3 * i + 2] = (255 - i * 5) & 255;
  }
  return { width: w, height: h, channels: 3, bitDepth: 8, data };
}

/** The stop signal lands when the kernel next schedules the simulator: allow it a moment. */
async function pausedSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && !simPaused(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return simPaused(pid);
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (l) => {
      rl.close();
      resolve(l);
    });
    child.once("exit", (code) => reject(new Error(`quart sim exited (${code}) before printing its port`)));
  });
}

describe("quart sim shared by the --sim commands", { skip, timeout: 300_000 }, () => {
  test("flash, then run without a reflash, then live frames on the device; clean stop", async () => {
    const dir = tempDir("sim-attach");
    // Its own runtime folder: neither sees nor disturbs a sim the user keeps running.
    const env = { ...process.env, QUART_RUNTIME_DIR: join(dir, "run") };
    const g = depthGraph();
    // With its quantized graph, as quart compile packs it (the ISA executor of quart eval reads it).
    const bytes = encodeBlob(contentsFromLowered(lowerQGraph(g, icebreaker), { qgraph: encodeQGraph(g) }));
    const blob = readBlob(bytes);
    const blobFile = join(dir, "depth.bin");
    writeFileSync(blobFile, bytes);
    const inFile = join(dir, "in.npy");
    writeFileSync(inFile, encodeNpy({ dtype: "uint8", shape: [1, 3, 8, 8], data: randomInputCodes(g, 3) }));
    const frames = join(dir, "frames");
    mkdirSync(frames);
    for (let k = 0; k < 20; k++)
      writeFileSync(join(frames, `f${String(k).padStart(2, "0")}.png`), encodePng(frame(20, 14, k)));

    const sim = spawn(process.execPath, [CLI, "sim", "--json", "--baud", "3000000", "--tcp", "0"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let simErr = "";
    sim.stderr!.on("data", (d) => {
      simErr += d;
    });
    const exited = new Promise<number | null>((resolve) => sim.on("exit", (code) => resolve(code)));
    try {
      const started = JSON.parse(await firstLine(sim));
      assert.ok(existsSync(started.port), `pty ${started.port}`);
      assert.equal(started.baud, 3_000_000);
      assert.ok(existsSync(join(dir, "run", "sim.json")), "record written");
      // The simulator takes no CPU while no command is attached.
      assert.ok(simPaused(started.sim_pid), "paused before the first command");

      const devices = await quart(["devices", "--json"], env);
      assert.equal(devices.code, 0, devices.stderr);
      const listed = JSON.parse(devices.stdout).sim.running;
      assert.deepEqual(listed, { pid: started.pid, port: started.port, baud: 3_000_000, tcp: started.tcp });
      const faulty = await quart(["info", "--sim", "--sim-faults", "0.001"], env);
      assert.equal(faulty.code, 1);
      assert.match(
        faulty.stderr,
        /^quart: fault injection applies to a fresh sim, but quart sim \(pid \d+\) is running/,
      );
      const again = await quart(["sim"], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^quart: quart sim is already running \(pid \d+\)/);

      const t0 = performance.now();
      const flash = await quart(["flash", blobFile, "--sim", "--json"], env);
      assert.equal(flash.code, 0, flash.stderr);
      const f = JSON.parse(flash.stdout);
      assert.equal(f.skipped, false);
      assert.equal(f.verified, true);
      assert.equal(f.baud, 3_000_000, "opened at the rate quart sim runs");
      assert.match(f.notes.join(" "), /attached to quart sim/);
      assert.ok(await pausedSoon(started.sim_pid), "paused again after the command");

      const t1 = performance.now();
      const run = await quart(["run", blobFile, inFile, "--sim", "--json", "--check"], env);
      assert.equal(run.code, 0, run.stderr);
      const r = JSON.parse(run.stdout);
      assert.equal(r.flashed, false, "the model flashed by the previous command is still active");
      assert.equal(r.identical_to_simulator, true);
      const t2 = performance.now();

      // The same SoC over TCP (quart sim --tcp): the model is still active there too.
      assert.ok(started.tcp > 0, "a TCP port was chosen");
      const tcp = await quart(
        ["run", blobFile, inFile, "--tcp", `127.0.0.1:${started.tcp}`, "--json", "--check"],
        env,
      );
      assert.equal(tcp.code, 0, tcp.stderr);
      assert.equal(JSON.parse(tcp.stdout).flashed, false);
      assert.equal(JSON.parse(tcp.stdout).identical_to_simulator, true);
      assert.ok(await pausedSoon(started.sim_pid), "paused after the TCP client left");

      // quart eval --exec sim: the whole simulated device as an executor, bit for bit the ISA simulator's.
      const data = join(dir, "rgbd");
      buildRgbdFolder(data, { count: 2, width: 12, height: 9 });
      const evals = await Promise.all(
        ["sim", "isa"].map((x) => quart(["eval", blobFile, "--data", data, "--exec", x, "--json"], env)),
      );
      for (const e of evals) assert.equal(e.code, 0, e.stderr);
      const [onSim, onIsa] = evals.map((e) => JSON.parse(e.stdout));
      assert.equal(onSim.n, 2);
      assert.equal(onSim.exec, "sim");
      assert.equal(onSim.outputs_sha256, onIsa.outputs_sha256, "device outputs = ISA simulator outputs");
      assert.equal(onSim.absrel, onIsa.absrel);

      const tLive = performance.now();
      const live = await quart(
        ["live", "--frames", frames, "--sim", "--model", blobFile, "--limit", "2", "--json"],
        env,
      );
      const t3 = performance.now();
      assert.equal(live.code, 0, live.stderr);
      const l = JSON.parse(live.stdout);
      assert.match(live.stderr, /already active/);
      assert.equal(l.frames, 2);
      assert.equal(l.stopped, "limit");
      assert.deepEqual(l.network_input, { width: 8, height: 8 });
      assert.equal(l.per_frame.length, 2);
      // The frames, resized to 8×8 and quantized with the blob's input encoding, through the ISA simulator.
      const ref = createHash("sha256");
      for (const name of ["f00.png", "f01.png"]) {
        const codes = quantizeBlobInput(blob, imageToInput(readImage(join(frames, name)), 8, 8));
        ref.update(codesToFrame(runBlob(blob, codes).codes, blob.io.output.layout.ebits));
      }
      assert.equal(l.outputs_sha256, ref.digest("hex"), "device output = instruction-level simulator");
      for (const p of l.per_frame) {
        assert.ok(p.device_cycles > 0 && p.firmware_cycles > p.device_cycles, JSON.stringify(p));
        assert.ok(Math.abs(p.compute_fps - l.clock_hz / p.device_cycles) < 1e-6 * p.compute_fps);
        assert.ok(p.device_fps_with_firmware < p.compute_fps);
      }
      assert.ok(Math.abs(l.compute_fps - l.clock_hz / l.device_cycles) < 1e-6 * l.compute_fps);
      assert.ok(l.device_fps_with_firmware < l.compute_fps, "the RUN adds the firmware's data movement");
      assert.ok(l.end_to_end_fps > 0 && l.end_to_end_fps < l.device_fps_with_firmware, "the link costs time");
      assert.ok(l.link_kbps > 0);
      console.log(
        `quart sim: flash ${((t1 - t0) / 1000).toFixed(1)} s, run (no reflash) ${((t2 - t1) / 1000).toFixed(1)} s, ` +
          `live 2 frames ${((t3 - tLive) / 1000).toFixed(1)} s; device ${l.device_cycles} cycles/frame ` +
          `(${l.compute_fps.toFixed(0)} FPS at ${l.clock_hz / 1e6} MHz), whole RUN ${l.firmware_cycles} ` +
          `(${l.device_fps_with_firmware.toFixed(0)} FPS), end to end ${l.end_to_end_fps.toFixed(2)} FPS`,
      );

      // Another program holding the port: the next command says so instead of garbling its session.
      const holder = new SerialPort({ path: started.port, baudRate: started.baud, autoOpen: false });
      await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())));
      const busy = await quart(["info", "--sim"], env);
      await new Promise<void>((resolve) => holder.close(() => resolve()));
      assert.equal(busy.code, 1);
      assert.ok(!simPaused(started.sim_pid), "a command that found the port busy does not pause the sim");
      assert.match(
        busy.stderr,
        /^quart: serial port \/dev\/pts\/\d+ is busy: another program has it open\n$/,
      );

      // Ctrl-C during live: the frame in flight finishes, the summary is printed, exit 130, and the
      // device is left idle with its model active for the next command.
      const t4 = performance.now();
      const interrupted = await new Promise<Result>((resolve) => {
        const child = spawn(
          process.execPath,
          [CLI, "live", "--frames", frames, "--sim", "--model", blobFile],
          {
            env,
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let stdout = "";
        let stderr = "";
        child.stderr!.on("data", (d) => {
          stderr += d;
        });
        child.stdout!.on("data", (d) => {
          const first = !stdout.includes("frame ");
          stdout += d;
          if (first && stdout.includes("frame ")) child.kill("SIGINT");
        });
        child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
      assert.equal(interrupted.code, 130, interrupted.stderr);
      assert.match(interrupted.stderr, /stopping after this frame/);
      const done = /^(\d+) frames? from .* \(stopped: interrupted\)$/m.exec(interrupted.stdout);
      assert.ok(done && Number(done[1]) >= 1 && Number(done[1]) < 20, interrupted.stdout);
      assert.match(
        interrupted.stdout,
        /^frame 0 f00\.png: device \S+( k)? cycles \(compute \S+ FPS at 24\.0 MHz\), with firmware/m,
      );
      const after = await quart(["run", blobFile, inFile, "--sim", "--json", "--check"], env);
      assert.equal(after.code, 0, after.stderr);
      assert.equal(JSON.parse(after.stdout).flashed, false);
      assert.equal(JSON.parse(after.stdout).identical_to_simulator, true);
      console.log(`Ctrl-C in live and a run after it: ${((performance.now() - t4) / 1000).toFixed(1)} s`);

      sim.kill("SIGTERM");
      assert.equal(await exited, 0, simErr);
      assert.ok(!existsSync(started.port), "pty removed");
      assert.ok(!existsSync(join(dir, "run", "sim.json")), "record removed");
      assert.match(simErr, /quart sim: stopped after \d+ cycles/);
    } finally {
      sim.kill("SIGKILL");
    }
  });

  test("quart sim killed outright (SIGKILL) while its simulator is paused: the simulator ends too", async () => {
    const dir = tempDir("sim-orphan");
    const env = { ...process.env, QUART_RUNTIME_DIR: join(dir, "run") };
    const sim = spawn(process.execPath, [CLI, "sim", "--json"], { env, stdio: ["ignore", "pipe", "ignore"] });
    const exited = new Promise<void>((resolve) => sim.on("exit", () => resolve()));
    const started = JSON.parse(await firstLine(sim));
    assert.ok(simRunning(started.sim_pid), "the simulator runs");
    assert.ok(await pausedSoon(started.sim_pid), "paused while no command is attached");
    sim.kill("SIGKILL");
    await exited;
    let gone = false;
    for (let i = 0; i < 250 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 20));
      gone = !simRunning(started.sim_pid);
    }
    assert.ok(gone, `simulator ${started.sim_pid} still there 5 s after quart sim was killed`);
  });
});

/** The process exists and is not a zombie (an orphan's new parent may not reap it at once). */
function simRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== "Z";
}
