/** Bad input gets a GraphError that names what is wrong and where. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx, UnsupportedOnnxOpError } from "../../../compiler/import/onnx.js";
import { GraphError } from "../../../compiler/ir/graph.js";
import { encodeModel, OnnxDataType, OnnxModelBuilder } from "../../helpers/onnx-build.js";
import { encodeBuilt, importBuilt } from "../../helpers/onnx-single.js";
import { buildVitDptOnnx } from "../../helpers/onnx-vit-dpt.js";

function graphError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GraphError, `expected a GraphError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test("an unsupported operator is named with its node index and name", () => {
  assert.throws(
    () => importBuilt((b) => b.op("NonMaxSuppression", [b.input("x", [1, 4])], {}, { name: "nms" })),
    (e: unknown) =>
      e instanceof UnsupportedOnnxOpError && e.opType === "NonMaxSuppression" && e.nodeIndex === 0,
  );
  graphError(
    () =>
      importBuilt((b) => {
        const x = b.op("Relu", [b.input("x", [1, 4])]);
        return b.op("NonMaxSuppression", [x], {}, { name: "nms_1" });
      }),
    /^unsupported ONNX operator "NonMaxSuppression" at node #1 "nms_1"$/,
  );
  graphError(
    () =>
      importBuilt((b) =>
        b.op("FusedConv", [b.input("x", [1, 4])], {}, { name: "fc", domain: "com.microsoft" }),
      ),
    /unsupported ONNX operator "FusedConv" \(domain "com.microsoft"\) at node #0 "fc"/,
  );
  graphError(
    () => importBuilt((b) => b.op("Equal", [b.input("x", [2]), b.weight("y", [2], [1, 2])])),
    /unsupported ONNX operator "Equal" at node #0 .*only supported when all its inputs are constants/,
  );
});

test("a node that is not needed for any output is never converted", () => {
  const g = importBuilt((b) => {
    const x = b.input("x", [2]);
    b.op("NonMaxSuppression", [x]);
    return b.op("Relu", [x]);
  });
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ["Relu"],
  );
});

test("truncated, empty and foreign files are not valid ONNX models", () => {
  const { bytes } = buildVitDptOnnx();
  graphError(
    () => importOnnx(bytes.subarray(0, Math.floor(bytes.length * 0.6))),
    /^not a valid ONNX model: .* at graph\.\w+\[\d+\]/,
  );
  graphError(() => importOnnx(bytes.subarray(0, 3)), /^not a valid ONNX model/);
  graphError(() => importOnnx(new Uint8Array()), /not a valid ONNX model: the file is empty/);
  const tflite = new Uint8Array([
    0x1c, 0, 0, 0, 0x54, 0x46, 0x4c, 0x33, 0x14, 0x00, 0x20, 0x00, 0xff, 0xff, 0xff, 0xff,
  ]);
  graphError(() => importOnnx(tflite), /^not a valid ONNX model/);
  graphError(
    () => importOnnx(encodeModel({ ir_version: 8, producer_name: "x" })),
    /ModelProto\.graph is missing/,
  );
});

test("a damaged nested field is reported by its path", () => {
  const bytes = encodeBuilt((b) => b.op("Relu", [b.input("x", [2])]));
  // Lengthen the last byte of the file into an impossible varint tail: the damage is inside graph.
  const graphTag = bytes.indexOf(0x3a); // field 7 (graph), wire type 2
  assert.ok(graphTag >= 0);
  const broken = bytes.slice();
  broken[graphTag + 1] = 0x7f; // claim 127 bytes of graph
  graphError(() => importOnnx(broken), /not a valid ONNX model: .*graph \(declares 127 bytes/);
});

test("dynamic dims: batch defaults to 1, other dims need inputShapes", () => {
  const build = (b: OnnxModelBuilder) => b.op("Relu", [b.input("image", ["batch", 3, "height", "width"])]);
  graphError(
    () => importBuilt(build),
    /graph input "image" dim 2 \("height"\) is dynamic; give the input's shape with inputShapes/,
  );
  const g = importBuilt(build, { inputShapes: { image: [1, 3, 8, 10] } });
  assert.deepEqual(g.values.get("image")?.shape, [1, 3, 8, 10]);
  const batchOnly = importBuilt((b) => b.op("Relu", [b.input("image", ["batch", 3, 4, 4])]));
  assert.deepEqual(batchOnly.values.get("image")?.shape, [1, 3, 4, 4]);
  graphError(
    () => importBuilt(build, { inputShapes: { image: [1, 3, 8] } }),
    /inputShapes\["image"\] has rank 3, the model declares rank 4/,
  );
  graphError(
    () => importBuilt(build, { inputShapes: { image: [1, 4, 8, 8] } }),
    /inputShapes\["image"\]\[1\] = 4, but the model fixes that dim to 3/,
  );
  graphError(
    () => importBuilt(build, { inputShapes: { img: [1, 3, 8, 8] } }),
    /inputShapes names "img", which is not a graph input/,
  );
});

test("a missing initializer or unknown input is named with its node", () => {
  graphError(
    () => importBuilt((b) => b.op("MatMul", [b.input("x", [2, 3]), "missing_weight"], {}, { name: "fc" })),
    /ONNX node #0 MatMul "fc": input "missing_weight" is not a graph input, an initializer or the output of an earlier node/,
  );
  graphError(() => {
    const b = new OnnxModelBuilder();
    b.op("Relu", [b.input("x", [2])]);
    b.output("nowhere");
    importOnnx(b.encode());
  }, /graph output "nowhere" is not produced by any node/);
});

test("shape arguments computed at runtime are refused with the input named", () => {
  graphError(
    () =>
      importBuilt((b) => {
        const shape = b.op("Cast", [b.input("s", [2])], { to: OnnxDataType.INT64 });
        return b.op("Reshape", [b.input("x", [2, 3]), shape], {}, { name: "rs" });
      }),
    /ONNX node #1 Reshape "rs": Reshape shape \(input 1, "cast_0"\) must be known at import time/,
  );
});

test("external data and out-of-range int64 values are refused", () => {
  const b = new OnnxModelBuilder();
  const x = b.input("x", [2]);
  b.output(b.op("Add", [x, b.weight("w", [2], [1, 2])]));
  const model = b.toModel();
  const init = model.graph!.initializer![0]!;
  init.raw_data = new Uint8Array();
  init.data_location = 1;
  init.external_data = [{ key: "location", value: "weights.bin" }];
  graphError(
    () => importOnnx(encodeModel(model)),
    /initializer #0 "w" keeps its data in an external file \("weights.bin"\)/,
  );
  graphError(
    () => importBuilt((b2) => b2.op("Reshape", [b2.input("x", [4]), b2.ints("s", [1n << 60n])])),
    /integer 1152921504606846976 is beyond ±2\^53/,
  );
});

test("an op-specific failure names the node", () => {
  graphError(
    () =>
      importBuilt((b) =>
        b.op(
          "Conv",
          [b.input("x", [1, 2, 8]), b.weight("w", [1, 2, 3], new Float32Array(6))],
          {},
          { name: "c1d" },
        ),
      ),
    /ONNX node #0 Conv "c1d": Conv input must be 4-D/,
  );
  graphError(
    () =>
      importBuilt((b) =>
        b.op("Pad", [b.input("x", [2, 2]), b.ints("p", [1, 1, 1, 1])], { mode: "wrap" }, { name: "p" }),
      ),
    /ONNX node #0 Pad "p": Pad mode "wrap" is not supported/,
  );
  graphError(
    () =>
      importBuilt((b) => b.op("Softmax", [b.input("x", [2, 2])], { axis: { float: 1.5 } }, { name: "sm" })),
    /ONNX node #0 Softmax "sm": attribute "axis" must be INT, got FLOAT/,
  );
});
