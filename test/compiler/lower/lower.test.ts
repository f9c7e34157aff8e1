import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeProgram, fieldValue } from "../../../compiler/isa/encode.js";
import { expandedList } from "../../../compiler/isa/loops.js";
import { asic28, icebreaker } from "../../../compiler/isa/targets.js";
import { lowerQGraph } from "../../../compiler/lower/index.js";
import { constant } from "../../../fpga/soc/map.js";
import { seededRandom } from "../../helpers/onnx-random.js";
import { QGraphBuilder, randomConvChoice, randomLin8, randomQGraph } from "../../helpers/random-qgraph.js";
import { tinyTarget } from "./fixtures.js";

test("lowered programs encode, end with FINISH, and their layers tile the program", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const g = randomQGraph({ seed });
    for (const t of [tinyTarget(), asic28]) {
      const l = lowerQGraph(g, t);
      assert.doesNotThrow(() => encodeProgram(l.program));
      assert.equal(l.program.at(-1)!.op, "FINISH");
      let at = 0;
      for (const layer of l.layers) {
        assert.equal(layer.firstWord, at, `${layer.name} starts where the previous layer ends`);
        at += layer.words;
      }
      assert.equal(at, l.program.length - 1);
      assert.equal(expandedList(l.program).length, l.layers.reduce((s, x) => s + x.dispatched, 0) + 1);
    }
  }
});

/** One conv over a tall input: many identical row tiles. */
function tallGraph(outKind: "lut4" | "lin8" = "lut4") {
  const r = seededRandom(5);
  const b = new QGraphBuilder(r);
  // tall enough for many equal row tiles at the icebreaker tiling (PSRAM timing favours tall tiles)
  const x = b.value("input", [1, 4, 1024, 40], randomLin8(r, 4));
  const y = b.conv(x, {
    ...randomConvChoice(r, 4, outKind),
    out: 8,
    k: [3, 3],
    stride: [1, 1],
    dil: [1, 1],
    pads: [1, 1, 1, 1],
    group: 1,
  });
  return b.graph(x, y);
}

test("repeated row tiles become LOOPs that expand to the same stream", () => {
  const l = lowerQGraph(tallGraph(), icebreaker, { ignoreArenaLimit: true });
  const flat = lowerQGraph(tallGraph(), icebreaker, { loops: false, ignoreArenaLimit: true });
  assert.ok(l.program.some((i) => i.op === "LOOP"));
  assert.ok(l.program.length * 2 <= flat.program.length, `${l.program.length} vs ${flat.program.length}`);
  assert.deepEqual(expandedList(l.program), expandedList(flat.program));
});

test("fusion off writes acc32 to memory and runs a separate vector pass", () => {
  const fused = lowerQGraph(tallGraph(), icebreaker, { ignoreArenaLimit: true });
  const unfused = lowerQGraph(tallGraph(), icebreaker, { fuse: false, ignoreArenaLimit: true });
  const ops = (p: typeof fused.program) => new Set(expandedList(p).map((i) => i.op));
  assert.ok(!ops(fused.program).has("VEC"));
  assert.ok(expandedList(fused.program).some((i) => i.op === "CONV" && fieldValue(i, "fuse") === 1));
  assert.ok(ops(unfused.program).has("VEC"));
  assert.ok(expandedList(unfused.program).every((i) => i.op !== "CONV" || fieldValue(i, "fuse") === 0));
  assert.deepEqual(
    unfused.layers.map((x) => x.op),
    ["conv", "vector"],
  );
  assert.ok(unfused.actBytes > fused.actBytes, "the acc32 temporary needs room");
});

test("an arena larger than the target's memory is refused with both sizes", () => {
  const r = seededRandom(1);
  const b = new QGraphBuilder(r);
  // more than the ACT arena the SoC's XMEM layout leaves
  const x = b.value("input", [1, 3, 1024, 1024], randomLin8(r, 3));
  const y = b.conv(x, {
    ...randomConvChoice(r, 3, "lut4"),
    out: 8,
    k: [1, 1],
    stride: [1, 1],
    dil: [1, 1],
    pads: [0, 0, 0, 0],
    group: 1,
  });
  assert.throws(
    () => lowerQGraph(b.graph(x, y), icebreaker),
    new RegExp(`activations need \\d+ bytes, target icebreaker has ${constant("XMEM_ACT_SIZE")}`),
  );
});

test("layers the instructions cannot express are refused with the reason", () => {
  const r = seededRandom(2);
  const mk = (patch: Partial<ReturnType<typeof randomConvChoice>>) => {
    const b = new QGraphBuilder(r);
    const x = b.value("input", [1, 2, 40, 40], randomLin8(r, 2));
    const y = b.conv(x, {
      ...randomConvChoice(r, 2, "lut4"),
      group: 1,
      stride: [1, 1],
      dil: [1, 1],
      ...patch,
    });
    return b.graph(x, y);
  };
  assert.throws(
    () => lowerQGraph(mk({ k: [1, 1], pads: [1, 0, 0, 0] }), asic28),
    /padding larger than the kernel extent/,
  );
  assert.throws(
    () => lowerQGraph(mk({ k: [3, 3], pads: [0, 0, 0, 0], stride: [32, 32] }), asic28),
    /strides must be ≤ 31/,
  );
  assert.throws(
    () => lowerQGraph(mk({ k: [3, 3], pads: [0, 0, 0, 0], dil: [8, 8] }), asic28),
    /dilations must be ≤ 7/,
  );
  const big = mk({ k: [3, 3], pads: [1, 1, 1, 1], weightBits: 8 });
  const node = big.nodes[0]!;
  if (node.op === "conv") node.bias[0] = 2 ** 31 - 10;
  assert.throws(() => lowerQGraph(big, asic28), /can overflow int32/);
});

test("a value feeding two concats is refused", () => {
  const r = seededRandom(3);
  const b = new QGraphBuilder(r);
  const x = b.value("input", [1, 2, 6, 6], randomLin8(r, 2));
  const ch = {
    ...randomConvChoice(r, 2, "lut4"),
    group: 1,
    k: [1, 1] as [number, number],
    pads: [0, 0, 0, 0] as const,
    stride: [1, 1] as [number, number],
    dil: [1, 1] as [number, number],
  };
  const a = b.conv(x, ch);
  const c = b.conv(x, ch);
  b.concat([a, c]);
  const d = b.concat([a, c]);
  assert.throws(() => lowerQGraph(b.graph(x, d), asic28), /feeds two concats/);
});
