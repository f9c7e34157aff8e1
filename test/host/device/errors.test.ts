/**
 * The device commands' failures that need no device: a corrupt or absent blob, an unreadable image, an
 * unknown device, bad `quart sim` options, a blob for another ISA than the firmware's — each one line on
 * stderr, a non-zero exit, and no output file. And no host command writes a file except through the
 * atomic writer (temporary file + rename), so none can leave a half-written output behind.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readBlob } from "../../../compiler/blob/reader.js";
import { contentsFromLowered, encodeBlob } from "../../../compiler/blob/writer.js";
import { encodeNpy } from "../../../compiler/data/npy.js";
import { icebreaker } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { checkDeviceIsa } from "../../../host/commands/device.js";
import type { DeviceInfo } from "../../../host/protocol/index.js";
import { fromRoot } from "../../../sim/device/paths.js";
import { tempDir } from "../../fpga/cpu/cpu-harness.js";
import { randomQGraph } from "../../helpers/random-qgraph.js";

const CLI = fromRoot("dist/host/cli.js");

function quart(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

test("device commands refuse bad input with one line, a non-zero exit and no output file", async () => {
  const dir = tempDir("device-errors");
  // No running quart sim can be attached to from here.
  const env = { ...process.env, QUART_RUNTIME_DIR: join(dir, "run") };
  const g = randomQGraph({ seed: 2, input: [1, 3, 6, 6], layers: 1 });
  const good = join(dir, "good.bin");
  writeFileSync(
    good,
    encodeBlob(contentsFromLowered(lowerQGraph(g, icebreaker, { ignoreArenaLimit: true }))),
  );
  const corrupt = join(dir, "corrupt.bin");
  const bytes = readFileSync(good);
  bytes[bytes.length - 1]! ^= 0xff;
  writeFileSync(corrupt, bytes);
  const notImage = join(dir, "frame.png");
  writeFileSync(notImage, "not a png at all");
  const input = join(dir, "in.npy");
  writeFileSync(input, encodeNpy({ dtype: "uint8", shape: [1, 3, 6, 6], data: new Uint8Array(108) }));
  const frames = join(dir, "frames");
  const out = join(dir, "out.npy");
  const cases: [string[], RegExp][] = [
    [["run", corrupt, input, "--sim", "-o", out], /corrupt\.bin is not a usable model blob: blob check/],
    [["run", join(dir, "absent.bin"), input, "--sim", "-o", out], /cannot read .*absent\.bin: ENOENT/],
    [["run", good, notImage, "--sim", "-o", out], /cannot read .*frame\.png as an image/],
    [["run", good, join(dir, "absent.png"), "--sim", "-o", out], /cannot read .*absent\.png as an image/],
    [["bench", corrupt, "--sim"], /corrupt\.bin is not a usable model blob/],
    [["live", "--frames", frames, "--model", corrupt, "--sim"], /corrupt\.bin is not a usable model blob/],
    [
      ["run", good, input, "--port", "/dev/quart-no-such-port", "-o", out],
      /serial port \/dev\/quart-no-such-port does not exist/,
    ],
    [
      ["run", good, input, "--usb", "dead:beef", "-o", out],
      /no USB device dead:beef|usb unavailable|cannot list USB devices/,
    ],
    [["info", "--sim", "--usb", "1209:0001"], /give one device/],
    [["info", "--usb", "1209:0001", "--baud", "9600"], /--baud applies to serial ports/],
    [["info", "--tcp", "host:port"], /bad --tcp "host:port": give HOST:PORT or PORT/],
    [["info", "--tcp", "127.0.0.1:1"], /cannot connect to 127\.0\.0\.1:1: connect ECONNREFUSED/],
    [["sim", "--tcp", "http"], /--tcp must be a TCP port number/],
    [["sim", "--drop-rate", "2"], /--drop-rate must be a probability/],
    [["sim", "--baud", "fast"], /--baud must be an integer rate/],
    [["sim", "--fault-dir", "up"], /--fault-dir must be rx, tx or both/],
  ];
  for (const [args, pattern] of cases) {
    const r = await quart(args, env);
    assert.notEqual(r.code, 0, `${args.join(" ")} should fail`);
    assert.match(r.stderr, pattern, `${args.join(" ")} → ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
    assert.equal(r.stdout, "", args.join(" "));
  }
  assert.equal(existsSync(out), false, "no output file");
});

test("a blob for another ISA than the firmware's is refused before flashing", () => {
  const g = randomQGraph({ seed: 2, input: [1, 3, 6, 6], layers: 1 });
  const blob = readBlob(
    encodeBlob(contentsFromLowered(lowerQGraph(g, icebreaker, { ignoreArenaLimit: true }))),
  );
  const hex = (v: number) => (v >>> 0).toString(16).padStart(8, "0");
  const info = (firmware: string) => ({ firmware }) as DeviceInfo;
  const v = blob.header.isaVersion;
  checkDeviceIsa(info(`fw2 isa${v}.${hex(blob.header.isaHash)} map.00000000`), blob, "m.bin");
  checkDeviceIsa(info("some other firmware"), blob, "m.bin");
  assert.throws(
    () => checkDeviceIsa(info(`fw2 isa${v}.${hex(blob.header.isaHash ^ 1)} map.00000000`), blob, "m.bin"),
    /m\.bin is for ISA v\d+ \(hash 0x[0-9a-f]{8}\), the device runs v\d+ \(hash 0x[0-9a-f]{8}\): update the firmware or recompile/,
  );
  assert.throws(() =>
    checkDeviceIsa(info(`fw2 isa${v + 1}.${hex(blob.header.isaHash)} map.00000000`), blob, "m.bin"),
  );
});

test("host code writes files only through the atomic writer", () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(n)) files.push(p);
    }
  };
  walk(fromRoot("host"));
  assert.ok(files.length > 30, `${files.length} host sources`);
  const direct = /\b(writeFileSync|writeFile|appendFileSync|appendFile|createWriteStream|writeSync)\s*\(/;
  const offenders = files.filter((f) => direct.test(readFileSync(f, "utf8")));
  assert.deepEqual(offenders, [], "writes outside compiler/data/atomic-write.ts");
});
