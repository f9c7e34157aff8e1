/**
 * Table-driven encoder/decoder of 128-bit instructions, straight from spec.ts (no generated TS).
 * Byte i of an encoded instruction holds bits 8i..8i+7 (little-endian).
 */
import {
  DEP_FLAGS,
  ENUMS,
  type FieldDef,
  INSTR_BITS,
  INSTR_BYTES,
  type Instr,
  OPCODE_BITS,
  type OpcodeDef,
  opcodeByCode,
  opcodeDef,
} from "./spec.js";

export class IsaError extends Error {
  override name = "IsaError";
}

/** A field's value in an instruction (absent fields are 0). */
export function fieldValue(instr: Instr, name: string): number {
  return (instr as unknown as Record<string, number | undefined>)[name] ?? 0;
}

function checkValue(op: OpcodeDef, fd: FieldDef, v: number): void {
  if (!Number.isInteger(v) || v < fd.min || v > fd.max)
    throw new IsaError(`${op.name}.${fd.name} = ${v} is outside [${fd.min}, ${fd.max}]`);
  if (fd.enum && !ENUMS[fd.enum].values.some((e) => e.value === v))
    throw new IsaError(`${op.name}.${fd.name} = ${v} is not a ${fd.enum} value`);
}

/** Throws when a field is unknown to the opcode or its value does not fit. */
export function validateInstr(instr: Instr): OpcodeDef {
  const op = opcodeDef(instr.op);
  if (!op) throw new IsaError(`unknown opcode ${String(instr.op)}`);
  const known = new Set<string>(["op", ...DEP_FLAGS, ...op.fields.map((x) => x.name)]);
  for (const key of Object.keys(instr)) {
    if (!known.has(key)) throw new IsaError(`${op.name} has no field "${key}"`);
  }
  for (const flag of DEP_FLAGS) {
    const v = fieldValue(instr, flag);
    if (v !== 0 && v !== 1) throw new IsaError(`${op.name}.${flag} must be 0 or 1`);
    if (v && op.queue === "fetch")
      throw new IsaError(`${op.name} is not dispatched: dependency flags must be 0`);
  }
  for (const fd of op.fields) checkValue(op, fd, fieldValue(instr, fd.name));
  return op;
}

export function encodeWord(instr: Instr): bigint {
  const op = validateInstr(instr);
  let w = BigInt(op.code);
  DEP_FLAGS.forEach((flag, i) => {
    if (fieldValue(instr, flag)) w |= 1n << BigInt(OPCODE_BITS + i);
  });
  for (const fd of op.fields) {
    const stored = BigInt.asUintN(fd.width, BigInt(fieldValue(instr, fd.name) - (fd.offset ?? 0)));
    w |= stored << BigInt(fd.lsb);
  }
  return w;
}

export function decodeWord(w: bigint): Instr {
  const code = Number(w & BigInt(2 ** OPCODE_BITS - 1));
  const op = opcodeByCode(code);
  if (!op) throw new IsaError(`unknown opcode ${code}`);
  const out: Record<string, number | string> = { op: op.name };
  DEP_FLAGS.forEach((flag, i) => {
    out[flag] = Number((w >> BigInt(OPCODE_BITS + i)) & 1n);
  });
  let used = OPCODE_BITS + DEP_FLAGS.length;
  for (const fd of op.fields) {
    const raw = (w >> BigInt(fd.lsb)) & ((1n << BigInt(fd.width)) - 1n);
    const v = Number(fd.signed ? BigInt.asIntN(fd.width, raw) : raw) + (fd.offset ?? 0);
    out[fd.name] = v;
    used = fd.lsb + fd.width;
  }
  if (w >> BigInt(used) !== 0n)
    throw new IsaError(`${op.name}: reserved bits ${used}..${INSTR_BITS - 1} are not 0`);
  const instr = out as unknown as Instr;
  for (const fd of op.fields) {
    if (fd.enum) checkValue(op, fd, fieldValue(instr, fd.name));
  }
  return instr;
}

export function encodeInstr(instr: Instr, out = new Uint8Array(INSTR_BYTES), offset = 0): Uint8Array {
  let w = encodeWord(instr);
  for (let i = 0; i < INSTR_BYTES; i++) {
    out[offset + i] = Number(w & 0xffn);
    w >>= 8n;
  }
  return out;
}

export function decodeInstr(bytes: Uint8Array, offset = 0): Instr {
  let w = 0n;
  for (let i = INSTR_BYTES - 1; i >= 0; i--) w = (w << 8n) | BigInt(bytes[offset + i]!);
  return decodeWord(w);
}

export function encodeProgram(program: readonly Instr[]): Uint8Array {
  const out = new Uint8Array(program.length * INSTR_BYTES);
  program.forEach((instr, i) => {
    try {
      encodeInstr(instr, out, i * INSTR_BYTES);
    } catch (e) {
      throw new IsaError(`instruction ${i}: ${(e as Error).message}`);
    }
  });
  return out;
}

export function decodeProgram(bytes: Uint8Array): Instr[] {
  if (bytes.length % INSTR_BYTES !== 0)
    throw new IsaError(`program of ${bytes.length} bytes is not a multiple of ${INSTR_BYTES}`);
  const out: Instr[] = [];
  for (let i = 0; i < bytes.length; i += INSTR_BYTES) {
    try {
      out.push(decodeInstr(bytes, i));
    } catch (e) {
      throw new IsaError(`instruction ${i / INSTR_BYTES}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** The instruction with every field present (0 where absent): the canonical form decode returns. */
export function normalizeInstr(instr: Instr): Instr {
  const op = opcodeDef(instr.op);
  const out: Record<string, number | string> = { op: op.name };
  for (const flag of DEP_FLAGS) out[flag] = fieldValue(instr, flag);
  for (const fd of op.fields) out[fd.name] = fieldValue(instr, fd.name);
  return out as unknown as Instr;
}
