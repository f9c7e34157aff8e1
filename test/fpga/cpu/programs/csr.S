# Read-only counters through Zicsr, FENCE/FENCE.I as no-ops; ends with ecall.
  .section .text.start
  .globl _start
_start:
  rdcycle   x1
  rdcycleh  x2
  rdtime    x3
  rdtimeh   x4
  rdinstret x5
  rdinstreth x6
  nop
  lw   x7, 0(x0)
  rdcycle   x8
  rdinstret x9
  csrrs x10, cycle, x0
  csrrc x11, instret, x0
  csrrsi x12, cycle, 0
  csrrci x13, instreth, 0
  fence
  fence.i
  fence rw, rw
  rdcycle x14
  sub  x15, x14, x1
  ecall
