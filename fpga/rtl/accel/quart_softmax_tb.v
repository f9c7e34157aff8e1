// Vector-driven testbench for quart_softmax (vectors and expected probabilities from test/fpga/accel,
// which uses softmaxColumn of the golden executor). +vec=<file> +nw=<words>: 32-bit hex words
//   columns, then per column: m, n, c_n, c_n signed scores.
// Each column runs pass 0, pass 1, the division and pass 2; prints "OUT <p>" per score and
// "COL <cycles>" per column, then "DONE <cycles>".
`default_nettype none
`timescale 1ns / 1ps

module quart_softmax_tb;
  parameter integer MAXW = 1 << 20;

  reg clk = 1'b0;
  always #5 clk = ~clk;

  reg rst = 1'b1;
  reg [15:0] m = 0;
  reg [5:0] n = 0;
  reg col_start = 1'b0, valid = 1'b0, div_start = 1'b0;
  reg [1:0] pass = 0;
  reg signed [31:0] s = 0;
  wire ready, div_busy, out_valid;
  wire [15:0] out_p;

  quart_softmax dut (
      .i_clk(clk),
      .i_rst(rst),
      .i_m(m),
      .i_n(n),
      .i_col_start(col_start),
      .i_valid(valid),
      .i_pass(pass),
      .i_s(s),
      .o_ready(ready),
      .i_div_start(div_start),
      .o_div_busy(div_busy),
      .o_out_valid(out_valid),
      .o_out_p(out_p)
  );

  `include "tb_vectors.vh"
  integer cols, col, k, at, cycles, start, cn, ps;
  reg took;

  always @(posedge clk) begin
    cycles = cycles + 1;
    if (out_valid) $display("OUT %0d", out_p);
  end

  initial begin
    cycles = 0;
    load_vectors;
    cols = mem[0];
    at = 1;
    // stimulus changes on falling edges, so the block samples settled inputs on rising ones
    repeat (2) @(negedge clk);
    rst = 1'b0;
    for (col = 0; col < cols; col = col + 1) begin
      m = mem[at][15:0];
      n = mem[at+1][5:0];
      cn = mem[at+2];
      at = at + 3;
      start = cycles;
      col_start = 1'b1;
      @(negedge clk);
      col_start = 1'b0;
      for (ps = 0; ps < 3; ps = ps + 1) begin
        if (ps == 2) begin
          div_start = 1'b1;
          @(negedge clk);
          div_start = 1'b0;
          while (div_busy) @(negedge clk);
        end
        for (k = 0; k < cn; k = k + 1) begin
          valid = 1'b1;
          pass = ps[1:0];
          s = mem[at+k];
          took = 1'b0;
          while (!took) begin
            took = ready;
            @(negedge clk);
          end
        end
        valid = 1'b0;
        while (!ready) @(negedge clk);
      end
      @(negedge clk);
      at = at + cn;
      $display("COL %0d", cycles - start);
    end
    $display("DONE %0d", cycles);
    $finish;
  end
endmodule
