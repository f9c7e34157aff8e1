// Matrix-unit processing element: product register + accumulator.
// LUT_MUL = 1: stage 1 (cycle t) r_prod <= a * w (LUT multiplier), shifted left by 4 when i_shift4
//              (high nibble of a W8 weight).
// LUT_MUL = 0: the product comes registered from a DSP (i_prod, already scaled; see quart_mul2_dsp).
// Stage 2 (cycle t+1, when i_en_d): r_acc <= r_acc + product. i_clr zeroes r_acc at the end of the
// cycle it is asserted (undelayed), so it may accompany the first tap of a pass.
`default_nettype none

module quart_pe #(
    parameter integer LUT_MUL = 1,
    parameter integer A_W = 8,    // decoded activation bits
    parameter integer W_W = 5,    // weight operand bits (signed or unsigned nibble as 5-bit signed)
    parameter integer ACC_W = 32
) (
    input  wire                    i_clk,
    input  wire signed [A_W-1:0]   i_a,
    input  wire signed [W_W-1:0]   i_w,
    input  wire                    i_shift4,
    input  wire        [15:0]      i_prod,   // registered DSP product (LUT_MUL = 0)
    input  wire                    i_en_d,
    input  wire                    i_clr,
    output wire        [ACC_W-1:0] o_acc
);
  localparam integer P_W = A_W + W_W;
  localparam integer R_W = P_W + 4;  // LUT product scaled by up to 16; >= 17 bits, so DSP products fit
  wire signed [R_W-1:0] w_prod;
  reg signed [ACC_W-1:0] r_acc;

  generate
    if (LUT_MUL != 0) begin : g_lut
      wire signed [P_W-1:0] w_mul;
      reg signed [P_W+3:0] r_prod;
      quart_mul #(
          .A_W(A_W),
          .B_W(W_W)
      ) u_mul (
          .i_a(i_a),
          .i_b(i_w),
          .o_p(w_mul)
      );
      always @(posedge i_clk) r_prod <= i_shift4 ? {w_mul, 4'b0000} : {{4{w_mul[P_W-1]}}, w_mul};
      assign w_prod = r_prod;
      wire w_unused_prod = &{1'b0, i_prod};
    end else begin : g_ext
      assign w_prod = {{(R_W - 16) {i_prod[15]}}, i_prod};
      wire w_unused_ops = &{1'b0, i_a, i_w, i_shift4};
    end
  endgenerate

  always @(posedge i_clk) begin
    if (i_clr) r_acc <= {ACC_W{1'b0}};
    else if (i_en_d) r_acc <= r_acc + {{(ACC_W - R_W) {w_prod[R_W-1]}}, w_prod};
  end

  assign o_acc = r_acc;
endmodule
