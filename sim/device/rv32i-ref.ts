/**
 * Reference interpreter for the RV32I subset of fpga/rtl/cpu/rv32i_cpu.v, with the same architectural
 * choices: ecall/ebreak/illegal/misaligned stop the CPU (no trap vector), FENCE/FENCE.I are no-ops, the
 * Zicsr instructions may only read cycle/time/instret(h), stores put replicated data on the bus.
 *
 * It prints the same trace lines as fpga/rtl/cpu/rv32i_cpu_tb.v, and models the CPU's cycle count for a
 * bus of fixed latency L (the CPI table of the RTL): L+3 cycles per instruction, L+4 for conditional
 * branches, 2L+4 for loads and stores, L+4+shamt for shifts; the counter CSRs are sampled L+1 cycles into
 * an instruction.
 */
import { constant } from "../../fpga/soc/map.js";

export const HALT = {
  ECALL: constant("HALT_ECALL"),
  EBREAK: constant("HALT_EBREAK"),
  ILLEGAL: constant("HALT_ILLEGAL"),
  MISALIGNED_FETCH: constant("HALT_MISALIGNED_FETCH"),
  MISALIGNED_LOAD: constant("HALT_MISALIGNED_LOAD"),
  MISALIGNED_STORE: constant("HALT_MISALIGNED_STORE"),
} as const;

export interface RefOptions {
  /** Bytes of memory at address 0, a power of two; addresses wrap (as in the testbench). */
  readonly memSize?: number;
  /** Bus latency in cycles from valid to ready, for the cycle model (1 in the testbench). */
  readonly busLatency?: number;
}

export interface RefResult {
  /** Trace lines, then `halt ...`, `end ...` and `mem ...` lines: the testbench's output format. */
  readonly lines: string[];
  readonly haltCause: number;
  readonly haltPc: number;
  readonly regs: Uint32Array;
  readonly cycles: bigint;
  readonly instret: bigint;
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
const sext = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

export class Rv32iRef {
  readonly x = new Uint32Array(32);
  readonly mem: Uint8Array;
  private readonly view: DataView;
  private readonly mask: number;
  private readonly latency: number;
  pc = 0;
  cycle = 0n;
  instret = 0n;
  haltCause = 0;

  constructor(image: Uint8Array, opts: RefOptions = {}) {
    const size = opts.memSize ?? 64 * 1024;
    if ((size & (size - 1)) !== 0) throw new Error("memSize must be a power of two");
    if (image.length > size) throw new Error("image larger than memory");
    this.mem = new Uint8Array(size);
    this.mem.set(image);
    this.view = new DataView(this.mem.buffer);
    this.mask = size - 1;
    this.latency = opts.busLatency ?? 1;
  }

  get halted(): boolean {
    return this.haltCause !== 0;
  }

  private word(addr: number): number {
    return this.view.getUint32(addr & this.mask & ~3, true);
  }

  private halt(cause: number, extraCycles = 0): null {
    this.haltCause = cause;
    this.cycle += BigInt(this.latency + 3 + extraCycles);
    return null;
  }

