import assert from "node:assert/strict";
import { test } from "node:test";
import { layoutBytes } from "../../../compiler/lower/layout.js";
import { planMemory, type ValueRequest } from "../../../compiler/lower/memplan.js";

const v = (
  name: string,
  c: number,
  def: number,
  lastUse: number,
  extra: Partial<ValueRequest> = {},
): ValueRequest => ({
  name,
  shape: [1, c, 8, 9],
  ebits: 4,
  def,
  lastUse,
  ...extra,
});

test("values alive at the same time never overlap; dead ones are reused", () => {
  const chain = [v("x", 3, -1, 0), v("a", 8, 0, 1), v("b", 8, 1, 2), v("c", 8, 2, 3), v("y", 2, 3, Infinity)];
  const plan = planMemory(chain);
  const span = (n: string): [number, number] => {
    const l = plan.layouts.get(n)!;
    return [l.base, l.base + layoutBytes(l)];
  };
  for (const p of chain)
    for (const q of chain) {
      if (p === q || p.lastUse < q.def || q.lastUse < p.def) continue;
      const [a0, a1] = span(p.name);
      const [b0, b1] = span(q.name);
      assert.ok(a1 <= b0 || b1 <= a0, `${p.name} and ${q.name} overlap`);
    }
  assert.ok(plan.bytes < plan.unsharedBytes, "a and c share memory");
  assert.equal(plan.layouts.get("a")!.base, plan.layouts.get("c")!.base);
  for (const l of plan.layouts.values()) assert.equal(l.base % 16, 0);
});

test("concat inputs are channel slices of the concat output", () => {
  const plan = planMemory([
    v("x", 3, -1, 1),
    v("a", 4, 0, 2, { alias: { parent: "cat", channelOffset: 0 } }),
    v("b", 5, 1, 2, { alias: { parent: "cat", channelOffset: 4 } }),
    v("cat", 9, 2, 3),
    v("y", 1, 3, Infinity),
  ]);
  const cat = plan.layouts.get("cat")!;
  const b = plan.layouts.get("b")!;
  assert.equal(b.base, cat.base + 4 * cat.planeBytes);
  assert.equal(b.batchBytes, cat.batchBytes);
  assert.equal(b.c, 5);
  // The concat lives from its first input's definition: x (alive until 1) must not overlap it.
  const x = plan.layouts.get("x")!;
  assert.ok(x.base + layoutBytes(x) <= cat.base || cat.base + layoutBytes(cat) <= x.base);
});

test("alias errors are reported", () => {
  assert.throws(
    () => planMemory([v("a", 4, 0, 1, { alias: { parent: "nope", channelOffset: 0 } })]),
    /unknown "nope"/,
  );
  assert.throws(
    () => planMemory([v("a", 4, 0, 1, { alias: { parent: "c", channelOffset: 2 } }), v("c", 5, 1, 2)]),
    /overruns/,
  );
});
