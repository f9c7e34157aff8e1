// Vector-driven testbench for quart_norm (vectors and expected values from test/fpga/accel, which uses
// the golden executor's LayerNorm arithmetic). +vec=<file> +nw=<words>: 32-bit hex words
//   pixels, then per pixel: c_n, eps, c_n signed values.
// Each pixel runs the statistics pass, the setup and the normalizing pass back to back; prints
// "OUT <signed a>" per value and "PIX <cycles> <setup cycles>" per pixel, then "DONE <cycles>".
`default_nettype none
`timescale 1ns / 1ps

module quart_norm_tb;
  parameter integer MAXW = 1 << 20;
  localparam integer VW = 9, CW = 13, EW = 20;

  reg clk = 1'b0;
  always #5 clk = ~clk;

  reg rst = 1'b1;
  reg [CW-1:0] c_n = 0;
  reg [EW-1:0] eps = 0;
  reg stat_valid = 1'b0, stat_first = 1'b0, prep_start = 1'b0, norm_valid = 1'b0;
  reg signed [VW-1:0] stat_v = 0, norm_v = 0;
  wire prep_busy, norm_ready, out_valid;
  wire signed [31:0] out_a;

  quart_norm #(
      .VW(VW),
      .CW(CW),
      .EW(EW)
  ) dut (
      .i_clk(clk),
      .i_rst(rst),
      .i_c_n(c_n),
      .i_eps(eps),
      .i_stat_valid(stat_valid),
      .i_stat_first(stat_first),
      .i_stat_v(stat_v),
      .i_prep_start(prep_start),
      .o_prep_busy(prep_busy),
      .i_norm_valid(norm_valid),
      .o_norm_ready(norm_ready),
      .i_norm_v(norm_v),
      .o_out_valid(out_valid),
      .o_out_a(out_a)
  );

  `include "tb_vectors.vh"
  integer pixels, p, k, at, cycles, start;
  reg took;
  integer setup;

  always @(posedge clk) begin
    cycles = cycles + 1;
    if (out_valid) $display("OUT %0d", out_a);
    if (prep_busy) setup = setup + 1;
  end

  initial begin
    cycles = 0;
    load_vectors;
    pixels = mem[0];
    at = 1;
    // stimulus changes on falling edges, so the block samples settled inputs on rising ones
    repeat (2) @(negedge clk);
    rst = 1'b0;
    for (p = 0; p < pixels; p = p + 1) begin
      c_n = mem[at][CW-1:0];
      eps = mem[at+1][EW-1:0];
      at = at + 2;
      start = cycles;
      setup = 0;
      for (k = 0; k < c_n; k = k + 1) begin
        stat_valid = 1'b1;
        stat_first = k == 0;
        stat_v = mem[at+k][VW-1:0];
        @(negedge clk);
      end
      stat_valid = 1'b0;
      prep_start = 1'b1;
      @(negedge clk);
      prep_start = 1'b0;
      while (prep_busy) @(negedge clk);
      for (k = 0; k < c_n; k = k + 1) begin
        norm_valid = 1'b1;
        norm_v = mem[at+k][VW-1:0];
        took = 1'b0;
        while (!took) begin
          took = norm_ready;
          @(negedge clk);
        end
      end
      norm_valid = 1'b0;
      while (!norm_ready) @(negedge clk);
      @(negedge clk);
      at = at + c_n;
      $display("PIX %0d %0d", cycles - start, setup);
    end
    $display("DONE %0d", cycles);
    $finish;
  end
endmodule
