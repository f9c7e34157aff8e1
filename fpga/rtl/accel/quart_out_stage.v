// Vector-unit output stage (docs/arithmetic.md §3), one element per cycle, latency 6 cycles.
//
//   mode THRESH (0): q = #{k in 0..14 : acc >= thr[k]}   (4-bit lut4 code; 15 parallel comparators)
//   mode REQUANT (1): u = f(acc) (none / ReLU / LeakyReLU floor(acc*A / 2^16) for acc < 0);
//                     q = clamp(floor((u*M + 2^(n-1)) / 2^n) + zero + 128, 0, 255)   (lin8 code)
//   mode ACC32 (2):   q = acc (the multiply path runs with M = 1, n = 0 and no activation)
//
// Per-element parameters (mode, activation, A, M, n, zero) travel down the pipeline with the element,
// so they may change every cycle. i_thr is used in the first stage only (same cycle as i_acc).
`default_nettype none

module quart_out_stage #(
    parameter integer ACC_W = 32,
    parameter integer M_W = 15,  // requant multiplier bits (unsigned)
    parameter integer N_W = 6,   // shift bits (n <= 47)
    parameter integer Z_W = 16,  // signed output zero
    parameter integer NTHR = 15
) (
    input  wire                  i_clk,
    input  wire                  i_rst,
    // element in
    input  wire                  i_valid,
    input  wire [ACC_W-1:0]      i_acc,
    input  wire [1:0]            i_mode,   // 0 threshold, 1 requant, 2 acc32
    input  wire [1:0]            i_act,    // 0 none, 1 ReLU, 2 LeakyReLU
    input  wire [16:0]           i_alpha,  // A = round(alpha * 2^16), 0..65536
    input  wire [M_W-1:0]        i_mult,
    input  wire [N_W-1:0]        i_shift,
    input  wire [Z_W-1:0]        i_zero,
    input  wire [ACC_W*NTHR-1:0] i_thr,    // threshold k at [ACC_W*k +: ACC_W], signed
    // result out
    output reg                   o_valid,
    output reg  [ACC_W-1:0]      o_q
);
  localparam integer U_W = ACC_W + 1;  // activated value, |u| <= 2^31
  localparam integer P_W = U_W + M_W + 1;  // u * M
  localparam integer S_W = P_W + 1;  // + rounding constant
  localparam integer CW = $clog2(NTHR + 1);

  // ---- stage 1: compares, LeakyReLU product
  wire signed [ACC_W+17:0] w_lk;
  quart_mulw #(
      .A_W(ACC_W),
      .B_W(18)
  ) u_mul_alpha (
      .i_a(i_acc),
      .i_b({1'b0, i_alpha}),
      .o_p(w_lk)
  );

  wire w_unused_lk = &{1'b0, w_lk[15:0], w_lk[ACC_W+17:U_W+16]};
  reg r1_valid;
  reg [1:0] r1_mode, r1_act;
  reg signed [ACC_W-1:0] r1_acc;
  reg signed [U_W-1:0] r1_lk;  // floor(acc*A / 2^16), in [-2^31, 0] for acc < 0 and A <= 2^16
  reg [NTHR-1:0] r1_ge;
  reg [M_W-1:0] r1_mult;
  reg [N_W-1:0] r1_shift;
  reg [Z_W-1:0] r1_zero;
  wire w_acc32 = (i_mode == 2'd2);
  integer k;
  always @(posedge i_clk) begin
    for (k = 0; k < NTHR; k = k + 1) r1_ge[k] <= $signed(i_acc) >= $signed(i_thr[ACC_W*k+:ACC_W]);
    r1_acc <= i_acc;
    r1_lk <= w_lk[U_W+15:16];
    r1_mode <= i_mode;
    r1_act <= w_acc32 ? 2'd0 : i_act;
    r1_mult <= w_acc32 ? {{(M_W - 1) {1'b0}}, 1'b1} : i_mult;
    r1_shift <= w_acc32 ? {N_W{1'b0}} : i_shift;
    r1_zero <= i_zero;
  end

  // ---- stage 2: activation, threshold count
  reg [CW-1:0] w_count;
  integer j;
  always @* begin
    w_count = {CW{1'b0}};
    for (j = 0; j < NTHR; j = j + 1) w_count = w_count + {{(CW - 1) {1'b0}}, r1_ge[j]};
  end
  wire w_neg = r1_acc[ACC_W-1];
  wire signed [U_W-1:0] w_u = ~w_neg || r1_act == 2'd0 ? {r1_acc[ACC_W-1], r1_acc}
                             : r1_act == 2'd1 ? {U_W{1'b0}} : r1_lk[U_W-1:0];

  reg r2_valid;
  reg [1:0] r2_mode;
  reg [CW-1:0] r2_code;
  reg signed [U_W-1:0] r2_u;
  reg [M_W-1:0] r2_mult;
  reg [N_W-1:0] r2_shift;
  reg [Z_W-1:0] r2_zero;
  always @(posedge i_clk) begin
    r2_mode <= r1_mode;
    r2_code <= w_count;
    r2_u <= w_u;
    r2_mult <= r1_mult;
    r2_shift <= r1_shift;
    r2_zero <= r1_zero;
  end

  // ---- stage 3: u * M
  wire signed [P_W-1:0] w_p;
  quart_mulw #(
      .A_W(U_W),
      .B_W(M_W + 1)
  ) u_mul_m (
      .i_a(r2_u),
      .i_b({1'b0, r2_mult}),
      .o_p(w_p)
  );
  wire [S_W-1:0] w_one = {{(S_W - 1) {1'b0}}, 1'b1};
  reg r3_valid;
  reg [1:0] r3_mode;
  reg [CW-1:0] r3_code;
  reg signed [P_W-1:0] r3_p;
  reg [S_W-1:0] r3_rnd;  // 2^(n-1), or 0 for n = 0
  reg [N_W-1:0] r3_shift;
  reg [Z_W-1:0] r3_zero;
  always @(posedge i_clk) begin
    r3_mode <= r2_mode;
    r3_code <= r2_code;
    r3_p <= w_p;
    r3_rnd <= (r2_shift == {N_W{1'b0}}) ? {S_W{1'b0}} : (w_one << (r2_shift - 1'b1));
    r3_shift <= r2_shift;
    r3_zero <= r2_zero;
  end

  // ---- stage 4: round half up
  reg r4_valid;
  reg [1:0] r4_mode;
  reg [CW-1:0] r4_code;
  reg signed [S_W-1:0] r4_sum;
  reg [N_W-1:0] r4_shift;
  reg [Z_W-1:0] r4_zero;
  always @(posedge i_clk) begin
    r4_mode <= r3_mode;
    r4_code <= r3_code;
    r4_sum <= $signed({r3_p[P_W-1], r3_p}) + $signed(r3_rnd);
    r4_shift <= r3_shift;
    r4_zero <= r3_zero;
  end

  // ---- stage 5: arithmetic shift (floor)
  reg r5_valid;
  reg [1:0] r5_mode;
  reg [CW-1:0] r5_code;
  reg signed [S_W-1:0] r5_s;
  reg [Z_W-1:0] r5_zero;
  always @(posedge i_clk) begin
    r5_mode <= r4_mode;
    r5_code <= r4_code;
    r5_s <= r4_sum >>> r4_shift;
    r5_zero <= r4_zero;
  end

  // ---- stage 6: zero point, clamp, select
  wire signed [S_W:0] w_t = $signed({r5_s[S_W-1], r5_s}) + $signed({{(S_W + 1 - Z_W) {r5_zero[Z_W-1]}}, r5_zero})
                          + $signed({{(S_W - 8) {1'b0}}, 9'd128});
  wire w_lo = w_t[S_W];
  wire w_hi = ~w_t[S_W] && (|w_t[S_W-1:8]);
  wire [7:0] w_q8 = w_lo ? 8'd0 : w_hi ? 8'd255 : w_t[7:0];

  always @(posedge i_clk) begin
    case (r5_mode)
      2'd0: o_q <= {{(ACC_W - CW) {1'b0}}, r5_code};
      2'd1: o_q <= {{(ACC_W - 8) {1'b0}}, w_q8};
      default: o_q <= r5_s[ACC_W-1:0];
    endcase
  end

  always @(posedge i_clk) begin
    if (i_rst) begin
      r1_valid <= 1'b0;
      r2_valid <= 1'b0;
      r3_valid <= 1'b0;
      r4_valid <= 1'b0;
      r5_valid <= 1'b0;
      o_valid <= 1'b0;
    end else begin
      r1_valid <= i_valid;
      r2_valid <= r1_valid;
      r3_valid <= r2_valid;
      r4_valid <= r3_valid;
      r5_valid <= r4_valid;
      o_valid <= r5_valid;
    end
  end
endmodule
