// Vector-driven testbench for quart_out_stage (vectors and expected codes from test/fpga/accel, which
// uses outputStage of the golden executor). +vec=<file> +nw=<words>: 32-bit hex words
//   n, then per element: flags (bits 1:0 mode, 3:2 act, bit 4: idle cycle before), alpha, mult,
//   shift, zero, acc, 15 thresholds.
// The thresholds sit in a table with a registered read port, addressed by {tag, index}; the tag of
// element e is e mod 256. Elements are presented back to back (valid/ready handshake).
// Prints "IN <index> <cycle>" at each acceptance, "OUT <tag> <signed result> <cycle>" per result,
// then "DONE <cycles>".
`default_nettype none
`timescale 1ns / 1ps

module quart_out_stage_tb;
  parameter integer MAXW = 1 << 20;
  parameter integer CONST_REQUANT = 0;
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
  reg [7:0] tag = 0;
  wire ready;
  wire [3:0] thr_idx;
  wire [7:0] thr_tag;
  reg [31:0] thr_k = 0;
  wire o_valid;
  wire [31:0] o_q;
  wire [7:0] o_tag;

  quart_out_stage #(
      .CONST_REQUANT(CONST_REQUANT)
  ) dut (
      .i_clk(clk),
      .i_rst(rst),
      .i_valid(valid),
      .o_ready(ready),
      .i_acc(acc),
      .i_mode(mode),
      .i_act(act),
      .i_alpha(alpha),
      .i_mult(mult),
      .i_shift(shift),
      .i_zero(zero),
      .i_tag(tag),
      .o_thr_idx(thr_idx),
      .o_thr_tag(thr_tag),
      .i_thr_k(thr_k),
      .o_valid(o_valid),
      .o_q(o_q),
      .o_tag(o_tag)
  );

  reg [31:0] thr_mem[0:4095];
  always @(posedge clk) thr_k <= thr_mem[{thr_tag, thr_idx}];

  `include "tb_vectors.vh"
  integer n, e, k, base, cycles;

  always @(posedge clk) begin
    cycles = cycles + 1;
    if (o_valid) $display("OUT %0d %0d %0d", o_tag, $signed(o_q), cycles);
    if (valid && ready) $display("IN %0d %0d", e, cycles);
  end

  initial begin
    cycles = 0;
    load_vectors;
    n = mem[0];
    for (k = 0; k < 4096; k = k + 1) thr_mem[k] = 32'h7fffffff;
    @(negedge clk);
    @(negedge clk);
    rst = 1'b0;
    for (e = 0; e < n; e = e + 1) begin
      base = 1 + e * EW;
      if (mem[base][4]) begin
        valid = 1'b0;
        acc = 32'hdeadbeef;
        @(negedge clk);
      end
      valid = 1'b1;
      mode = mem[base][1:0];
      act = mem[base][3:2];
      alpha = mem[base+1][16:0];
      mult = mem[base+2][14:0];
      shift = mem[base+3][5:0];
      zero = mem[base+4][15:0];
      acc = mem[base+5];
      tag = e[7:0];
      for (k = 0; k < 15; k = k + 1) thr_mem[{e[7:0], k[3:0]}] = mem[base+6+k];
      thr_mem[{e[7:0], 4'd15}] = 32'h80000000;  // never requested
      while (!ready) @(negedge clk);
      @(negedge clk);  // accepted at the edge in between
    end
    valid = 1'b0;
    acc = 32'hdeadbeef;
    repeat (80) @(negedge clk);
    $display("DONE %0d", cycles);
    $finish;
  end
endmodule
