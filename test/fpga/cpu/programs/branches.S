# Each branch taken and not taken (signed and unsigned orders), jal/jalr links, jalr clearing bit 0,
# backward loops. x31 counts the taken paths; a wrong path writes 0xbad to x30.
  .section .text.start
  .globl _start
_start:
  li   x1, -1
  li   x2, 1
  li   x3, 1
  li   x30, 0
  li   x31, 0
  beq  x2, x3, 1f
  li   x30, 0xbad
1: addi x31, x31, 1
  beq  x1, x2, bad
  bne  x1, x2, 2f
  li   x30, 0xbad
2: addi x31, x31, 1
  bne  x2, x3, bad
  blt  x1, x2, 3f          # -1 < 1 signed
  li   x30, 0xbad
3: addi x31, x31, 1
  blt  x2, x1, bad
  blt  x2, x3, bad
  bge  x2, x1, 4f
  li   x30, 0xbad
4: addi x31, x31, 1
  bge  x2, x3, 5f          # equal
  li   x30, 0xbad
5: addi x31, x31, 1
  bge  x1, x2, bad
  bltu x2, x1, 6f          # 1 < 0xffffffff unsigned
  li   x30, 0xbad
6: addi x31, x31, 1
  bltu x1, x2, bad
  bltu x2, x3, bad
  bgeu x1, x2, 7f
  li   x30, 0xbad
7: addi x31, x31, 1
  bgeu x3, x2, 8f
  li   x30, 0xbad
8: addi x31, x31, 1
  bgeu x2, x1, bad
  # calls
  jal  x5, sub1
  addi x31, x31, 1
  la   x6, sub1
  jalr x5, 0(x6)
  addi x6, x6, 1           # odd target: bit 0 is cleared
  jalr x5, x6, 0
  la   x6, sub2 + 8
  jalr x8, -8(x6)
  jal  x0, 9f              # j
  li   x30, 0xbad
9:
  # backward loop: sum 1..10
  li   x10, 10
  li   x11, 0
10: add  x11, x11, x10
  addi x10, x10, -1
  bnez x10, 10b
  ebreak
bad:
  li   x30, 0xbad
  ebreak
sub1:
  addi x20, x20, 3
  jalr x0, 0(x5)
sub2:
  addi x21, x21, 5
  jalr x0, 0(x8)
