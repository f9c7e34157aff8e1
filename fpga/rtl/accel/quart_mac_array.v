// Matrix unit: output-stationary ROWS x COLS array of W4A8 multiply-accumulate PEs.
//
// Dataflow (broadcast, no skew): row r holds output channel r of the pass, column c output pixel c.
// Each cycle one reduction tap (input channel, ky, kx) enters: a weight nibble per row (shared by the
// row's PEs) and a decoded int8 activation per column (shared by the column's PEs); PE (r, c)
// accumulates w[r] * a[c]. A tap lands in the accumulators one cycle after it is presented.
//
// Weights: W4 taps present the signed nibble (i_wunsigned = 0, i_wshift4 = 0). W8 taps take two
// cycles (half rate): the low nibble as unsigned (i_wunsigned = 1), then the high nibble as signed
// with i_wshift4 = 1, so w·a = lo·a + 16·hi·a exactly.
//
// Control: i_clr zeroes every accumulator at the end of the cycle it is asserted; assert it with the
// first tap of a pass once the previous pass is drained. i_en marks a valid tap. Drain: o_acc is the
// accumulator of PE (i_rd_row, i_rd_col), registered (one cycle of latency); the last tap presented
// at cycle t is readable from cycle t + 2.
//
// Mapping: the products of PEs with index r*COLS + c < 2*N_DSP come from SB_MAC16s in 8x8 mode (two
// per DSP: adjacent columns of a row, which share the weight); the rest from LUT multipliers
// (quart_mul). Every PE accumulates in LUTs (quart_pe). COLS must be even when N_DSP > 0.
`default_nettype none

module quart_mac_array #(
    parameter integer ROWS  = 4,
    parameter integer COLS  = 8,
    parameter integer ACC_W = 32,  // 24..32
    parameter integer N_DSP = 8
) (
    input  wire                       i_clk,
    // tap stream
    input  wire                       i_en,
    input  wire                       i_clr,
    input  wire                       i_wunsigned,
    input  wire                       i_wshift4,
    input  wire [4*ROWS-1:0]          i_w,      // nibble of row r at [4r+3:4r]
    input  wire [8*COLS-1:0]          i_a,      // int8 of column c at [8c+7:8c]
    // drain
    input  wire [$clog2(ROWS)-1:0]    i_rd_row,
    input  wire [$clog2(COLS)-1:0]    i_rd_col,
    output reg  [ACC_W-1:0]           o_acc
);
  localparam integer NPE = ROWS * COLS;

  // Elaboration-time parameter checks: a bad value instantiates a module that does not exist.
  generate
    if (ACC_W < 24 || ACC_W > 32) begin : g_bad_acc_w
      quart_error_acc_w_must_be_24_to_32 u_err ();
    end
    if (2 * N_DSP > NPE || (N_DSP > 0 && COLS % 2 != 0)) begin : g_bad_n_dsp
      quart_error_n_dsp_too_large_or_cols_odd u_err ();
    end
  endgenerate

  reg r_en_d;
  always @(posedge i_clk) r_en_d <= i_en;

  // drain mux, two levels (column within each row, then row); accumulators sit in 32-bit slots so
  // indices scale by a power of two
  wire [32*ROWS-1:0] w_rows;

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      wire [3:0] w_nib = i_w[4*r+3:4*r];
      // 5-bit signed operand for the LUT multipliers; 8-bit scaled operand for the DSP multipliers
      wire [4:0] w_w5 = {w_nib[3] & ~i_wunsigned, w_nib};
      wire [16*COLS-1:0] w_prods;  // DSP products of the row (zero where the PE multiplies in LUTs)
      wire [32*COLS-1:0] w_slots;  // the row's accumulators
      assign w_rows[32*r+:32] = w_slots[32*i_rd_col+:32];
      for (c = 0; c < COLS; c = c + 1) begin : g_col
        localparam integer IDX = r * COLS + c;
        if (IDX < 2 * N_DSP && c % 2 == 0) begin : g_dsp
          // PEs (r, c) and (r, c+1) share one SB_MAC16 (same row weight, two activations);
          // the operand is identical for every DSP of the row and synthesis merges the copies
          wire [7:0] w_w8 = i_wshift4 ? {w_nib, 4'b0000} : {{3{w_w5[4]}}, w_w5};
          quart_mul2_dsp u_dsp (
              .i_clk(i_clk),
              .i_a0(i_a[8*c+7:8*c]),
              .i_b0(w_w8),
              .i_a1(i_a[8*c+15:8*c+8]),
              .i_b1(w_w8),
              .o_p0(w_prods[16*c+:16]),
              .o_p1(w_prods[16*c+16+:16])
          );
        end else if (IDX >= 2 * N_DSP) begin : g_no_dsp
          assign w_prods[16*c+:16] = 16'h0000;
        end
        quart_pe #(
            .LUT_MUL(IDX < 2 * N_DSP ? 0 : 1),
            .A_W(8),
            .W_W(5),
            .ACC_W(ACC_W)
        ) u_pe (
            .i_clk(i_clk),
            .i_a(i_a[8*c+7:8*c]),
            .i_w(w_w5),
            .i_shift4(i_wshift4),
            .i_prod(w_prods[16*c+:16]),
            .i_en_d(r_en_d),
            .i_clr(i_clr),
            .o_acc(w_slots[32*c+:ACC_W])
        );
        if (ACC_W < 32) begin : g_pad
          assign w_slots[32*c+ACC_W+:32-ACC_W] = {(32 - ACC_W) {1'b0}};
        end
      end
    end
  endgenerate

  wire [31:0] w_rd = w_rows[32*i_rd_row+:32];
  wire w_unused_rd = &{1'b0, w_rd};  // bits above ACC_W are constant 0
  always @(posedge i_clk) o_acc <= w_rd[ACC_W-1:0];
endmodule
