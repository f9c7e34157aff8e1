// Matrix unit: output-stationary ROWS x COLS array of multiply-accumulates, with narrow wrapping
// partial accumulators and the 32-bit sums in an accumulator bank (block RAM).
//
// Dataflow (broadcast, no skew): row r holds output channel r of the pass, column c output pixel c.
// Each cycle one reduction tap (input channel, ky, kx) enters: a weight per row (shared by the row's
// PEs) and a decoded int8 activation per column (shared by the column's PEs); PE (r, c)
// accumulates w[r] * a[c]. A tap lands in the partial accumulators one cycle after it is presented.
//
// PEs: with N_DSP = COLS (icebreaker: 8), column c's SB_MAC16 does PEs (0, c) and (1, c) entirely:
// its two 8x8 products (activation a[c] times the weights of rows 0 and 1) go into the DSP's own
// two 16-bit accumulators (quart_mac2_dsp). Rows 2 .. ROWS-1 are LUT PEs (quart_pe): a W4 Booth
// multiplier (quart_mul, sharing one negated activation per column) and a 17-bit accumulator. With
// N_DSP = 0 every PE is a LUT PE; with ROWS = 2 and N_DSP = COLS every PE is in a DSP (2 x COLS MACs
// per cycle and no LUT multiplier: the smallest array, for a chip whose LUTs the SoC needs).
//
// W8: a W8 tap (i_w8 = 1) takes one cycle and computes output channel 0 only, with the signed byte
// w = i_w[7:0] = 16*hi + lo (hi signed, lo unsigned nibble): the bottom accumulator of column c takes
// lo * a[c], the top one hi * a[c], so PE (0, c) sums lo * a and PE (1, c) sums hi * a. The drain
// combines them (below). Every tap of a pass must have the same i_w8 (it is latched with i_clr).
//
// Spill: partials wrap: partial = (sum of the accumulator's products) mod 2^P, P = 16 (DSP) or 17
// (LUT). The 32-bit sums live in a bank (block RAM, one word per PE). In every cycle in which a tap
// lands, one accumulator is spilled: with S its bank word (the sum when it was last spilled) and p
// its partial now, the sum now is S + D, D = (p - S) mod 2^P read as signed, written back by one
// shared adder. This is exact while the products landing between two spills of an accumulator sum
// to less than 2^(P-1) in magnitude. The spill order bounds that:
//   W4: 48 slots of (DSP, DSP, LUT): each DSP accumulator every 24 taps (24 * 2^10 < 2^15), each LUT
//       partial every 48 taps (48 * 2^10 < 2^16);
//   W8, and W4 when every PE is in a DSP (ROWS = 2): the 16 DSP accumulators in turn, every 16 taps
//       (16 * 15 * 128 < 2^15, 16 * 2^10 < 2^15);
//   no DSP: round robin over the ROWS*COLS partials of log2(ROWS*COLS) + 12 bits.
// The bank word of a PE not yet spilled in the pass reads as 0 ("fresh"). The spill order is fixed
// from i_clr, so that follows from the number n of taps landed so far in the pass and the slot f(k)
// at which PE k is first spilled: fresh = n <= f(k), for spills and drain reads alike.
//
// Control: i_clr zeroes every partial (and makes every sum fresh) at the end of the cycle it is
// asserted; assert it with the first tap of a pass, once the previous pass is drained. i_en marks a
// valid tap; bubbles leave the sums unchanged. Drain: present PE (i_rd_row, i_rd_col) at cycle d;
// its 32-bit sum is on o_acc during cycle d+3 (partial and bank read, then the add). The last tap
// presented at cycle t may be drained with addresses from cycle t+3 on (its spill writes the bank at
// the end of t+3, and the drain reads it in t+4); the next pass's first tap (with i_clr) may be
// presented in the cycle after the last drain address. A W4 pass of T taps therefore occupies
// T + 2 + ROWS*COLS cycles. Drain addresses may repeat and come in any order. In a W8 pass, drain
// PE (1, c) and then, in the next cycle, PE (0, c): the second result is 16 * sum(1, c) + sum(0, c),
// the output of channel 0, pixel c (a W8 pass of T taps: T + 2 + 2*COLS cycles).
`default_nettype none

module quart_mac_array #(
    parameter integer ROWS  = 4,
    parameter integer COLS  = 8,
    parameter integer N_DSP = 8   // COLS (rows 0 and 1 in DSPs) or 0
) (
    input  wire                       i_clk,
    // tap stream
    input  wire                       i_en,
    input  wire                       i_clr,
    input  wire                       i_w8,     // W8 tap: the byte i_w[7:0] for channel 0
    input  wire [4*ROWS-1:0]          i_w,      // nibble of row r at [4r+3:4r]
    input  wire [8*COLS-1:0]          i_a,      // int8 of column c at [8c+7:8c]
    // drain
    input  wire [$clog2(ROWS)-1:0]    i_rd_row,
    input  wire [$clog2(COLS)-1:0]    i_rd_col,
    output reg  [31:0]                o_acc
);
  localparam integer NPE = ROWS * COLS;
  localparam integer IW = $clog2(NPE);
  localparam integer DSP_ROWS = N_DSP > 0 ? 2 : 0;
  localparam integer NDA = DSP_ROWS * COLS;  // DSP accumulators, PEs 0 .. NDA-1
  localparam integer PL_W = N_DSP > 0 ? 17 : (IW + 12 < 17 ? 17 : IW + 12);  // LUT partial bits
  localparam integer PM_W = PL_W;  // width of the partial mux (DSP partials are 16 bits)

  // Elaboration-time parameter checks: a bad value instantiates a module that does not exist.
  generate
    if (N_DSP != 0 && (N_DSP != COLS || (ROWS != 4 && ROWS != 2) || COLS > 8)) begin : g_bad_n_dsp
      quart_error_n_dsp_needs_cols_dsps_4_or_2_rows_at_most_8_cols u_err ();
    end
    if ((1 << IW) != NPE || ROWS < 2) begin : g_bad_npe
      quart_error_rows_cols_must_be_powers_of_two u_err ();
    end
  endgenerate

  reg r_en_d = 1'b0;
  always @(posedge i_clk) r_en_d <= i_en;
  reg r_w8p = 1'b0;  // the pass is W8 (latched with i_clr)
  always @(posedge i_clk) if (i_clr) r_w8p <= i_w8;

  // ---- spill order
  reg [IW-1:0] w_spill_idx;
  reg [IW:0] w_first;  // slot at which the stage-0 PE is first spilled in the pass
  wire [IW-1:0] w_idx0;
  generate
    if (N_DSP > 0 && ROWS > 2) begin : g_order
      // W4: slot (half h, group q, member m): m = 0, 1 -> DSP accumulator 2q + m, m = 2 -> LUT
      // partial NDA + (NDA/2) h + q. W8: DSP accumulator r_k.
      reg r_h = 1'b0;
      reg [IW-3:0] r_q = {(IW - 2) {1'b0}};
      reg [1:0] r_m = 2'd0;
      reg [IW-2:0] r_k = {(IW - 1) {1'b0}};
      always @(posedge i_clk) begin
        if (i_clr) begin
          r_h <= 1'b0;
          r_q <= {(IW - 2) {1'b0}};
          r_m <= 2'd0;
          r_k <= {(IW - 1) {1'b0}};
        end else if (r_en_d) begin
          r_k <= r_k + 1'b1;
          r_m <= (r_m == 2'd2) ? 2'd0 : r_m + 2'd1;
          if (r_m == 2'd2) begin
            r_q <= r_q + 1'b1;
            if (&r_q) r_h <= ~r_h;
          end
        end
      end
      always @* begin
        if (r_w8p) w_spill_idx = {1'b0, r_k};
        else if (r_m == 2'd2) w_spill_idx = {1'b1, r_h, r_q};
        else w_spill_idx = {1'b0, r_q, r_m[0]};
      end
      // first slot of PE k: W8 k; W4 DSP accumulator 2q + m: 3q + m; LUT partial 8h + q: 24h + 3q + 2
      always @* begin
        if (r_w8p) w_first = {2'b00, w_idx0[IW-2:0]};
        else if (w_idx0[IW-1]) w_first = {1'b0, w_idx0[IW-2:0]} * 3 + 2;
        else w_first = w_idx0[IW-2:1] * 3 + {{(IW - 1) {1'b0}}, w_idx0[0]};
      end
    end else begin : g_rr
      // every partial of one kind (all LUT, or all DSP with ROWS = 2): round robin
      reg [IW-1:0] r_ptr = {IW{1'b0}};
      always @(posedge i_clk)
        if (i_clr) r_ptr <= {IW{1'b0}};
        else if (r_en_d) r_ptr <= r_ptr + 1'b1;
      always @* w_spill_idx = r_ptr;
      always @* w_first = {1'b0, w_idx0};
    end
  endgenerate
  // taps landed in the pass, saturating above every first slot
  reg [IW:0] r_n = {(IW + 1) {1'b0}};
  always @(posedge i_clk)
    if (i_clr) r_n <= {(IW + 1) {1'b0}};
    else if (r_en_d && !(&r_n)) r_n <= r_n + 1'b1;

  // ---- spill / drain pipeline
  // Stage 0 (cycle s): the PE index: the spill slot when a tap lands, else the drain address.
  // Stage 1 (s+1): the PE's partial is registered; the bank word is read.
  // Stage 2 (s+2): sum = S + D (see above); a spill writes it back to the bank; o_acc registers it
  // (for a drain address; for a spill it is unused).
  reg [IW-1:0] r_idx1 = {IW{1'b0}}, r_idx2 = {IW{1'b0}};
  reg r_spill1 = 1'b0, r_spill2 = 1'b0;
  reg r_fresh1 = 1'b0;
  reg r_w8p1 = 1'b0, r_w8p2 = 1'b0;  // r_w8p travels with the PE index (the last drain address of a
                                     // W8 pass is still in the pipeline when the next i_clr comes)
  wire [IW-1:0] w_rd_idx = {i_rd_row, i_rd_col};
  assign w_idx0 = r_en_d ? w_spill_idx : w_rd_idx;
  reg [NPE-1:0] r_sel1;  // stage 1 PE, one-hot (selects the partial by AND-OR)
  integer h;
  always @(posedge i_clk) begin
    for (h = 0; h < NPE; h = h + 1) r_sel1[h] <= (w_idx0 == h[IW-1:0]);
    r_idx1 <= w_idx0;
    r_fresh1 <= r_n <= w_first;
    r_spill1 <= r_en_d;
    r_idx2 <= r_idx1;
    r_spill2 <= r_spill1;
    r_w8p1 <= r_w8p;
    r_w8p2 <= r_w8p1;
  end

  reg [31:0] r_bank[0:NPE-1];
  reg [31:0] r_bank_rd;
  reg r_fresh2;
  reg r_lut2;
  reg [PM_W-1:0] r_p2;
  wire [PM_W*NPE-1:0] w_parts;  // partials (DSP ones zero-extended), PE i at [PM_W*i +: PM_W]
  reg [PM_W-1:0] w_p1;
  integer g;
  always @* begin
    w_p1 = {PM_W{1'b0}};
    for (g = 0; g < NPE; g = g + 1) w_p1 = w_p1 | (w_parts[PM_W*g+:PM_W] & {PM_W{r_sel1[g]}});
  end
  wire w_lut1;
  generate
    if (NDA > 0) begin : g_mixed
      assign w_lut1 = $unsigned({{(32 - IW) {1'b0}}, r_idx1}) >= NDA;
    end else begin : g_all_lut
      assign w_lut1 = 1'b1;
    end
  endgenerate
  always @(posedge i_clk) begin
    r_p2 <= w_p1;
    r_fresh2 <= r_fresh1;
    r_lut2 <= w_lut1;
    r_bank_rd <= r_bank[r_idx1];
  end
  wire [31:0] w_last = r_fresh2 ? 32'd0 : r_bank_rd;
  wire [PM_W-1:0] w_d = r_p2 - w_last[PM_W-1:0];
  wire [31:0] w_dext = r_lut2 ? {{(32 - PL_W) {w_d[PL_W-1]}}, w_d[PL_W-1:0]}
                              : {{16{w_d[15]}}, w_d[15:0]};
  wire [31:0] w_sum = w_last + w_dext;
  // W8 drain: PE (0, c) right after PE (1, c) (held in o_acc) gives 16 * sum(1, c) + sum(0, c)
  wire w_comb = r_w8p2 && (r_idx2[IW-1:$clog2(COLS)] == {(IW - $clog2(COLS)) {1'b0}});
  always @(posedge i_clk) begin
    if (r_spill2) r_bank[r_idx2] <= w_sum;
    o_acc <= w_sum + (w_comb ? {o_acc[27:0], 4'b0000} : 32'd0);
  end
  // ---- PEs
  // one negated activation per column, shared by the column's LUT multipliers
  wire [9*COLS-1:0] w_na;
  // DSP weights (the same for every column): rows 0 and 1 (W4), or lo / hi of row 0's byte (W8);
  // zero in a bubble, so the accumulators hold
  wire [7:0] w_b_bot = i_en ? {{4{i_w[3] & ~i_w8}}, i_w[3:0]} : 8'h00;
  wire [7:0] w_b_top = i_en ? {{4{i_w[7]}}, i_w[7:4]} : 8'h00;
  genvar r, c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_col
      assign w_na[9*c+:9] = 9'd0 - {i_a[8*c+7], i_a[8*c+:8]};
      if (N_DSP > 0) begin : g_dsp
        wire [15:0] w_top, w_bot;
        quart_mac2_dsp u_dsp (
            .i_clk(i_clk),
            .i_clr(i_clr),
            .i_a(i_a[8*c+7:8*c]),
            .i_b_top(w_b_top),
            .i_b_bot(w_b_bot),
            .o_acc_top(w_top),
            .o_acc_bot(w_bot)
        );
        assign w_parts[PM_W*c+:PM_W] = {{(PM_W - 16) {1'b0}}, w_bot};
        assign w_parts[PM_W*(COLS+c)+:PM_W] = {{(PM_W - 16) {1'b0}}, w_top};
      end
    end
    for (r = DSP_ROWS; r < ROWS; r = r + 1) begin : g_row
      for (c = 0; c < COLS; c = c + 1) begin : g_pe
        wire [PL_W-1:0] w_acc;
        quart_pe #(
            .P_W(PL_W)
        ) u_pe (
            .i_clk(i_clk),
            .i_a(i_a[8*c+7:8*c]),
            .i_na(w_na[9*c+:9]),
            .i_w(i_w[4*r+3:4*r]),
            .i_en_d(r_en_d),
            .i_clr(i_clr),
            .o_acc(w_acc)
        );
        assign w_parts[PM_W*(r*COLS+c)+:PM_W] = w_acc;
      end
    end
    if (N_DSP == 0) begin : g_no_dsp
      wire w_unused = &{1'b0, i_w8, w_b_bot, w_b_top};
    end
    if (ROWS == DSP_ROWS) begin : g_no_lut_pe
      wire w_unused = &{1'b0, w_na};
    end
  endgenerate
endmodule
