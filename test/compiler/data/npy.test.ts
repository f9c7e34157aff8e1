import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { encodeNpy, type NpyArray, parseNpy, readNpy, writeNpyAtomic } from "../../../compiler/data/npy.js";
import { sharedDir, tempDir } from "../../helpers/data-fixtures.js";

const samples: NpyArray[] = [
  { dtype: "float32", shape: [2, 3], data: Float32Array.from([0.5, -1, 3.25, 1e-8, -0, 7]) },
  { dtype: "float64", shape: [3], data: Float64Array.from([Math.PI, -1e300, 2 ** -1074]) },
  { dtype: "int32", shape: [2, 1, 2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, 5]) },
  { dtype: "uint8", shape: [4], data: Uint8Array.from([0, 1, 128, 255]) },
  { dtype: "int8", shape: [2, 2], data: Int8Array.from([-128, 127, -1, 0]) },
  { dtype: "int16", shape: [3], data: Int16Array.from([-32768, 32767, 12]) },
  { dtype: "uint16", shape: [1, 3], data: Uint16Array.from([0, 65535, 4097]) },
  { dtype: "float32", shape: [], data: Float32Array.from([42]) },
  { dtype: "float32", shape: [0, 4], data: new Float32Array(0) },
];

/** Builds .npy bytes by hand from a header text, to test reading independently of the writer. */
function handMade(version: 1 | 2, header: string, payload: Uint8Array): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const len = Math.ceil((prefix + header.length + 1) / 16) * 16 - prefix;
  const text = `${header.padEnd(len - 1, " ")}\n`;
  const out = new Uint8Array(prefix + len + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, len, true);
  else view.setUint32(8, len, true);
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  out.set(payload, prefix + len);
  return out;
}

test("every supported dtype round-trips with its shape", () => {
  for (const array of samples) {
    const bytes = encodeNpy(array);
    assert.equal(bytes[6], 1, "version 1 header");
    const headerLen = bytes[8]! | (bytes[9]! << 8);
    assert.equal((10 + headerLen) % 64, 0, "data is 64-byte aligned");
    const back = parseNpy(bytes, "x.npy");
    assert.equal(back.dtype, array.dtype);
    assert.deepEqual(back.shape, array.shape);
    assert.deepEqual(Array.from(back.data), Array.from(array.data));
    assert.equal(back.data.constructor, array.data.constructor);
  }
});

test("header text written matches the numpy format", () => {
  const bytes = encodeNpy({ dtype: "float32", shape: [3], data: new Float32Array(3) });
  const headerLen = bytes[8]! | (bytes[9]! << 8);
  const header = new TextDecoder("latin1").decode(bytes.subarray(10, 10 + headerLen));
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/);
});

test("reads hand-made version 1 and version 2 files, spacing and quoting variants", () => {
  const payload = new Uint8Array(Int16Array.from([1, -2, 3, -4]).buffer);
  const v1 = handMade(1, `{"shape": (2, 2), "fortran_order": False, "descr": "<i2"}`, payload);
  assert.deepEqual(Array.from(parseNpy(v1, "v1.npy").data), [1, -2, 3, -4]);
  const v2 = handMade(2, "{'descr':'|u1','fortran_order':False,'shape':(8,)}", payload);
  const back = parseNpy(v2, "v2.npy");
  assert.equal(back.dtype, "uint8");
  assert.deepEqual(back.shape, [8]);
  const bool = parseNpy(
    handMade(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", Uint8Array.from([1, 0])),
    "b",
  );
  assert.deepEqual(Array.from(bool.data), [1, 0]);
});

test("unsupported or broken files are refused with the reason", () => {
  const payload = new Uint8Array(16);
  assert.throws(
    () =>
      parseNpy(handMade(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload), "f.npy"),
    /f\.npy: Fortran-ordered/,
  );
  assert.throws(
    () =>
      parseNpy(handMade(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", payload), "be.npy"),
    /be\.npy: unsupported \.npy dtype '>f4' \(big-endian/,
  );
  assert.throws(
    () =>
      parseNpy(handMade(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", payload), "c.npy"),
    /unsupported \.npy dtype '<c8'/,
  );
  assert.throws(
    () =>
      parseNpy(
        handMade(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", payload),
        "s",
      ),
    /structured or missing dtype/,
  );
  const full = encodeNpy({ dtype: "float32", shape: [10], data: new Float32Array(10) });
  assert.throws(
    () => parseNpy(full.subarray(0, full.length - 4), "cut.npy"),
    /cut\.npy: \.npy data truncated.*needs 40 bytes, file has 36/,
  );
  assert.throws(() => parseNpy(full.subarray(0, 30), "head.npy"), /head\.npy: truncated \.npy header/);
  assert.throws(() => parseNpy(Uint8Array.from([1, 2, 3]), "junk.npy"), /junk\.npy: not a \.npy file/);
  assert.throws(
    () => parseNpy(handMade(1, "{'descr': '<f4', 'shape': (2, ", payload), "bad.npy"),
    /bad\.npy: malformed \.npy header/,
  );
});

test("encodeNpy rejects inconsistent arrays", () => {
  assert.throws(
    () => encodeNpy({ dtype: "float32", shape: [2, 2], data: new Float32Array(3) }),
    /holds 4 values, data has 3/,
  );
  assert.throws(
    () => encodeNpy({ dtype: "int16", shape: [1], data: new Float32Array(1) }),
    /does not match data of type Float32Array/,
  );
});

test("writeNpyAtomic then readNpy", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const path = join(dir, "a.npy");
  writeNpyAtomic(path, samples[0]!);
  const back = readNpy(path);
  assert.deepEqual(Array.from(back.data), Array.from(samples[0]!.data));
  assert.deepEqual(readdirSync(dir), ["a.npy"]);
  assert.throws(() => readNpy(join(dir, "none.npy")), /none\.npy: \.npy file not found/);
});

test("reads the pydnet-mobile reference inputs", (t) => {
  const path = join(sharedDir(), "models", "pydnet-mobile", "reference_inputs.npy");
  if (!existsSync(path)) {
    t.skip(`shared reference file not found at ${path}`);
    return;
  }
  const array = readNpy(path);
  assert.equal(array.dtype, "float32");
  assert.deepEqual(array.shape, [4, 3, 192, 640]);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of array.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo >= 0 && hi <= 1 && hi > 0.5, `RGB inputs in [0, 1], got ${lo}..${hi}`);
});
