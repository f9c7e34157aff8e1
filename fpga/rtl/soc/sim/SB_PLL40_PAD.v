// Simulation/lint stand-in for the iCE40 PLL primitive (never synthesised: yosys maps the real one).
// It does not multiply: PLLOUTGLOBAL follows the reference clock, LOCK rises after a few cycles.
`default_nettype none

module SB_PLL40_PAD #(
    parameter FEEDBACK_PATH = "SIMPLE",
    parameter [3:0] DIVR = 4'd0,
    parameter [6:0] DIVF = 7'd0,
    parameter [2:0] DIVQ = 3'd0,
    parameter [2:0] FILTER_RANGE = 3'd0
) (
    input  wire PACKAGEPIN,
    output wire PLLOUTGLOBAL,
    output wire PLLOUTCORE,
    output wire LOCK,
    input  wire RESETB,
    input  wire BYPASS
);
  reg [2:0] r_lock = 3'd0;
  always @(posedge PACKAGEPIN) r_lock <= RESETB ? {r_lock[1:0], 1'b1} : 3'd0;
  assign PLLOUTGLOBAL = PACKAGEPIN;
  assign PLLOUTCORE = PACKAGEPIN;
  assign LOCK = r_lock[2];
  wire w_unused = &{1'b0, BYPASS, DIVR, DIVF, DIVQ, FILTER_RANGE, FEEDBACK_PATH == "SIMPLE"};
endmodule
