/**
 * The instruction-level simulator: the fetch unit (loop expansion), the three queues with their
 * dependency tokens, DMA, the matrix and vector units, over a memory model sized as the target sizes
 * it. Instructions run one at a time in dispatch order (a legal interleaving: every pop takes a token
 * pushed earlier in program order); the hazard checker proves the tokens order every conflicting
 * access between queues, so the result is the same for any timing the hardware produces.
 */
import { disassembleInstr } from "../../compiler/isa/asm.js";
import { normalizeInstr } from "../../compiler/isa/encode.js";
import { expandLoops } from "../../compiler/isa/loops.js";
import { EBITS, ENUMS, type Instr, type OpName, opcodeDef, rowBytes } from "../../compiler/isa/spec.js";
import type { Target } from "../../compiler/isa/targets.js";
import { AccessMerger, HazardChecker, type Module } from "./hazards.js";
import { copyInRow, copyOutRow, SimError, TableView } from "./memory.js";
import { execNorm, execSmax, normFootprint, smaxFootprint } from "./tokens.js";
import {
  type Buffers,
  convFootprint,
  execConv,
  execResize,
  execVec,
  type Fields,
  type Footprint,
  resizeFootprint,
  vecFootprint,
} from "./units.js";

export interface MachineImage {
  readonly program: readonly Instr[];
  readonly weights: Uint8Array;
  readonly tables: Uint8Array;
  /** Bytes of the activation arena the program uses. */
  readonly actBytes: number;
}

export interface SimOptions {
  /**
   * Vector-clock race detection between the queues. Default: on for arenas up to 32 MiB (it keeps 17
   * bytes of history per tracked byte); turn it off for long evaluations.
   */
  checkHazards?: boolean;
  /** Receives one line per dispatched instruction. */
  trace?: (line: string) => void;
}

export interface Counters {
  /** Program words (LOOP/LPATCH included). */
  words: number;
  /** Instructions dispatched to the queues, by opcode. */
  instructions: Partial<Record<OpName, number>>;
  dispatched: number;
  /** Multiply-accumulates executed by the array (padding taps included). */
  macs: number;
  /** Results produced by the vector unit (fused CONV, VEC, RESIZE). */
  vectorOutputs: number;
  /** Bytes moved by DMA, by opcode and by segment. */
  dmaBytes: { LOAD: number; LOADT: number; STORE: number };
  segmentBytes: { ACT: { read: number; write: number }; WGT: { read: number }; TBL: { read: number } };
  /** Tokens pushed per queue pair, and tokens never popped. */
  tokens: { pushed: Record<TokenQueue, number>; left: Record<TokenQueue, number> };
}

type TokenQueue = "l2c" | "c2l" | "c2s" | "s2c";

const MODULE: Record<string, Module> = { load: 0, compute: 1, store: 2 };
const HAZARD_DEFAULT_LIMIT = 32 * 1024 * 1024;
const SEG_NAMES = ENUMS.seg.values.map((v) => v.name);
const BUF_NAMES = ENUMS.buf.values.map((v) => v.name);

/** Which queue a dep flag of module m pops from / pushes to. */
function tokenQueue(
  m: Module,
  flag: "pop_prev" | "pop_next" | "push_prev" | "push_next",
): TokenQueue | undefined {
  const table: Record<Module, Partial<Record<typeof flag, TokenQueue>>> = {
    0: { pop_next: "c2l", push_next: "l2c" },
    1: { pop_prev: "l2c", pop_next: "s2c", push_prev: "c2l", push_next: "c2s" },
    2: { pop_prev: "c2s", push_prev: "s2c" },
  };
  return table[m][flag];
}

export class IsaMachine {
  readonly act: Uint8Array;
  private readonly buffers: Buffers;
  private readonly segs: Uint8Array[];
  private readonly hazards?: HazardChecker;
  private ccfg?: Fields;
  private vcfg?: Fields;
  private rcfg?: Fields;
  private readonly queues: Record<TokenQueue, number[][]> = { l2c: [], c2l: [], c2s: [], s2c: [] };
  private finished = false;
  readonly counters: Counters;

