// Signed multiplier in LUTs, kept as its own hierarchy so yosys does not merge it with the
// accumulator adder that follows (DESIGN.md §3: flat `acc + a*w` nearly doubles the LUTs).
`default_nettype none

(* keep_hierarchy *)
module quart_mul #(
    parameter integer A_W = 8,
    parameter integer B_W = 5
) (
    input  wire signed [A_W-1:0]     i_a,
    input  wire signed [B_W-1:0]     i_b,
    output wire signed [A_W+B_W-1:0] o_p
);
  assign o_p = i_a * i_b;
endmodule
