// Matrix unit: output-stationary ROWS x COLS array of multiply-accumulate PEs, with narrow partial
// accumulators in the PEs and the 32-bit sums in an accumulator bank (block RAM).
//
// Dataflow (broadcast, no skew): row r holds output channel r of the pass, column c output pixel c.
// Each cycle one reduction tap (input channel, ky, kx) enters: a weight per row (shared by the row's
// PEs) and a decoded int8 activation per column (shared by the column's PEs); PE (r, c)
// accumulates w[r] * a[c]. A tap lands in the partial accumulators one cycle after it is presented.
//
// Products: rows 0 .. DSP_ROWS-1 (DSP_ROWS = 2*N_DSP/COLS) take them from SB_MAC16s in 8x8 mode
// (two per DSP: adjacent columns of a row, which share the weight); the other rows from W4 Booth
// multipliers in LUTs (quart_mul), which share one negated activation per column.
//
// Weights: W4 taps (i_w8 = 0) present a signed nibble per row at i_w[4r+3:4r]. W8 taps (i_w8 = 1)
// take one cycle and feed the DSP rows only: row r < DSP_ROWS gets the signed byte i_w[8r+7:8r];
// the LUT rows compute garbage in W8 taps, so a W8 pass yields output channels 0 .. DSP_ROWS-1.
//
// Spill: the PEs keep narrow partial accumulators that wrap: partial = (sum of the PE's products)
// mod 2^P_W, with P_W = 17 for LUT rows and 21 for DSP rows at 32 PEs. The 32-bit sums live in a
// bank (block RAM, one word per PE). Every cycle in which a tap lands, one PE (round robin over the
// ROWS*COLS PEs) is spilled: with S the bank word (the sum at the PE's previous spill) and p its
// partial now, the sum now is S + D, D = (p - S) mod 2^P_W read as signed, written back by the one
// shared adder. The partials are never reset by a spill. This is exact as long as the products that
// land between two spills of a PE sum to less than 2^(P_W-1) in magnitude: there are at most
// ROWS*COLS of them, |w4 * a8| <= 2^10 and |w8 * a8| <= 2^14, hence P_W = log2(ROWS*COLS) + 12
// (LUT rows, W4 only) or + 16 (DSP rows). A per-PE "fresh" flag, set by i_clr, reads the bank word
// of a new pass as 0 until the PE's first spill.
//
// Control: i_clr zeroes every partial (and marks every sum fresh) at the end of the cycle it is
// asserted; assert it with the first tap of a pass, once the previous pass is drained. i_en marks a
// valid tap; bubbles leave the sums unchanged. Drain: present PE (i_rd_row, i_rd_col) at cycle d;
// its 32-bit sum is on o_acc during cycle d+3 (partial and bank read, then the add). The last tap
// presented at cycle t may be drained with addresses from cycle t+3 on (its spill writes the bank at
// the end of t+3, and the drain reads it in t+4); the next pass's first tap (with i_clr) may be
// presented in the cycle after the last drain address. A pass of T taps therefore occupies
// T + 2 + ROWS*COLS cycles. Drain addresses may repeat and come in any order.
`default_nettype none

module quart_mac_array #(
    parameter integer ROWS  = 4,
    parameter integer COLS  = 8,
    parameter integer N_DSP = 8
) (
    input  wire                       i_clk,
    // tap stream
    input  wire                       i_en,
    input  wire                       i_clr,
    input  wire                       i_w8,     // W8 tap: bytes for the DSP rows
    input  wire [4*ROWS-1:0]          i_w,      // nibble of row r at [4r+3:4r] (W8: byte at [8r+7:8r])
    input  wire [8*COLS-1:0]          i_a,      // int8 of column c at [8c+7:8c]
    // drain
    input  wire [$clog2(ROWS)-1:0]    i_rd_row,
    input  wire [$clog2(COLS)-1:0]    i_rd_col,
    output reg  [31:0]                o_acc
);
  localparam integer NPE = ROWS * COLS;
  localparam integer IW = $clog2(NPE);
  localparam integer DSP_ROWS = 2 * N_DSP / COLS;
  localparam integer PL_W = IW + 12 < 17 ? 17 : IW + 12;  // LUT rows: NPE products of |p| <= 2^10
  localparam integer PD_W = IW + 16;  // DSP rows: NPE products of |p| <= 2^14 (W8)

  // Elaboration-time parameter checks: a bad value instantiates a module that does not exist.
  generate
    if (N_DSP > 0 && ((2 * N_DSP) % COLS != 0 || COLS % 2 != 0 || 2 * DSP_ROWS > ROWS)) begin : g_bad_n_dsp
      quart_error_dsp_rows_must_fill_whole_rows_and_at_most_half u_err ();
    end
    if ((1 << IW) != NPE || ROWS < 2) begin : g_bad_npe
      quart_error_rows_cols_must_be_powers_of_two u_err ();
    end
  endgenerate

  reg r_en_d = 1'b0;
  always @(posedge i_clk) r_en_d <= i_en;

  // ---- spill / drain pipeline
  // Stage 0 (cycle s): the PE index: the spill pointer when a tap lands, else the drain address.
  // Stage 1 (s+1): the PE's partial and fresh flag are registered; the bank word is read.
  // Stage 2 (s+2): sum = S + D (see above); a spill writes it back to the bank; o_acc registers it
  // (for a drain address; for a spill it is unused).
  reg [IW-1:0] r_ptr = {IW{1'b0}};
  reg [IW-1:0] r_idx1 = {IW{1'b0}}, r_idx2 = {IW{1'b0}};
  reg r_spill1 = 1'b0, r_spill2 = 1'b0;
  wire [IW-1:0] w_rd_idx = {i_rd_row, i_rd_col};
  wire [IW-1:0] w_idx0 = r_en_d ? r_ptr : w_rd_idx;
  reg [NPE-1:0] r_sel1;  // stage 1 PE, one-hot (selects the partial by AND-OR)
  integer h;
  always @(posedge i_clk) begin
    for (h = 0; h < NPE; h = h + 1) r_sel1[h] <= (w_idx0 == h[IW-1:0]);
  end
  always @(posedge i_clk) begin
    if (r_en_d) r_ptr <= r_ptr + 1'b1;
    r_idx1 <= w_idx0;
    r_spill1 <= r_en_d;
    r_idx2 <= r_idx1;
    r_spill2 <= r_spill1;
  end

  localparam integer FIRST_LUT_PE = DSP_ROWS * COLS;
  reg [31:0] r_bank[0:NPE-1];
  reg [31:0] r_bank_rd;
  reg [NPE-1:0] r_fresh;  // undefined until the first i_clr
  reg r_fresh2;
  reg r_lut2;
  reg [PD_W-1:0] r_p2;
  wire [PD_W*NPE-1:0] w_parts;  // partials (LUT rows zero-extended), PE i at [PD_W*i +: PD_W]
  wire w_lut_row1;
  generate
    if (DSP_ROWS > 0) begin : g_mixed
      assign w_lut_row1 = $unsigned({{(32 - IW) {1'b0}}, r_idx1}) >= FIRST_LUT_PE;
    end else begin : g_all_lut
      assign w_lut_row1 = 1'b1;
      wire w_unused_w8 = &{1'b0, i_w8};  // no DSP rows: no W8 taps
    end
  endgenerate
  reg [PD_W-1:0] w_p1;
  integer g;
  always @* begin
    w_p1 = {PD_W{1'b0}};
    for (g = 0; g < NPE; g = g + 1) w_p1 = w_p1 | (w_parts[PD_W*g+:PD_W] & {PD_W{r_sel1[g]}});
  end
  always @(posedge i_clk) begin
    r_p2 <= w_p1;
    r_fresh2 <= |(r_fresh & r_sel1);
    r_lut2 <= w_lut_row1;
    r_bank_rd <= r_bank[r_idx1];
  end
  wire [31:0] w_last = r_fresh2 ? 32'd0 : r_bank_rd;
  wire [PD_W-1:0] w_d = r_p2 - w_last[PD_W-1:0];
  wire [31:0] w_dext = r_lut2 ? {{(32 - PL_W) {w_d[PL_W-1]}}, w_d[PL_W-1:0]}
                              : {{(32 - PD_W) {w_d[PD_W-1]}}, w_d};
  wire [31:0] w_sum = w_last + w_dext;
  always @(posedge i_clk) begin
    if (r_spill2) r_bank[r_idx2] <= w_sum;
    o_acc <= w_sum;
  end
  integer f;
  always @(posedge i_clk) begin
    for (f = 0; f < NPE; f = f + 1)
      if (i_clr) r_fresh[f] <= 1'b1;
      else if (r_spill2 && r_idx2 == f[IW-1:0]) r_fresh[f] <= 1'b0;
  end

  // ---- PEs
  // one negated activation per column, shared by the column's LUT multipliers
  wire [9*COLS-1:0] w_na;
  genvar r, c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_neg
      assign w_na[9*c+:9] = 9'd0 - {i_a[8*c+7], i_a[8*c+:8]};
    end
    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      wire [3:0] w_nib = i_w[4*r+3:4*r];
      wire [16*COLS-1:0] w_prods;  // DSP products of the row (zero where the PE multiplies in LUTs)
      for (c = 0; c < COLS; c = c + 1) begin : g_col
        localparam integer IDX = r * COLS + c;
        localparam integer PW = r < DSP_ROWS ? PD_W : PL_W;
        if (r < DSP_ROWS && c % 2 == 0) begin : g_dsp
          // PEs (r, c) and (r, c+1) share one SB_MAC16 (same row weight, two activations);
          // the operand is identical for every DSP of the row and synthesis merges the copies
          wire [7:0] w_w8 = i_w8 ? i_w[8*r+:8] : {{4{w_nib[3]}}, w_nib};
          quart_mul2_dsp u_dsp (
              .i_clk(i_clk),
              .i_a0(i_a[8*c+7:8*c]),
              .i_b0(w_w8),
              .i_a1(i_a[8*c+15:8*c+8]),
              .i_b1(w_w8),
              .o_p0(w_prods[16*c+:16]),
              .o_p1(w_prods[16*c+16+:16])
          );
        end else if (r >= DSP_ROWS) begin : g_no_dsp
          assign w_prods[16*c+:16] = 16'h0000;
        end
        wire [PW-1:0] w_acc;
        quart_pe #(
            .LUT_MUL(r < DSP_ROWS ? 0 : 1),
            .P_W(PW)
        ) u_pe (
            .i_clk(i_clk),
            .i_a(i_a[8*c+7:8*c]),
            .i_na(w_na[9*c+:9]),
            .i_w(w_nib),
            .i_prod(w_prods[16*c+:16]),
            .i_en_d(r_en_d),
            .i_clr(i_clr),
            .o_acc(w_acc)
        );
        if (PW < PD_W) begin : g_zext
          assign w_parts[PD_W*IDX+:PD_W] = {{(PD_W - PW) {1'b0}}, w_acc};
        end else begin : g_full
          assign w_parts[PD_W*IDX+:PD_W] = w_acc;
        end
      end
    end
  endgenerate
endmodule
