// Reset generation: power-on, the (active-low) reset button, the watchdog and software requests each hold
// o_rst for HOLD_CYCLES cycles. The cause bits survive the reset they cause; software clears them (W1C).
`default_nettype none
`include "soc_map.vh"

module soc_reset #(
    parameter integer HOLD_CYCLES = `SOC_RESET_CYCLES
) (
    input  wire       i_clk,
    input  wire       i_btn_n,
    input  wire       i_wdt,
    input  wire       i_soft,
    input  wire [3:0] i_cause_clear,
    output wire       o_rst,
    output reg  [3:0] o_cause
);
  localparam integer CW = $clog2(HOLD_CYCLES + 1);

  reg r_por_done = 1'b0;
  reg [1:0] r_btn_sync = 2'b11;
  reg [CW-1:0] r_hold = {CW{1'b0}};
  initial o_cause = 4'd0;

  wire w_btn = ~r_btn_sync[1];
  wire w_request = ~r_por_done | w_btn | i_wdt | i_soft;
  assign o_rst = w_request | (r_hold != {CW{1'b0}});

  always @(posedge i_clk) begin
    r_por_done <= 1'b1;
    r_btn_sync <= {r_btn_sync[0], i_btn_n};
    if (w_request) r_hold <= HOLD_CYCLES[CW-1:0];
    else if (r_hold != {CW{1'b0}}) r_hold <= r_hold - 1'b1;
    o_cause <= (o_cause & ~(o_rst ? 4'd0 : i_cause_clear)) | {i_soft, i_wdt, w_btn, ~r_por_done};
  end
endmodule
