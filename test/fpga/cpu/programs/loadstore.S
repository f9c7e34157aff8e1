# All load and store widths at every legal offset, sign extension, and the replicated store data.
  .section .text.start
  .globl _start
_start:
  la   x1, src
  la   x2, dst
  lw   x3, 0(x1)
  lw   x4, 4(x1)
  lb   x5, 0(x1)
  lb   x5, 1(x1)
  lb   x5, 2(x1)
  lb   x5, 3(x1)
  lbu  x6, 0(x1)
  lbu  x6, 1(x1)
  lbu  x6, 2(x1)
  lbu  x6, 3(x1)
  lh   x7, 0(x1)
  lh   x7, 2(x1)
  lh   x7, 4(x1)
  lh   x7, 6(x1)
  lhu  x8, 0(x1)
  lhu  x8, 2(x1)
  lhu  x8, 6(x1)
  lw   x9, -4(x2)         # negative offset
  sb   x3, 0(x2)
  sb   x3, 1(x2)
  sb   x4, 2(x2)
  sb   x4, 3(x2)
  sh   x3, 4(x2)
  sh   x4, 6(x2)
  sw   x3, 8(x2)
  sw   x4, 12(x2)
  sw   x0, 16(x2)
  lw   x10, 0(x2)
  lw   x11, 4(x2)
  addi x12, x2, 2047
  sb   x3, -2047(x12)      # large offsets both ways
  lbu  x13, -2047(x12)
  lw   x14, 8(x2)
  lw   x14, 8(x2)          # back-to-back loads into the same register
  add  x15, x14, x14       # use right after a load
  sw   x15, 20(x2)
  lw   x16, 20(x2)
  ebreak

  .data
  .word 0x0badf00d
src:
  .word 0x80ff7f01
  .word 0xfedc8765
  .word 0
dst:
  .space 32