  constructor(
    readonly target: Target,
    private readonly image: MachineImage,
    private readonly opts: SimOptions = {},
  ) {
    if (image.actBytes > target.segments.ACT.bytes)
      throw new SimError(
        `the program needs ${image.actBytes} bytes of ACT memory, ${target.name} has ${target.segments.ACT.bytes}`,
      );
    this.act = new Uint8Array(image.actBytes);
    this.segs = [this.act, image.weights, image.tables];
    const acc = new Uint8Array(target.buffers.ACC);
    this.buffers = {
      INP: new Uint8Array(target.buffers.INP),
      WGT: new Uint8Array(target.buffers.WGT),
      ACC: acc,
      ACC32: new Int32Array(acc.buffer, 0, acc.length >> 2),
      OUT: new Uint8Array(target.buffers.OUT),
      TBL: new TableView(new Uint8Array(target.buffers.TBL)),
    };
    if (opts.checkHazards ?? image.actBytes <= HAZARD_DEFAULT_LIMIT) {
      this.hazards = new HazardChecker();
      this.hazards.track("INP", target.buffers.INP);
      this.hazards.track("WGT", target.buffers.WGT);
      this.hazards.track("OUT", target.buffers.OUT);
      this.hazards.track("ACT", image.actBytes);
    }
    this.counters = {
      words: image.program.length,
      instructions: {},
      dispatched: 0,
      macs: 0,
      vectorOutputs: 0,
      dmaBytes: { LOAD: 0, LOADT: 0, STORE: 0 },
      segmentBytes: { ACT: { read: 0, write: 0 }, WGT: { read: 0 }, TBL: { read: 0 } },
      tokens: { pushed: { l2c: 0, c2l: 0, c2s: 0, s2c: 0 }, left: { l2c: 0, c2l: 0, c2s: 0, s2c: 0 } },
    };
  }

  run(): Counters {
    for (const d of expandLoops(this.image.program)) {
      if (this.finished) throw new SimError(`word ${d.word}: ${d.instr.op} after FINISH`);
      const instr = normalizeInstr(d.instr);
      try {
        this.step(instr, d.word);
      } catch (e) {
        if (e instanceof SimError)
          throw new SimError(`word ${d.word} (${disassembleInstr(instr)}): ${e.message}`);
        throw e;
      }
    }
    if (!this.finished) throw new SimError("the program ended without FINISH");
    for (const q of Object.keys(this.queues) as TokenQueue[])
      this.counters.tokens.left[q] = this.queues[q].length;
    const left = Object.entries(this.counters.tokens.left).filter(([, n]) => n > 0);
    // A token nobody pops means a push without its pop: the program's synchronisation is off by one.
    if (left.length)
      throw new SimError(`tokens left at FINISH: ${left.map(([q, n]) => `${q} ${n}`).join(", ")}`);
    return this.counters;
  }

  private step(instr: Instr, word: number): void {
    const op = opcodeDef(instr.op);
    const m = MODULE[op.queue]!;
    const f = instr as unknown as Fields;
    const c = this.counters;
    c.dispatched++;
    c.instructions[op.name] = (c.instructions[op.name] ?? 0) + 1;
    this.opts.trace?.(`${c.dispatched - 1} ${word} ${disassembleInstr(instr)}`);
    this.hazards?.begin(m, `${op.name} (word ${word}, dispatch #${c.dispatched - 1})`);
    for (const flag of ["pop_prev", "pop_next"] as const) {
      if (!f[flag]) continue;
      const q = tokenQueue(m, flag);
      if (!q) throw new SimError(`${flag} has no queue in the ${op.queue} module`);
      const token = this.queues[q].shift();
      if (!token)
        throw new SimError(`${flag}: no token in ${q} (a pop must follow its push in program order)`);
      this.hazards?.join(m, token);
    }
    this.execute(op.name, f, m);
    for (const flag of ["push_prev", "push_next"] as const) {
      if (!f[flag]) continue;
      const q = tokenQueue(m, flag);
      if (!q) throw new SimError(`${flag} has no queue in the ${op.queue} module`);
      this.queues[q].push(this.hazards?.snapshot(m) ?? []);
      c.tokens.pushed[q]++;
    }
  }

  private touch(fp: Footprint, m: Module, outWrite = true): void {
    if (!this.hazards) return;
    if (fp.inp) this.hazards.access("INP", fp.inp[0], fp.inp[1], false, m);
    if (fp.wgt) this.hazards.access("WGT", fp.wgt[0], fp.wgt[1], false, m);
    if (fp.out) this.hazards.access("OUT", fp.out[0], fp.out[1], outWrite, m);
  }

