// Matrix-unit LUT processing element: product register + narrow partial accumulator.
// Stage 1 (cycle t): r_prod <= a * w (W4 Booth multiplier in LUTs, quart_mul).
// Stage 2 (cycle t+1): r_acc <= r_acc + r_prod when i_en_d, wrapping modulo 2^P_W: the partial is
// the low P_W bits of the PE's sum, and the array's spill unit rebuilds the full 32-bit sum from it
// (quart_mac_array). i_clr zeroes it at the end of the cycle it is asserted (undelayed, so it may
// accompany the first tap of a pass).
`default_nettype none

module quart_pe #(
    parameter integer P_W = 17  // partial accumulator bits (>= 12)
) (
    input  wire                  i_clk,
    input  wire signed [7:0]     i_a,
    input  wire signed [8:0]     i_na,
    input  wire        [3:0]     i_w,
    input  wire                  i_en_d,
    input  wire                  i_clr,
    output wire        [P_W-1:0] o_acc
);
  wire signed [11:0] w_mul;
  reg signed [11:0] r_prod;
  reg signed [P_W-1:0] r_acc;
  quart_mul u_mul (
      .i_a (i_a),
      .i_na(i_na),
      .i_w (i_w),
      .o_p (w_mul)
  );
  always @(posedge i_clk) r_prod <= w_mul;

  always @(posedge i_clk) begin
    if (i_clr) r_acc <= {P_W{1'b0}};
    else if (i_en_d) r_acc <= r_acc + {{(P_W - 12) {r_prod[11]}}, r_prod};
  end

  assign o_acc = r_acc;
endmodule
