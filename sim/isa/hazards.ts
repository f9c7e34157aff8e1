/**
 * Race detection for the three decoupled queues. The simulator runs instructions one at a time in
 * program order, which is one legal interleaving; this checker proves the result holds for all of
 * them: each queue keeps a vector clock, tokens carry the pusher's clock, and every access to memory
 * shared between queues (INP, WGT, OUT, the ACT segment) must be ordered after the conflicting
 * accesses of the other queues by a chain of tokens — otherwise it reports the hazard.
 */

export type Module = 0 | 1 | 2;
export const MODULE_NAMES = ["load", "compute", "store"] as const;

export class HazardError extends Error {
  override name = "HazardError";
}

/** Bytes per block of the coarse summary: 64. */
const BLOCK_SHIFT = 6;

/** Per-byte access history of one memory, with a per-block summary that rules out most scans. */
class History {
  readonly writer: Int8Array;
  readonly writeSeq: Int32Array;
  readonly readSeq: [Int32Array, Int32Array, Int32Array];
  /** Per block and queue: at least the last write (read) sequence number of that queue in the block. */
  readonly blockWrite: [Int32Array, Int32Array, Int32Array];
  readonly blockRead: [Int32Array, Int32Array, Int32Array];

  constructor(bytes: number) {
    this.writer = new Int8Array(bytes).fill(-1);
    this.writeSeq = new Int32Array(bytes);
    this.readSeq = [new Int32Array(bytes), new Int32Array(bytes), new Int32Array(bytes)];
    const blocks = (bytes >> BLOCK_SHIFT) + 1;
    this.blockWrite = [new Int32Array(blocks), new Int32Array(blocks), new Int32Array(blocks)];
    this.blockRead = [new Int32Array(blocks), new Int32Array(blocks), new Int32Array(blocks)];
  }
}

export class HazardChecker {
  /** clocks[m][k]: the last instruction of queue k that queue m is ordered after. */
  private readonly clocks: [number[], number[], number[]] = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  private readonly memories = new Map<string, History>();
  private current = "";

  track(name: string, bytes: number): void {
    this.memories.set(name, new History(bytes));
  }

  /** Starts the next instruction of module m; `what` names it in error messages. */
  begin(m: Module, what: string): void {
    this.clocks[m][m]!++;
    this.current = what;
  }

  /** The clock a token pushed now by m carries. */
  snapshot(m: Module): number[] {
    return this.clocks[m].slice();
  }

  /** Module m popped a token carrying `clock`. */
  join(m: Module, clock: readonly number[]): void {
    const c = this.clocks[m];
    for (let k = 0; k < 3; k++) c[k] = Math.max(c[k]!, clock[k]!);
  }

  access(mem: string, start: number, length: number, write: boolean, m: Module): void {
    const h = this.memories.get(mem);
    if (!h || length <= 0) return;
    const clock = this.clocks[m];
    const seq = clock[m]!;
    const lo = Math.max(0, start);
    const end = Math.min(start + length, h.writer.length);
    if (lo >= end) return;
    if (this.suspectBlocksUnordered(h, lo, end, write, m)) this.report(mem, h, lo, end, write, m);
    const b0 = lo >> BLOCK_SHIFT;
    const b1 = ((end - 1) >> BLOCK_SHIFT) + 1;
    if (write) {
      h.writer.fill(m, lo, end);
      h.writeSeq.fill(seq, lo, end);
      h.blockWrite[m]!.fill(seq, b0, b1);
    } else {
      h.readSeq[m]!.fill(seq, lo, end);
      h.blockRead[m]!.fill(seq, b0, b1);
    }
  }

