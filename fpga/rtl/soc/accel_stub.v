// Accelerator slave-port stub for builds without the core (the board until the core fits the UP5K): ID
// answers SOC_ACCEL_STUB_ID ("ACC0"), every other register reads 0 (STATUS: not running, not done) and
// writes are ignored. soc_accel.v is the real slave behind the same interface.
`default_nettype none
`include "soc_map.vh"

module accel_stub #(
    parameter integer IDX_BITS = `SOC_ACCEL_IDX_BITS
) (
    input  wire                i_clk,
    input  wire                i_rst,
    input  wire                i_valid,
    input  wire [IDX_BITS-1:0] i_idx,
    input  wire [31:0]         i_wdata,
    input  wire [3:0]          i_wstrb,
    output reg                 o_ready,
    output reg  [31:0]         o_rdata
);
  wire w_access = i_valid & ~o_ready;
  always @(posedge i_clk) begin
    if (i_rst) begin
      o_ready <= 1'b0;
      o_rdata <= 32'd0;
    end else begin
      o_ready <= w_access;
      o_rdata <= (i_idx == `SOC_ACCEL_ID_IDX) ? `SOC_ACCEL_STUB_ID : 32'd0;
    end
  end
  wire w_unused = &{1'b0, i_wdata, i_wstrb};
endmodule