  /** Executes one instruction; returns its trace line, or null when the CPU halts on it. */
  step(): string | null {
    if (this.halted) return null;
    const L = this.latency;
    const pc = this.pc;
    const insn = this.word(pc);
    const opcode = insn & 0x7f;
    const rd = (insn >>> 7) & 31;
    const f3 = (insn >>> 12) & 7;
    const rs1 = (insn >>> 15) & 31;
    const rs2 = (insn >>> 20) & 31;
    const f7 = insn >>> 25;
    const a = this.x[rs1]!;
    const b = this.x[rs2]!;
    const immI = insn >> 20;
    const immS = ((insn >> 25) << 5) | ((insn >>> 7) & 31);
    const immB = sext(
      (((insn >>> 31) & 1) << 12) |
        (((insn >>> 7) & 1) << 11) |
        (((insn >>> 25) & 63) << 5) |
        (((insn >>> 8) & 15) << 1),
      13,
    );
    const immU = insn & 0xfffff000;
    const immJ = sext(
      (((insn >>> 31) & 1) << 20) |
        (((insn >>> 12) & 0xff) << 12) |
        (((insn >>> 20) & 1) << 11) |
        (((insn >>> 21) & 0x3ff) << 1),
      21,
    );
    const decodeCycle = this.cycle + BigInt(L + 1); // cycle counter value seen by a CSR read (DECODE)
    let result: number | undefined; // value for rd
    let next = (pc + 4) >>> 0;
    let store = "";
    let memAccess = false;
    let extraCycles = 0;

    switch (opcode) {
      case 0x37:
        result = immU;
        break;
      case 0x17:
        result = (pc + immU) >>> 0;
        break;
      case 0x6f: {
        const t = (pc + immJ) >>> 0;
        if (t & 2) return this.halt(HALT.MISALIGNED_FETCH);
        result = next;
        next = t;
        break;
      }
      case 0x67: {
        if (f3 !== 0) return this.halt(HALT.ILLEGAL);
        const t = ((a + immI) & ~1) >>> 0;
        if (t & 2) return this.halt(HALT.MISALIGNED_FETCH);
        result = next;
        next = t;
        break;
      }
      case 0x63: {
        let taken: boolean;
        switch (f3) {
          case 0:
            taken = a === b;
            break;
          case 1:
            taken = a !== b;
            break;
          case 4:
            taken = (a | 0) < (b | 0);
            break;
          case 5:
            taken = (a | 0) >= (b | 0);
            break;
          case 6:
            taken = a < b;
            break;
          case 7:
            taken = a >= b;
            break;
          default:
            return this.halt(HALT.ILLEGAL);
        }
        extraCycles = 1; // BRANCH state
        if (taken) {
          const t = (pc + immB) >>> 0;
          if (t & 2) return this.halt(HALT.MISALIGNED_FETCH, 1);
          next = t;
        }
        break;
      }
      case 0x03: {
        if (f3 === 3 || f3 >= 6) return this.halt(HALT.ILLEGAL);
        const addr = (a + immI) >>> 0;
        const size = 1 << (f3 & 3);
        if (addr & (size - 1)) return this.halt(HALT.MISALIGNED_LOAD);
        const w = this.word(addr) >>> ((addr & 3) * 8);
        if (f3 === 0) result = sext(w & 0xff, 8) >>> 0;
        else if (f3 === 1) result = sext(w & 0xffff, 16) >>> 0;
        else if (f3 === 4) result = w & 0xff;
        else if (f3 === 5) result = w & 0xffff;
        else result = w >>> 0;
        memAccess = true;
        break;
      }
      case 0x23: {
        if (f3 >= 3) return this.halt(HALT.ILLEGAL);
        const addr = (a + immS) >>> 0;
        const size = 1 << f3;
        if (addr & (size - 1)) return this.halt(HALT.MISALIGNED_STORE);
        const data = f3 === 0 ? (b & 0xff) * 0x01010101 : f3 === 1 ? (b & 0xffff) * 0x10001 : b;
        const strb = f3 === 0 ? 1 << (addr & 3) : f3 === 1 ? (addr & 2 ? 0xc : 0x3) : 0xf;
        const base = addr & this.mask & ~3;
        for (let i = 0; i < 4; i++) if (strb & (1 << i)) this.mem[base + i] = (data >>> (8 * i)) & 0xff;
        store = ` m[${hex8(addr)}]=${hex8(data)}/${strb.toString(16)}`;
        memAccess = true;
        break;
      }
      case 0x13:
      case 0x33: {
        const isOp = opcode === 0x33;
        const shift = (f3 & 3) === 1;
        if (isOp) {
          if (!(f7 === 0 || (f7 === 0x20 && (f3 === 0 || f3 === 5)))) return this.halt(HALT.ILLEGAL);
        } else if (shift && !(f7 === 0 || (f7 === 0x20 && f3 === 5))) {
          return this.halt(HALT.ILLEGAL);
        }
        const op2 = isOp ? b : immI >>> 0;
        const sh = op2 & 31;
        if (shift) extraCycles = sh + 1; // serial shifter: one bit per cycle, plus the final write
        switch (f3) {
          case 0:
            result = isOp && f7 === 0x20 ? (a - op2) >>> 0 : (a + op2) >>> 0;
            break;
          case 1:
            result = (a << sh) >>> 0;
            break;
          case 2:
            result = (a | 0) < (op2 | 0) ? 1 : 0;
            break;
          case 3:
            result = a < op2 >>> 0 ? 1 : 0;
            break;
          case 4:
            result = (a ^ op2) >>> 0;
            break;
          case 5:
            result = f7 === 0x20 ? (a >> sh) >>> 0 : a >>> sh;
            break;
          case 6:
            result = (a | op2) >>> 0;
            break;
          default:
            result = (a & op2) >>> 0;
        }
        break;
      }
      case 0x0f:
        if (f3 > 1) return this.halt(HALT.ILLEGAL);
        break;
      case 0x73: {
        if (insn === 0x00000073) return this.halt(HALT.ECALL);
        if (insn === 0x00100073) return this.halt(HALT.EBREAK);
        const csr = insn >>> 20;
        const known = (csr & 0xf7c) === 0xc00 && (csr & 3) !== 3;
        const writes = (f3 & 3) === 1 || rs1 !== 0;
        if ((f3 & 3) === 0 || !known || writes) return this.halt(HALT.ILLEGAL);
        const high = (csr & 0x80) !== 0;
        const counter = (csr & 3) === 2 ? this.instret : decodeCycle;
        result = Number(high ? (counter >> 32n) & 0xffffffffn : counter & 0xffffffffn);
        break;
      }
      default:
        return this.halt(HALT.ILLEGAL);
    }

    let line = `${hex8(pc)} ${hex8(insn)}`;
    if (result !== undefined && rd !== 0) {
      this.x[rd] = result;
      line += ` x${rd}=${hex8(result)}`;
    }
    line += store;
    this.pc = next;
    this.instret += 1n;
    this.cycle += BigInt((memAccess ? 2 * L + 4 : L + 3) + extraCycles);
    return line;
  }

  /** Runs until halt or `maxSteps`; returns the testbench-format output. */
  run(maxSteps = 1_000_000): RefResult {
    const lines: string[] = [];
    for (let i = 0; i < maxSteps && !this.halted; i++) {
      const line = this.step();
      if (line !== null) lines.push(line);
    }
    if (!this.halted) {
      lines.push(`timeout pc=${hex8(this.pc)}`);
    } else {
      lines.push(`halt cause=${this.haltCause} pc=${hex8(this.pc)}`);
      lines.push(`end cycles=${this.cycle} instret=${this.instret}`);
      for (let i = 0; i < this.mem.length; i += 4) {
        const w = this.view.getUint32(i, true);
        if (w !== 0) lines.push(`mem ${hex8(i)} ${hex8(w)}`);
      }
    }
    return {
      lines,
      haltCause: this.haltCause,
      haltPc: this.pc,
      regs: this.x.slice(),
      cycles: this.cycle,
      instret: this.instret,
    };
  }
}
