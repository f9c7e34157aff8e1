// Simulation/lint stand-in for the iCE40 I/O cell (never synthesised: yosys maps the real one). Only
// the combinational tristate use of icebreaker_top.v: PIN_TYPE 6'b1010_01 (OUTPUT_ENABLE drives
// D_OUT_0 onto the pin, D_IN_0 follows the pin unregistered).
`default_nettype none

module SB_IO #(
    parameter [5:0] PIN_TYPE = 6'b000000,
    parameter [0:0] PULLUP = 1'b0
) (
    inout  wire PACKAGE_PIN,
    input  wire OUTPUT_ENABLE,
    input  wire D_OUT_0,
    output wire D_IN_0
);
  assign PACKAGE_PIN = OUTPUT_ENABLE ? D_OUT_0 : 1'bz;
  assign D_IN_0 = PACKAGE_PIN;
  wire w_unused = &{1'b0, PIN_TYPE, PULLUP};
endmodule
