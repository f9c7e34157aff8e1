// The vector file of a block testbench, written by its TS test (sim/rtl/iverilog.ts writeVectors):
// +vec=<file> +nw=<words>, one 32-bit hex word per line, into mem. Include inside the testbench module
// after `parameter integer MAXW`; call load_vectors first in its initial block.
reg [31:0] mem[0:MAXW-1];
reg [1023:0] vecfile;
integer nw;

task load_vectors;
  begin
    if (!$value$plusargs("vec=%s", vecfile)) begin
      $display("FAIL no +vec");
      $finish;
    end
    if (!$value$plusargs("nw=%d", nw)) nw = MAXW;
    $readmemh(vecfile, mem, 0, nw - 1);
  end
endtask
