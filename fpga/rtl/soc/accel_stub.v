// Accelerator slave-port stub: identity, status (always idle) and four scratch registers
// (SOC_ACCEL_* in soc_map.vh). The accelerator replaces this module behind the same bus interface.
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
  reg [31:0] r_scratch[0:3];
  wire w_access = i_valid & ~o_ready;
  wire w_write = w_access & (|i_wstrb);
  // SCRATCH0..3 are consecutive words
  wire [IDX_BITS-1:0] w_rel = i_idx - `SOC_ACCEL_SCRATCH0_IDX;
  wire w_scratch = (w_rel < 4);

  always @(posedge i_clk) begin
    if (i_rst) begin
      o_ready <= 1'b0;
      o_rdata <= 32'd0;
      r_scratch[0] <= 32'd0;
      r_scratch[1] <= 32'd0;
      r_scratch[2] <= 32'd0;
      r_scratch[3] <= 32'd0;
    end else begin
      o_ready <= w_access;
      if (w_write & w_scratch) r_scratch[w_rel[1:0]] <= i_wdata;
      if (w_scratch) o_rdata <= r_scratch[w_rel[1:0]];
      else if (i_idx == `SOC_ACCEL_ID_IDX) o_rdata <= `SOC_ACCEL_ID_RESET;
      else if (i_idx == `SOC_ACCEL_STATUS_IDX) o_rdata <= `SOC_ACCEL_STATUS_RESET;
      else o_rdata <= 32'd0;
    end
  end
endmodule
