// Vector-unit output stage (docs/arithmetic.md §3), one element at a time, LUTs only (no DSP, no
// wide multiplier): a 4-step binary search over thresholds read one at a time, and a shift-add
// requantizer that time-shares one 33-bit adder.
//
//   mode THRESH (0): q = #{k in 0..14 : acc >= thr[k]}   (4-bit lut4 code; thresholds non-decreasing)
//   mode REQUANT (1): u = f(acc) (none / ReLU / LeakyReLU floor(acc*A / 2^16) for acc < 0);
//                     q = clamp(floor((u*M + 2^(n-1)) / 2^n) + zero + 128, 0, 255)   (lin8 code)
//   mode ACC32 (2):   q = acc
//
// Handshake: an element (i_acc, its parameters and a tag) is accepted in a cycle with i_valid and
// o_ready; every input is captured then, and may change afterwards. The result appears on o_q with
// o_valid (one cycle) and the element's tag on o_tag. o_ready is high when the stage is idle and in
// the last cycle of an element, so elements follow back to back:
//   ACC32: 1 cycle per element (result 2 cycles after acceptance);
//   THRESH: 4 cycles per element (result 5 cycles after acceptance);
//   REQUANT: 17 + floor(n/8) + (n mod 8) cycles per element, + 17 when LeakyReLU applies
//            (acc < 0 and A != 65536); the result arrives in the cycle after the last one.
//
// Thresholds are not inputs of the element: the stage reads them from the caller's table through a
// synchronous read port. In every cycle it asks for threshold o_thr_idx of the element tagged
// o_thr_tag; i_thr_k must carry that threshold in the next cycle (a registered memory read, e.g. a
// block RAM addressed by {o_thr_tag's channel, o_thr_idx}). While idle, and in the last cycle of an
// element, the request is index 7 for the element on the input (o_thr_tag = i_tag), so the first
// compare of a THRESH element can use it in the cycle after its acceptance. o_thr_idx depends
// combinationally on i_thr_k (the next probe follows the current compare).
//
// CONST_REQUANT = 1 makes the REQUANT cycles independent of the data, so that a caller can schedule
// (and a performance model predict) them: the shift phase is padded to its longest, 12 cycles
// (n = 47), and the LeakyReLU loop runs for every element when act is LeakyReLU and A != 65536
// (its result is used only for acc < 0): 29 cycles per element, + 17 for such a LeakyReLU.
`default_nettype none

module quart_out_stage #(
    parameter integer TAG_W = 8,
    parameter integer CONST_REQUANT = 0
) (
    input  wire             i_clk,
    input  wire             i_rst,
    // element in
    input  wire             i_valid,
    output wire             o_ready,
    input  wire [31:0]      i_acc,
    input  wire [1:0]       i_mode,   // 0 threshold, 1 requant, 2 acc32
    input  wire [1:0]       i_act,    // 0 none, 1 ReLU, 2 LeakyReLU
    input  wire [16:0]      i_alpha,  // A = round(alpha * 2^16), 0..65536
    input  wire [14:0]      i_mult,   // M
    input  wire [5:0]       i_shift,  // n, 0..47
    input  wire [15:0]      i_zero,   // signed output zero
    input  wire [TAG_W-1:0] i_tag,
    // threshold read port
    output wire [3:0]       o_thr_idx,
    output wire [TAG_W-1:0] o_thr_tag,
    input  wire [31:0]      i_thr_k,  // threshold requested in the previous cycle (signed)
    // result out
    output reg              o_valid,
    output reg  [31:0]      o_q,
    output reg  [TAG_W-1:0] o_tag
);
  localparam [2:0] S_IDLE = 3'd0, S_THR = 3'd1, S_LEAKY = 3'd2, S_LKU = 3'd3, S_MUL = 3'd4,
                   S_SHIFT = 3'd5, S_FIN = 3'd6, S_A32 = 3'd7;

  reg [2:0] r_state;
  reg [3:0] r_cnt;           // steps left in THR / LEAKY / MUL
  reg signed [31:0] r_x;     // THR, ACC32: acc; LEAKY: acc (multiplicand); MUL: u
  reg signed [32:0] r_h;     // product, high part
  reg [15:0] r_l;            // product, low part (multiplier bits shift out as product bits shift in)
  reg r_a16;                 // A bit 16 (A = 65536 + ... adds x once more)
  reg [3:0] r_q;             // THR: code so far
  reg [14:0] r_mult;
  reg [5:0] r_sh;            // shift left to do
  reg r_rb;                  // last bit shifted out (the rounding bit P[n-1])
  reg [16:0] r_zero;          // zero + 128
  reg [TAG_W-1:0] r_tag;
  reg r_lkuse;               // the LeakyReLU product replaces acc (acc < 0)
  reg [3:0] r_pad;           // CONST_REQUANT: shift-phase cycles left

  // ---- the one adder: h + (bit ? x : 0)
  wire w_add = (r_state == S_LKU) ? r_a16 : ((r_state == S_LEAKY || r_state == S_MUL) && r_l[0]);
  // (a plain shift step in S_SHIFT adds nothing: w_sum = r_h)
  wire signed [32:0] w_sum = r_h + (w_add ? {r_x[31], r_x} : 33'sd0);

  // ---- threshold compare and next probe
  wire w_ge = $signed(r_x) >= $signed(i_thr_k);
  wire [3:0] w_bit = 4'd1 << r_cnt[1:0];
  wire [3:0] w_q_new = w_ge ? (r_q | w_bit) : r_q;
  wire [3:0] w_below = (w_bit >> 1) - 4'd1;  // bits below the next step's bit (as 4 bits)
  wire w_thr_last = (r_state == S_THR) && (r_cnt == 4'd0);
  wire w_last = w_thr_last || (r_state == S_FIN) || (r_state == S_A32);
  assign o_ready = (r_state == S_IDLE) || w_last;
  assign o_thr_idx = (r_state == S_THR && !w_thr_last) ? (w_q_new | w_below) : 4'd7;
  assign o_thr_tag = o_ready ? i_tag : r_tag;

  // ---- final requant arithmetic from P >>> n = {r_h, r_l} and the rounding bit
  wire w_hi_ok = (&r_h[32:1]) | ~(|r_h[32:1]);  // r_h fits 2 bits: P>>>n fits 18 bits
  // t = (P >>> n) + rounding bit + zero + 128: one adder, the rounding bit as its carry in
  wire [19:0] w_t = {{2{r_h[1]}}, r_h[1:0], r_l} + {{3{r_zero[16]}}, r_zero} + {19'd0, r_rb};
  wire [7:0] w_q8 = !w_hi_ok ? (r_h[32] ? 8'd0 : 8'd255)
                  : w_t[19] ? 8'd0 : (|w_t[18:8]) ? 8'd255 : w_t[7:0];

  wire w_acc_neg = i_acc[31];
  wire w_lkn = (i_act == 2'd2) && w_acc_neg && (i_alpha != 17'd65536);
  wire w_lk = (CONST_REQUANT != 0) ? ((i_act == 2'd2) && (i_alpha != 17'd65536)) : w_lkn;
  wire w_relu0 = (i_mode == 2'd1) && (i_act == 2'd1) && w_acc_neg;
  wire w_accept = i_valid && o_ready;

  // shared register paths: one shift-add step (also a plain shift by 1 while shifting), shift by 8
  wire w_shact = (r_state == S_SHIFT) && (r_sh != 6'd0);
  wire w_sh8 = w_shact && (r_sh >= 6'd8);
  wire w_step = (r_state == S_LEAKY) || (r_state == S_MUL) || (w_shact && !w_sh8);
  wire w_cnt_end = (r_cnt == 4'd0);

  always @(posedge i_clk) begin
    // product register {r_h, r_l}
    if (w_accept || r_state == S_LKU) r_h <= 33'sd0;
    else if (w_step) r_h <= w_sum >>> 1;
    else if (w_sh8) r_h <= r_h >>> 8;
    if (w_accept) r_l <= (i_mode == 2'd1 && w_lk) ? i_alpha[15:0] : {1'b0, i_mult};
    else if (r_state == S_LKU) r_l <= {1'b0, r_mult};
    else if (w_step) r_l <= {w_sum[0], r_l[15:1]};
    else if (w_sh8) r_l <= {r_h[7:0], r_l[15:8]};
    // rounding bit: the last bit shifted out below bit n
    if (w_accept) r_rb <= 1'b0;
    else if (w_shact) r_rb <= w_sh8 ? r_l[7] : r_l[0];
    if (w_accept) r_sh <= i_shift;
    else if (w_shact) r_sh <= r_sh - (w_sh8 ? 6'd8 : 6'd1);
    // operand
    if (w_accept) r_x <= w_relu0 ? 32'sd0 : $signed(i_acc);
    else if (r_state == S_LKU && r_lkuse) r_x <= w_sum[31:0];  // u = floor(acc * A / 2^16), in [acc, 0]
    // step counter and threshold code
    if (w_accept) r_cnt <= (i_mode == 2'd0) ? 4'd3 : 4'd15;
    else if (r_state == S_LKU) r_cnt <= 4'd15;
    else r_cnt <= r_cnt - 4'd1;
    if (w_accept) r_q <= 4'd0;
    else if (r_state == S_THR) r_q <= w_q_new;
    if (w_accept) begin
      r_tag <= i_tag;
      r_mult <= i_mult;
      r_zero <= {i_zero[15], i_zero} + 17'd128;
      r_a16 <= i_alpha[16];
      r_lkuse <= w_lkn;
    end
    if (w_accept) r_pad <= 4'd12;
    else if (r_state == S_SHIFT) r_pad <= r_pad - 4'd1;
    // control
    case (r_state)
      S_LEAKY: if (w_cnt_end) r_state <= S_LKU;
      S_LKU: r_state <= S_MUL;
      S_MUL: if (w_cnt_end) r_state <= (r_sh == 6'd0 && CONST_REQUANT == 0) ? S_FIN : S_SHIFT;
      S_SHIFT:
      if (CONST_REQUANT != 0 ? (r_pad == 4'd1) : (r_sh == (w_sh8 ? 6'd8 : 6'd1))) r_state <= S_FIN;
      default: ;
    endcase
    if (w_last) r_state <= S_IDLE;
    if (w_accept)
      r_state <= (i_mode == 2'd0) ? S_THR : (i_mode == 2'd1) ? (w_lk ? S_LEAKY : S_MUL) : S_A32;
    // result
    o_valid <= w_last;
    if (w_last) begin
      o_tag <= r_tag;
      o_q <= (r_state == S_THR) ? {28'd0, w_q_new} : (r_state == S_A32) ? r_x : {24'd0, w_q8};
    end
    if (i_rst) begin
      r_state <= S_IDLE;
      o_valid <= 1'b0;
    end
  end
endmodule
