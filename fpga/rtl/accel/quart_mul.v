// W4 x A8 product in LUTs: radix-4 Booth recoding of the signed weight nibble, w = d0 + 4*d1 with
// d0 = w0 - 2*w1 and d1 = w1 + w2 - 2*w3 (each in -2..2). The negated activation -a comes from the
// column (one negation shared by every LUT multiplier of the column). Own hierarchy, so synthesis
// does not merge it with the accumulator that follows (DESIGN.md §3).
`default_nettype none

(* keep_hierarchy *)
module quart_mul (
    input  wire signed [7:0]  i_a,
    input  wire signed [8:0]  i_na,  // -i_a
    input  wire        [3:0]  i_w,   // signed nibble
    output wire signed [11:0] o_p    // i_a * i_w
);
  function signed [9:0] booth(input [2:0] g, input signed [7:0] x, input signed [8:0] nx);
    case (g)
      3'b001, 3'b010: booth = {{2{x[7]}}, x};
      3'b011: booth = {x[7], x, 1'b0};
      3'b100: booth = {nx, 1'b0};
      3'b101, 3'b110: booth = {nx[8], nx};
      default: booth = 10'sd0;
    endcase
  endfunction
  wire signed [9:0] w_d0 = booth({i_w[1], i_w[0], 1'b0}, i_a, i_na);
  wire signed [9:0] w_d1 = booth({i_w[3], i_w[2], i_w[1]}, i_a, i_na);
  assign o_p = {{2{w_d0[9]}}, w_d0} + {w_d1, 2'b00};
endmodule