  /**
   * Most accesses are ordered: the block summary (an upper bound of every byte's sequence numbers)
   * proves it for most blocks; only the blocks it cannot clear are scanned byte by byte.
   */
  private suspectBlocksUnordered(h: History, lo: number, end: number, write: boolean, m: Module): boolean {
    const clock = this.clocks[m];
    const k1 = m === 0 ? 1 : 0;
    const k2 = m === 2 ? 1 : 2;
    const seen1 = clock[k1]!;
    const seen2 = clock[k2]!;
    const w1 = h.blockWrite[k1]!;
    const w2 = h.blockWrite[k2]!;
    const r1 = h.blockRead[k1]!;
    const r2 = h.blockRead[k2]!;
    const b1 = ((end - 1) >> BLOCK_SHIFT) + 1;
    for (let b = lo >> BLOCK_SHIFT; b < b1; b++) {
      const suspect = w1[b]! > seen1 || w2[b]! > seen2 || (write && (r1[b]! > seen1 || r2[b]! > seen2));
      if (!suspect) continue;
      const from = Math.max(lo, b << BLOCK_SHIFT);
      const to = Math.min(end, (b + 1) << BLOCK_SHIFT);
      if (this.unordered(h, from, to, write, m)) return true;
    }
    return false;
  }

  private unordered(h: History, lo: number, end: number, write: boolean, m: Module): boolean {
    const clock = this.clocks[m];
    const { writer, writeSeq } = h;
    // The two other queues and what m has seen of them, in locals: no clock lookup per byte.
    const k1 = m === 0 ? 1 : 0;
    const k2 = m === 2 ? 1 : 2;
    const seen1 = clock[k1]!;
    const seen2 = clock[k2]!;
    for (let i = lo; i < end; i++) {
      const w = writer[i]!;
      if ((w === k1 && writeSeq[i]! > seen1) || (w === k2 && writeSeq[i]! > seen2)) return true;
    }
    if (!write) return false;
    for (let k = 0; k < 3; k++) {
      if (k === m) continue;
      const reads = h.readSeq[k]!;
      const seen = clock[k]!;
      for (let i = lo; i < end; i++) if (reads[i]! > seen) return true;
    }
    return false;
  }

  /** Throws for the first unordered byte of the whole range, as a byte-by-byte scan meets it. */
  private report(mem: string, h: History, lo: number, end: number, write: boolean, m: Module): never {
    const clock = this.clocks[m];
    for (let i = lo; i < end; i++) {
      const w = h.writer[i]!;
      if (w >= 0 && w !== m && clock[w]! < h.writeSeq[i]!)
        this.fail(
          mem,
          i,
          write ? "writes" : "reads",
          `written by ${MODULE_NAMES[w]} instruction #${h.writeSeq[i]}`,
          m,
        );
      if (!write) continue;
      for (let k = 0; k < 3; k++) {
        if (k !== m && h.readSeq[k]![i]! > clock[k]!)
          this.fail(mem, i, "writes", `read by ${MODULE_NAMES[k]} instruction #${h.readSeq[k]![i]}`, m);
      }
    }
    throw new Error("hazard checker: an unordered access was found but not located");
  }

  private fail(mem: string, byte: number, verb: string, other: string, m: Module): never {
    throw new HazardError(
      `hazard: ${this.current} (${MODULE_NAMES[m]}) ${verb} ${mem} byte ${byte} ${other} with no token ordering them`,
    );
  }
}

/**
 * The byte ranges of a DMA's rows, checked as few ranges: rows ascend, so merging touching rows checks
 * and records the same bytes and names the same first conflicting byte as row-by-row checks.
 */
export class AccessMerger {
  private lo = 0;
  private hi = -1;

  constructor(
    private readonly h: HazardChecker,
    private readonly mem: string,
    private readonly write: boolean,
    private readonly m: Module,
  ) {}

  add(lo: number, hi: number): void {
    if (lo <= this.hi && lo >= this.lo) {
      this.hi = Math.max(this.hi, hi);
      return;
    }
    this.flush();
    this.lo = lo;
    this.hi = hi;
  }

  flush(): void {
    if (this.hi > this.lo) this.h.access(this.mem, this.lo, this.hi - this.lo, this.write, this.m);
    this.hi = -1;
  }
}
