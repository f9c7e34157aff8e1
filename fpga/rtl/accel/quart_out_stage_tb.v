// Vector-driven testbench for quart_out_stage (vectors and expected codes from test/fpga/accel, which
// uses outputStage of the golden executor). +vec=<file> +nw=<words>: 32-bit hex words
//   n, then per element: flags (bits 1:0 mode, 3:2 act, bit 4: idle cycle before), alpha, mult,
//   shift, zero, acc, 15 thresholds.
// Prints "OUT <index> <signed result>" in order, then "DONE <cycles>".
`default_nettype none
`timescale 1ns / 1ps

module quart_out_stage_tb;
  parameter integer MAXW = 1 << 20;
  localparam integer EW = 21;

  reg clk = 1'b0;
  always #5 clk = ~clk;

  reg rst = 1'b1;
  reg valid = 1'b0;
  reg [31:0] acc = 0;
  reg [1:0] mode = 0, act = 0;
  reg [16:0] alpha = 0;
  reg [14:0] mult = 0;
  reg [5:0] shift = 0;
  reg [15:0] zero = 0;
  reg [32*15-1:0] thr = 0;
  wire o_valid;
  wire [31:0] o_q;

  quart_out_stage dut (
      .i_clk(clk),
      .i_rst(rst),
      .i_valid(valid),
      .i_acc(acc),
      .i_mode(mode),
      .i_act(act),
      .i_alpha(alpha),
      .i_mult(mult),
      .i_shift(shift),
      .i_zero(zero),
      .i_thr(thr),
      .o_valid(o_valid),
      .o_q(o_q)
  );

  reg [31:0] mem[0:MAXW-1];
  reg [1023:0] vecfile;
  integer nw, n, e, k, base, outs, cycles;

  always @(posedge clk) begin
    if (o_valid) begin
      $display("OUT %0d %0d", outs, $signed(o_q));
      outs = outs + 1;
    end
  end

  initial begin
    outs = 0;
    cycles = 0;
    if (!$value$plusargs("vec=%s", vecfile)) begin
      $display("FAIL no +vec");
      $finish;
    end
    if (!$value$plusargs("nw=%d", nw)) nw = MAXW;
    $readmemh(vecfile, mem, 0, nw - 1);
    n = mem[0];
    @(negedge clk);
    @(negedge clk);
    rst = 1'b0;
    for (e = 0; e < n; e = e + 1) begin
      base = 1 + e * EW;
      if (mem[base][4]) begin
        valid = 1'b0;
        acc = 32'hdeadbeef;
        @(negedge clk);
        cycles = cycles + 1;
      end
      valid = 1'b1;
      mode = mem[base][1:0];
      act = mem[base][3:2];
      alpha = mem[base+1][16:0];
      mult = mem[base+2][14:0];
      shift = mem[base+3][5:0];
      zero = mem[base+4][15:0];
      acc = mem[base+5];
      for (k = 0; k < 15; k = k + 1) thr[32*k+:32] = mem[base+6+k];
      @(negedge clk);
      cycles = cycles + 1;
    end
    valid = 1'b0;
    repeat (8) @(negedge clk);
    $display("DONE %0d", cycles);
    $finish;
  end
endmodule
