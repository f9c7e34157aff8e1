/**
 * Text assembler and disassembler, driven by spec.ts. One instruction per line:
 *
 *   LOAD pop_next push_next buf=INP seg=ACT ebits=E4 ext=0x40 addr=0 n0=16 n1=5 n2=3 pitch=16 rows=16
 *
 * Dependency flags are bare words, fields are `name=value` (decimal, 0x hex, negative, or an enum name),
 * omitted fields take their smallest value (0, or 1 for counts). `#` or `;` starts a comment. The disassembler
 * indents LOOP bodies; indentation is ignored when assembling.
 */
import { fieldValue, IsaError, validateInstr } from "./encode.js";
import { DEP_FLAGS, type DepFlag, ENUMS, type Instr, OPCODES, type OpcodeDef } from "./spec.js";

const BY_MNEMONIC = new Map(OPCODES.map((o) => [o.name.toLowerCase(), o]));

function parseValue(op: OpcodeDef, field: string, text: string, line: number): number {
  const fd = op.fields.find((x) => x.name === field);
  if (!fd) throw new IsaError(`line ${line}: ${op.name} has no field "${field}"`);
  if (fd.enum) {
    const e = ENUMS[fd.enum].values.find((v) => v.name.toLowerCase() === text.toLowerCase());
    if (e) return e.value;
  }
  const neg = text.startsWith("-");
  const body = neg ? text.slice(1) : text;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(body))
    throw new IsaError(`line ${line}: bad value "${text}" for ${field}`);
  const v = Number(body);
  return neg ? -v : v;
}

export function assembleLine(text: string, line = 1): Instr | undefined {
  const code = text.replace(/[#;].*$/, "").trim();
  if (!code) return undefined;
  const [mnemonic, ...rest] = code.split(/\s+/);
  const op = BY_MNEMONIC.get(mnemonic!.toLowerCase());
  if (!op) throw new IsaError(`line ${line}: unknown mnemonic "${mnemonic}"`);
  const out: Record<string, number | string> = { op: op.name };
  for (const fd of op.fields) if (fd.min !== 0) out[fd.name] = fd.min;
  for (const tok of rest) {
    const eq = tok.indexOf("=");
    if (eq < 0) {
      if (!(DEP_FLAGS as readonly string[]).includes(tok))
        throw new IsaError(`line ${line}: "${tok}" is neither a dependency flag nor field=value`);
      out[tok as DepFlag] = 1;
      continue;
    }
    const name = tok.slice(0, eq);
    out[name] = parseValue(op, name, tok.slice(eq + 1), line);
  }
  const instr = out as unknown as Instr;
  try {
    validateInstr(instr);
  } catch (e) {
    throw new IsaError(`line ${line}: ${(e as Error).message}`);
  }
  return instr;
}

export function assemble(text: string): Instr[] {
  const out: Instr[] = [];
  text.split("\n").forEach((l, i) => {
    const instr = assembleLine(l, i + 1);
    if (instr) out.push(instr);
  });
  return out;
}

function hexish(v: number): string {
  return v >= 4096 ? `0x${v.toString(16)}` : String(v);
}

export function disassembleInstr(instr: Instr): string {
  const op = OPCODES.find((o) => o.name === instr.op)!;
  const parts: string[] = [op.name];
  for (const flag of DEP_FLAGS) if (fieldValue(instr, flag)) parts.push(flag);
  for (const fd of op.fields) {
    const v = fieldValue(instr, fd.name);
    if (fd.enum) {
      const e = ENUMS[fd.enum].values.find((x) => x.value === v);
      parts.push(`${fd.name}=${e ? e.name : v}`);
    } else if (v !== fd.min) {
      parts.push(`${fd.name}=${fd.signed ? v : hexish(v)}`);
    }
  }
  return parts.join(" ");
}

/** One line per instruction; LOOP bodies are indented by two spaces per level. */
export function disassemble(program: readonly Instr[]): string {
  const lines: string[] = [];
  const ends: number[] = [];
  program.forEach((instr, i) => {
    while (ends.length && ends[ends.length - 1]! <= i) ends.pop();
    lines.push(`${"  ".repeat(ends.length)}${disassembleInstr(instr)}`);
    if (instr.op === "LOOP") {
      const patches = fieldValue(instr, "patches");
      ends.push(i + 1 + patches + fieldValue(instr, "body"));
    }
  });
  return `${lines.join("\n")}\n`;
}