  private execute(name: OpName, f: Fields, m: Module): void {
    switch (name) {
      case "NOP":
        return;
      case "FINISH":
        // DONE hands the arena to the host: every store must be ordered before it.
        this.hazards?.access("ACT", 0, this.act.length, false, m);
        this.finished = true;
        return;
      case "LOAD":
      case "LOADT":
      case "STORE":
        this.dma(name, f, m);
        return;
      case "CCFG":
        this.ccfg = f;
        return;
      case "VCFG":
        this.vcfg = f;
        return;
      case "RCFG":
        this.rcfg = f;
        return;
      case "CONV": {
        const cc = this.need(this.ccfg, "CCFG");
        const v = this.need(this.vcfg, "VCFG", !f.fuse);
        this.touch(convFootprint(cc, v, f), m);
        const r = execConv(this.buffers, cc, v, f);
        this.counters.macs += r.macs;
        if (f.fuse) this.counters.vectorOutputs += r.outputs;
        return;
      }
      case "VEC": {
        const v = this.need(this.vcfg, "VCFG");
        this.touch(vecFootprint(v, f), m);
        this.counters.vectorOutputs += execVec(this.buffers, v, f);
        return;
      }
      case "RESIZE": {
        const rc = this.need(this.rcfg, "RCFG");
        const v = this.need(this.vcfg, "VCFG");
        this.touch(resizeFootprint(rc, v, f), m);
        this.counters.vectorOutputs += execResize(this.buffers, rc, v, f);
        return;
      }
      case "NORM": {
        const v = this.need(this.vcfg, "VCFG");
        this.touch(normFootprint(v, f), m);
        this.counters.vectorOutputs += execNorm(this.buffers, v, f);
        return;
      }
      case "SMAX": {
        const v = this.need(this.vcfg, "VCFG");
        const fp = smaxFootprint(v, f);
        // The fused form writes the probabilities into INP for the next CONV.
        if (fp.inp) this.hazards?.access("INP", fp.inp[0], fp.inp[1], true, m);
        else this.touch(fp, m);
        this.counters.vectorOutputs += execSmax(this.buffers, v, f);
        return;
      }
      case "LOOP":
      case "LPATCH":
        throw new SimError(`${name} reached a queue`);
    }
  }

  private need(cfg: Fields | undefined, name: string, optional = false): Fields {
    if (cfg) return cfg;
    if (optional) return { stage: 0 };
    throw new SimError(`no ${name} executed before this instruction`);
  }

  private dma(op: "LOAD" | "LOADT" | "STORE", f: Fields, m: Module): void {
    const bufName = BUF_NAMES[f.buf!]!;
    const allowed = op === "LOAD" ? ["INP", "WGT"] : op === "LOADT" ? ["TBL", "ACC"] : ["OUT"];
    if (!allowed.includes(bufName)) throw new SimError(`${op} cannot use buffer ${bufName}`);
    const segName = SEG_NAMES[f.seg!]!;
    if (op === "STORE" && segName !== "ACT") throw new SimError(`STORE into read-only segment ${segName}`);
    const seg = this.segs[f.seg!]!;
    const buf = bufName === "TBL" ? this.buffers.TBL.bytes : (this.buffers[bufName as "INP"] as Uint8Array);
    const eb = EBITS[f.ebits!]!;
    const { n0, n1, n2, pitch, rows, ext, addr } = f as Required<Fields>;
    const rb = rowBytes(n0!, eb);
    const bufLen = n2! * n1! * rb;
    if (addr! < 0 || addr! + bufLen > buf.length)
      throw new SimError(`${op}: ${bufName} bytes ${addr}..${addr! + bufLen} outside ${buf.length}`);
    const lastElem = ext! + ((n2! - 1) * rows! + n1! - 1) * pitch! + n0! - 1;
    if (Math.ceil(((lastElem + 1) * eb) / 8) > seg.length)
      throw new SimError(`${op}: ${segName} element ${lastElem} outside the ${seg.length}-byte segment`);
    const tracked = bufName === "INP" || bufName === "WGT" || bufName === "OUT";
    const h = this.hazards;
    if (h && tracked) h.access(bufName, addr!, bufLen, op !== "STORE", m);
    const actSpans = h && segName === "ACT" ? new AccessMerger(h, "ACT", op === "STORE", m) : undefined;
    for (let p = 0; p < n2!; p++) {
      for (let r = 0; r < n1!; r++) {
        const e = ext! + (p * rows! + r) * pitch!;
        const b = addr! + (p * n1! + r) * rb;
        actSpans?.add(Math.floor((e * eb) / 8), Math.ceil(((e + n0!) * eb) / 8));
        if (op === "STORE") copyOutRow(buf, b, seg, e, n0!, eb);
        else copyInRow(seg, e, buf, b, n0!, eb);
      }
    }
    actSpans?.flush();
    const bytes = Math.ceil((n0! * n1! * n2! * eb) / 8);
    this.counters.dmaBytes[op] += bytes;
    const sb = this.counters.segmentBytes;
    if (segName === "ACT") {
      if (op === "STORE") sb.ACT.write += bytes;
      else sb.ACT.read += bytes;
    } else {
      sb[segName as "WGT" | "TBL"].read += bytes;
    }
  }
}
