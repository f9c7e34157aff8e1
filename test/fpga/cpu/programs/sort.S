# A small workload: bubble sort of 16 words, then a checksum. Exercises loops, loads/stores, calls.
  .section .text.start
  .globl _start
_start:
  la   a0, array
  li   a1, 16
  call bubble
  la   a0, array
  li   a1, 16
  li   a2, 0
1: lw   t0, 0(a0)
  slli a2, a2, 1
  xor  a2, a2, t0
  addi a0, a0, 4
  addi a1, a1, -1
  bnez a1, 1b
  ebreak

bubble:                 # a0 = array, a1 = n
  addi t6, a1, -1
outer:
  blez t6, done
  mv   t5, a0
  mv   t4, t6
inner:
  lw   t0, 0(t5)
  lw   t1, 4(t5)
  ble  t0, t1, noswap
  sw   t1, 0(t5)
  sw   t0, 4(t5)
noswap:
  addi t5, t5, 4
  addi t4, t4, -1
  bnez t4, inner
  addi t6, t6, -1
  j    outer
done:
  ret

  .data
array:
  .word 9, -3, 200, 7, 0, 0x7fffffff, -2147483648, 42, 5, 5, -1, 13, 1000, -77, 3, 64
