# Every OP and OP-IMM instruction on edge values; results are kept in registers (checked by the trace).
  .section .text.start
  .globl _start
_start:
  li   x1, 0x7fffffff
  li   x2, 0x80000000
  li   x3, -1
  li   x4, 1
  li   x5, 0x12345678
  li   x6, 37            # shift amounts use only the low 5 bits
  add  x7, x1, x4        # overflow wraps
  sub  x8, x2, x4
  sub  x9, x0, x3
  sll  x10, x5, x6
  sll  x10, x3, x1
  slt  x11, x2, x1
  slt  x11, x1, x2
  slt  x11, x3, x4
  sltu x12, x3, x4
  sltu x12, x4, x3
  sltu x12, x0, x5
  xor  x13, x5, x3
  srl  x14, x2, x6
  srl  x14, x3, x1
  sra  x15, x2, x6
  sra  x15, x3, x4
  sra  x15, x5, x0
  or   x16, x5, x2
  and  x17, x5, x1
  addi x18, x1, 1
  addi x18, x0, -2048
  addi x18, x0, 2047
  slti x19, x3, 0
  slti x19, x4, -1
  sltiu x20, x4, -1      # immediate sign-extended, compared unsigned
  sltiu x20, x3, 1
  sltiu x20, x0, 1       # seqz
  xori x21, x5, -1       # not
  xori x21, x5, 0x555
  ori  x22, x2, 0x7ff
  andi x23, x3, -16
  andi x23, x5, 0xff
  slli x24, x3, 31
  slli x24, x5, 0
  slli x24, x5, 4
  srli x25, x2, 31
  srli x25, x3, 1
  srai x26, x2, 31
  srai x26, x2, 4
  srai x26, x1, 30
  lui  x27, 0xfffff
  lui  x27, 0x12345
  auipc x28, 0
  auipc x28, 0x80000
  add  x0, x1, x1        # writes to x0 are discarded
  addi x29, x0, 0
  sub  x30, x1, x2
  sub  x31, x2, x1
  ebreak
