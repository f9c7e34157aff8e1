/**
 * Message bodies: MessagePack maps keyed by small integers (one byte each), checked against spec.ts.
 * msgpackr packs a Map in insertion order; we insert in key order, so bodies are canonical and the
 * firmware's encoder produces the same bytes.
 */
import { Packr, Unpackr } from "msgpackr";
import { FramingError } from "./errors.js";
import { type FieldSpec, type FieldType, MESSAGES, type MessageName } from "./spec.js";

type ValueOf<T extends FieldType> = T extends "bool"
  ? boolean
  : T extends "bin"
    ? Uint8Array
    : T extends "str"
      ? string
      : T extends "u32[]"
        ? readonly number[]
        : number;

type FieldsOf<M extends MessageName> = (typeof MESSAGES)[M]["fields"][number];

/** The typed body of message M: required fields mandatory, optional fields optional. */
export type Body<M extends MessageName> = {
  [F in FieldsOf<M> as F["required"] extends true ? F["name"] : never]: ValueOf<F["type"]>;
} & {
  [F in FieldsOf<M> as F["required"] extends true ? never : F["name"]]?: ValueOf<F["type"]>;
};

export type FieldValue = boolean | number | string | Uint8Array | readonly number[];

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false });

const INT_MAX: Partial<Record<FieldType, number>> = { u8: 0xff, u16: 0xffff, u32: 0xffffffff };

function check(name: MessageName, f: FieldSpec, v: unknown): FieldValue {
  const bad = (why: string) => new FramingError(`${name}.${f.name}: ${why}`);
  const max = INT_MAX[f.type];
  if (max !== undefined) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
      throw bad(`expected ${f.type}, got ${String(v)}`);
    return v;
  }
  switch (f.type) {
    case "bool":
      if (typeof v !== "boolean") throw bad("expected bool");
      return v;
    case "bin":
      if (!(v instanceof Uint8Array)) throw bad("expected bytes");
      if (f.max !== undefined && v.length > f.max) throw bad(`${v.length} bytes exceed ${f.max}`);
      return new Uint8Array(v.buffer, v.byteOffset, v.length);
    case "str":
      if (typeof v !== "string") throw bad("expected string");
      if (f.max !== undefined && Buffer.byteLength(v) > f.max) throw bad(`longer than ${f.max} bytes`);
      return v;
    default:
      if (
        !Array.isArray(v) ||
        v.some((x) => typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 0xffffffff)
      )
        throw bad("expected an array of u32");
      if (f.max !== undefined && v.length > f.max) throw bad(`more than ${f.max} elements`);
      return v as number[];
  }
}

/** Packs a body; throws FramingError when a field is missing, of the wrong type or too long. */
export function encodeBody<M extends MessageName>(name: M, body: Body<M>): Uint8Array {
  const fields: readonly FieldSpec[] = MESSAGES[name].fields;
  const values = body as Record<string, unknown>;
  const map = new Map<number, FieldValue>();
  for (const f of fields) {
    const v = values[f.name];
    if (v === undefined) {
      if (f.required) throw new FramingError(`${name}.${f.name}: required field missing`);
      continue;
    }
    map.set(f.key, check(name, f, v));
  }
  const packed = packr.pack(map);
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.length);
}

/** Unpacks and checks a body. Unknown keys are ignored (a newer peer's optional fields). */
export function decodeBody<M extends MessageName>(name: M, bytes: Uint8Array): Body<M> {
  let raw: unknown;
  try {
    raw = unpackr.unpack(bytes);
  } catch (e) {
    throw new FramingError(`${name}: malformed MessagePack (${(e as Error).message})`);
  }
  if (!(raw instanceof Map)) throw new FramingError(`${name}: body is not a map`);
  const fields: readonly FieldSpec[] = MESSAGES[name].fields;
  const out: Record<string, FieldValue> = {};
  for (const f of fields) {
    const v: unknown = raw.get(f.key);
    if (v === undefined) {
      if (f.required) throw new FramingError(`${name}.${f.name}: required field missing`);
      continue;
    }
    out[f.name] = check(name, f, v);
  }
  return out as Body<M>;
}
