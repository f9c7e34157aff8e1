/* Reset entry: set up gp, sp and tp, copy .data/.tdata from ROM, zero .tbss/.bss, run main, then _exit. */
  .section .text.start, "ax"
  .globl _start
_start:
  .option push
  .option norelax
  la   gp, __global_pointer$
  .option pop
  la   sp, __stack_top
  la   tp, __tdata_start

  la   a0, __data_start
  la   a1, __data_end
  la   a2, __data_load
1:
  bgeu a0, a1, 2f
  lw   t0, 0(a2)
  sw   t0, 0(a0)
  addi a0, a0, 4
  addi a2, a2, 4
  j    1b
2:
  la   a0, __tbss_start
  la   a1, __bss_end
3:
  bgeu a0, a1, 4f
  sw   zero, 0(a0)
  addi a0, a0, 4
  j    3b
4:
  call main
  call _exit
5:
  j    5b
