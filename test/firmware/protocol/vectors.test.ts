/**
 * The firmware protocol code (C, built natively) against the shared vectors that the TypeScript side
 * generated: CRC, COBS, frames (both ways, invalid ones, every single-byte corruption) and message bodies
 * (decode, then re-encode to the same bytes).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { MESSAGES, type MessageSpec } from "../../../host/protocol/spec.js";
import type { JsonField } from "../../../host/protocol/vectors.js";
import { bodyVectors, cobsVectors, crcVectors, frameVectors } from "../../host/protocol/vectors.js";
import { buildNative, gccMissing } from "./native-build.js";

const skip = gccMissing();

/** Runs the C driver on one command per line; returns one answer per command. */
function driver(commands: readonly string[]): string[] {
  const out = execFileSync(buildNative("vectors_driver"), {
    input: `${commands.join("\n")}\n`,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const lines = out.split("\n").slice(0, -1);
  assert.equal(lines.length, commands.length, "one answer per command");
  return lines;
}

/** The driver's dump of a decoded body, computed from the vector's JSON fields. */
function expectedDump(message: keyof typeof MESSAGES, fields: Record<string, JsonField>): string {
  const spec: MessageSpec = MESSAGES[message];
  const parts: string[] = [];
  for (const f of spec.fields) {
    const v = fields[f.name];
    if (v === undefined) continue;
    const shown =
      f.type === "bool"
        ? String(v)
        : f.type === "bin"
          ? `x:${v}`
          : f.type === "str"
            ? `s:${Buffer.from(v as string).toString("hex")}`
            : f.type === "u32[]"
              ? `[${(v as number[]).join(",")}]`
              : String(v);
    parts.push(`${f.key}=${shown}`);
  }
  return parts.join(" ");
}

test("C CRC-32 and COBS match the shared vectors", { skip }, () => {
  const crcs = crcVectors();
  const cobs = cobsVectors();
  const answers = driver([
    ...crcs.map((v) => `crc ${v.data}`),
    ...cobs.map((v) => `cobs ${v.data}`),
    ...cobs.map((v) => `uncobs ${v.encoded}00`),
    "uncobs 05010200",
  ]);
  for (const [i, v] of crcs.entries()) assert.equal(answers[i], v.crc, v.name);
  for (const [i, v] of cobs.entries()) assert.equal(answers[crcs.length + i], v.encoded, `encode ${v.name}`);
  for (const [i, v] of cobs.entries())
    assert.equal(answers[crcs.length + cobs.length + i], v.data, `decode ${v.name}`);
  assert.equal(answers.at(-1), "invalid", "a truncated COBS block");
});

test("C frames: same wire bytes as the host, parsed back, invalid ones rejected", { skip }, () => {
  const { vectors, invalid } = frameVectors();
  const answers = driver([
    ...vectors.map((v) => `frame ${v.type} ${v.flags} ${v.seq} ${v.payload}`),
    ...vectors.map((v) => `parse 00${v.wire}`),
    ...invalid.map((v) => `parse ${v.wire}`),
    // garbage, then two frames back to back: resynchronisation at the delimiter
    `parse 1234fe00ff00${vectors[0]!.wire}${vectors[4]!.wire}`,
  ]);
  const n = vectors.length;
  for (const [i, v] of vectors.entries()) assert.equal(answers[i], v.wire, `encode ${v.name}`);
  for (const [i, v] of vectors.entries())
    assert.equal(answers[n + i], `ok ${v.type} ${v.flags} ${v.seq} ${v.payload}`, `parse ${v.name}`);
  for (const [i, v] of invalid.entries()) assert.equal(answers[2 * n + i], "bad", v.name);
  const f = (v: (typeof vectors)[number]) => `ok ${v.type} ${v.flags} ${v.seq} ${v.payload}`;
  assert.equal(answers.at(-1), `bad;bad;${f(vectors[0]!)};${f(vectors[4]!)}`);
});

test("C parser rejects every single-byte substitution, deletion and duplication of each vector frame", {
  skip,
}, () => {
  const { vectors } = frameVectors();
  const answers = driver(vectors.map((v) => `flips ${v.wire}`));
  vectors.forEach((v, i) => {
    const wireBytes = v.wire.length / 2;
    assert.equal(answers[i], `trials=${wireBytes * 257} accepted=0`, v.name);
  });
});

test("C bodies: decode the host's bytes to the same fields and re-encode them byte for byte", {
  skip,
}, () => {
  const { vectors, invalid } = bodyVectors();
  const answers = driver([
    ...vectors.map((v) => `body ${v.op} ${v.hex}`),
    ...invalid.map((v) => `body ${v.op} ${v.hex}`),
  ]);
  vectors.forEach((v, i) => {
    const dump = expectedDump(v.message, v.fields);
    assert.equal(answers[i], `rc=0${dump ? ` ${dump}` : ""} | ${v.hex}`, v.name);
  });
  for (const [i, v] of invalid.entries()) assert.match(answers[vectors.length + i]!, /^rc=2 /, v.name);
});
