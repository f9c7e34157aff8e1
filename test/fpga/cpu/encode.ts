/** A minimal RV32I encoder for generated test programs (halts, illegal encodings, random streams). */
const r = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const i = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const s = (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op) >>> 0;

export const OP_F3 = { add: 0, sll: 1, slt: 2, sltu: 3, xor: 4, srl: 5, or: 6, and: 7 } as const;

export const enc = {
  op: (f3: number, rd: number, rs1: number, rs2: number, alt = false) =>
    r(alt ? 0x20 : 0, rs2, rs1, f3, rd, 0x33),
  opimm: (f3: number, rd: number, rs1: number, imm: number) => i(imm, rs1, f3, rd, 0x13),
  lui: (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0,
  auipc: (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17) >>> 0,
  load: (f3: number, rd: number, rs1: number, imm: number) => i(imm, rs1, f3, rd, 0x03),
  store: (f3: number, rs2: number, rs1: number, imm: number) => s(imm, rs2, rs1, f3, 0x23),
  branch: (f3: number, rs1: number, rs2: number, off: number) =>
    ((((off >> 12) & 1) << 31) |
      (((off >> 5) & 0x3f) << 25) |
      (rs2 << 20) |
      (rs1 << 15) |
      (f3 << 12) |
      (((off >> 1) & 0xf) << 8) |
      (((off >> 11) & 1) << 7) |
      0x63) >>>
    0,
  jal: (rd: number, off: number) =>
    ((((off >> 20) & 1) << 31) |
      (((off >> 1) & 0x3ff) << 21) |
      (((off >> 11) & 1) << 20) |
      (((off >> 12) & 0xff) << 12) |
      (rd << 7) |
      0x6f) >>>
    0,
  jalr: (rd: number, rs1: number, imm: number) => i(imm, rs1, 0, rd, 0x67),
  csr: (f3: number, rd: number, rs1: number, csr: number) => i(csr, rs1, f3, rd, 0x73),
  ecall: 0x00000073,
  ebreak: 0x00100073,
  nop: 0x00000013,
};

/** Deterministic PRNG (xorshift32). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
