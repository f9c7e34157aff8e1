// LayerNorm across the channels of one pixel in integers (docs/arithmetic.md §4, ISA NORM):
//   s1 = Σ v_c, s2 = Σ v_c², σ' = isqrt(c_n·s2 − s1² + eps), r = ⌊2³²/σ'⌋,
//   a_c = ((c_n·v_c − s1)·r + 2¹⁹) >> 20                       (units 2⁻¹², floor)
// Built for area, not speed: the UP5K's DSPs belong to the matrix unit, so every product here is a
// shift-add over the narrow operand. Per pixel: one cycle per value of the statistics pass, then
// about 2·CW + 2·SW + DW/2 + 33 + 7 cycles of setup (variance products, square root,
// reciprocal, and the two per-pixel products that let each normalized value cost a single VW-cycle
// product: (c_n·v − s1)·r = v·(c_n·r) − s1·r).
//
// Handshake: stat_valid presents v of the statistics pass (stat_first clears the sums); prep_start
// (after the last value) computes the per-pixel terms, prep_busy stays high until done; then each
// norm_valid && norm_ready presents v again and out_valid/out_a give its normalized value VW+2 cycles
// later, in order. The caller must not present the next pixel's statistics before the last out_valid.
`default_nettype none

module quart_norm #(
    parameter integer VW = 9,   // decoded centered values, signed
    parameter integer CW = 13,  // c_n (up to 2^(CW-1))
    parameter integer EW = 20   // eps
) (
    input wire i_clk,
    input wire i_rst,
    input wire [CW-1:0] i_c_n,
    input wire [EW-1:0] i_eps,

    input wire i_stat_valid,
    input wire i_stat_first,
    input wire signed [VW-1:0] i_stat_v,

    input  wire i_prep_start,
    output wire o_prep_busy,

    input  wire i_norm_valid,
    output wire o_norm_ready,
    input  wire signed [VW-1:0] i_norm_v,
    output reg o_out_valid,
    output reg signed [31:0] o_out_a
);
  // s1 needs VW+CW-1 bits for c_n·2^(VW-1), plus a sign; s2 holds c_n·2^(2VW-2).
  localparam integer SW = VW + CW;  // s1, signed
  localparam integer QW = 2 * VW + CW;  // s2, unsigned
  // c_n·s2 − s1² + eps, unsigned, rounded up to an even width for the square root; it also holds
  // every product of the setup (s1·r needs SW + 33 bits)
  localparam integer DW0 = (QW + CW + 1 > SW + 33) ? QW + CW + 1 : SW + 33;
  localparam integer DW = DW0 + (DW0 % 2);
  localparam integer RW = DW / 2 + 1;  // σ'
  localparam integer KW = 33;  // r = ⌊2^32/σ'⌋ ≤ 2^32
  localparam integer CRW = CW + KW;  // c_n·r
  localparam integer PW = SW + KW;  // s1·r and the products of the normalizing pass
  localparam integer AW = PW + 2;

  reg signed [SW-1:0] s1;
  reg [QW-1:0] s2;
  wire signed [2*VW-1:0] sq = i_stat_v * i_stat_v;

  always @(posedge i_clk) begin
    if (i_stat_valid) begin
      s1 <= (i_stat_first ? {SW{1'b0}} : s1) + {{(SW - VW) {i_stat_v[VW-1]}}, i_stat_v};
      s2 <= (i_stat_first ? {QW{1'b0}} : s2) + {{(QW - 2 * VW) {1'b0}}, sq};
    end
  end

  // ---- per-pixel setup: shift-add products, the square root and the divider in turn ----
  localparam [2:0] P_IDLE = 3'd0, P_CS2 = 3'd1, P_S1SQ = 3'd2, P_SQRT = 3'd3, P_DIV = 3'd4,
                   P_CR = 3'd5, P_S1R = 3'd6;
  reg [2:0] pst;
  reg [6:0] cnt;
  reg [DW-1:0] mc;  // multiplicand, shifted left each step
  reg [SW-1:0] mp;  // multiplier, shifted right each step
  reg [DW-1:0] macc;
  reg [DW-1:0] cs2;
  reg [DW-1:0] rad;  // radicand, two bits leave at the top per step
  reg [DW-1:0] rem;  // partial remainder of the square root, then of the division
  reg [RW-1:0] root;
  reg [KW-1:0] quo;
  reg first;
  reg [CRW-1:0] c_r;
  reg signed [AW-1:0] bias;  // 2^19 − s1·r: the normalizing pass starts its sum from it

  wire [SW-1:0] s1_mag = s1[SW-1] ? -s1 : s1;
  wire [DW+1:0] sq_trial = {rem, rad[DW-1:DW-2]} - {{(DW - RW) {1'b0}}, root, 2'b01};
  wire [DW:0] div_shift = {rem, first};
  wire [DW:0] div_trial = div_shift - {{(DW + 1 - RW) {1'b0}}, root};

  assign o_prep_busy = pst != P_IDLE;

  task automatic load_mul(input [DW-1:0] a, input [SW-1:0] b, input [6:0] bits);
    begin
      mc <= a;
      mp <= b;
      macc <= {DW{1'b0}};
      cnt <= bits;
    end
  endtask

  always @(posedge i_clk) begin
    if (i_rst) pst <= P_IDLE;
    else if ((pst == P_CS2 || pst == P_S1SQ || pst == P_CR || pst == P_S1R) && cnt != 7'd0) begin
      if (mp[0]) macc <= macc + mc;
      mc <= mc << 1;
      mp <= mp >> 1;
      cnt <= cnt - 7'd1;
    end else
      case (pst)
        P_IDLE:
        if (i_prep_start) begin
          pst <= P_CS2;
          load_mul({{(DW - QW) {1'b0}}, s2}, {{(SW - CW) {1'b0}}, i_c_n}, CW[6:0]);
        end
        P_CS2: begin
          cs2 <= macc;
          pst <= P_S1SQ;
          load_mul({{(DW - SW) {1'b0}}, s1_mag}, s1_mag, SW[6:0]);
        end
        P_S1SQ: begin
          // c_n·s2 − s1² + eps ≥ eps ≥ 1
          rad <= cs2 - macc + {{(DW - EW) {1'b0}}, i_eps};
          rem <= {DW{1'b0}};
          root <= {RW{1'b0}};
          cnt <= DW[6:0] / 7'd2;
          pst <= P_SQRT;
        end
        P_SQRT:
        if (cnt != 7'd0) begin
          rad <= rad << 2;
          if (!sq_trial[DW+1]) begin
            rem <= sq_trial[DW-1:0];
            root <= {root[RW-2:0], 1'b1};
          end else begin
            rem <= {rem[DW-3:0], rad[DW-1:DW-2]};
            root <= {root[RW-2:0], 1'b0};
          end
          cnt <= cnt - 7'd1;
        end else begin
          // ⌊2^32 / σ'⌋: 33 quotient bits; the numerator's single 1 enters on the first step
          rem <= {DW{1'b0}};
          quo <= {KW{1'b0}};
          first <= 1'b1;
          cnt <= KW[6:0];
          pst <= P_DIV;
        end
        P_DIV:
        if (cnt != 7'd0) begin
          first <= 1'b0;
          if (!div_trial[DW]) begin
            rem <= div_trial[DW-1:0];
            quo <= {quo[KW-2:0], 1'b1};
          end else begin
            rem <= div_shift[DW-1:0];
            quo <= {quo[KW-2:0], 1'b0};
          end
          cnt <= cnt - 7'd1;
        end else begin
          pst <= P_CR;
          load_mul({{(DW - KW) {1'b0}}, quo}, {{(SW - CW) {1'b0}}, i_c_n}, CW[6:0]);
        end
        P_CR: begin
          c_r <= macc[CRW-1:0];
          pst <= P_S1R;
          load_mul({{(DW - KW) {1'b0}}, quo}, s1_mag, SW[6:0]);
        end
        P_S1R: begin
          bias <= (s1[SW-1] ? $signed({{(AW - PW) {1'b0}}, macc[PW-1:0]})
                            : -$signed({{(AW - PW) {1'b0}}, macc[PW-1:0]})) + $signed({{(AW - 20) {1'b0}}, 20'h80000});
          pst <= P_IDLE;
        end
        default: pst <= P_IDLE;
      endcase
  end

  // ---- normalizing pass: a = (bias + v·(c_n·r)) >>> 20, v in two's complement: its top bit weighs
  // −2^(VW−1), so the last step subtracts (one add/subtract adder, no negations) ----
  reg busy;
  reg [4:0] nstep;
  reg [CRW+VW-1:0] nmc;
  reg [VW-1:0] nmp;
  reg signed [AW-1:0] nacc;
  assign o_norm_ready = !busy && pst == P_IDLE;

  wire last = nstep == 5'd1;
  wire signed [AW-1:0] term = nmp[0] ? $signed({{(AW - CRW - VW) {1'b0}}, nmc}) : {AW{1'b0}};
  // |a| < 2^18 whatever the data (Cauchy–Schwarz: |c_n·v − s1| ≤ √(c_n−1)·σ'), so bits above the
  // 32 taken are sign copies and the 20 below are the discarded fraction
  /* verilator lint_off UNUSEDSIGNAL */
  wire signed [AW-1:0] nsum = last ? nacc - term : nacc + term;
  /* verilator lint_on UNUSEDSIGNAL */

  always @(posedge i_clk) begin
    o_out_valid <= 1'b0;
    if (i_rst) busy <= 1'b0;
    else if (!busy) begin
      if (i_norm_valid && pst == P_IDLE) begin
        busy <= 1'b1;
        nmp <= i_norm_v;
        nmc <= {{VW{1'b0}}, c_r};
        nacc <= bias;
        nstep <= VW[4:0];
      end
    end else begin
      nacc <= nsum;
      nmc <= nmc << 1;
      nmp <= nmp >> 1;
      nstep <= nstep - 5'd1;
      if (last) begin
        busy <= 1'b0;
        o_out_valid <= 1'b1;
        o_out_a <= nsum[20+31:20];
      end
    end
  end
endmodule
