// Wide signed multiplier for the vector output stage, kept as its own hierarchy so synthesis can map
// it alone (LUTs, or SB_MAC16 with synth_ice40 -dsp when DSPs are left over by the matrix unit).
`default_nettype none

(* keep_hierarchy *)
module quart_mulw #(
    parameter integer A_W = 33,
    parameter integer B_W = 16
) (
    input  wire signed [A_W-1:0]     i_a,
    input  wire signed [B_W-1:0]     i_b,
    output wire signed [A_W+B_W-1:0] o_p
);
  assign o_p = i_a * i_b;
endmodule
