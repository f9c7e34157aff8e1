// SoC RAM bus slave on iCE40UP5K SPRAM: BANKS = 1 (64 KiB, two SPRAMs) or 2 (128 KiB, all four).
// sim/SB_SPRAM256KA.v is the behavioural model used in simulation.
`default_nettype none

module soc_spram #(
    parameter integer BANKS = 1,
    parameter integer IDX_BITS = (BANKS == 1) ? 14 : 15
) (
    input  wire                i_clk,
    input  wire                i_valid,
    input  wire [IDX_BITS-1:0] i_idx,
    input  wire [31:0]         i_wdata,
    input  wire [3:0]          i_wstrb,
    output reg                 o_ready,
    output wire [31:0]         o_rdata
);
  wire w_access = i_valid & ~o_ready;

  initial o_ready = 1'b0;
  always @(posedge i_clk) o_ready <= w_access;

  generate
    if (BANKS == 1) begin : g_one
      soc_spram_pair u_pair (
          .i_clk(i_clk),
          .i_cs(w_access),
          .i_addr(i_idx),
          .i_wdata(i_wdata),
          .i_wstrb(i_wstrb),
          .o_rdata(o_rdata)
      );
    end else begin : g_two
      wire [31:0] w_rdata0, w_rdata1;
      reg r_bank;
      always @(posedge i_clk) if (w_access) r_bank <= i_idx[14];
      soc_spram_pair u_pair0 (
          .i_clk(i_clk),
          .i_cs(w_access & ~i_idx[14]),
          .i_addr(i_idx[13:0]),
          .i_wdata(i_wdata),
          .i_wstrb(i_wstrb),
          .o_rdata(w_rdata0)
      );
      soc_spram_pair u_pair1 (
          .i_clk(i_clk),
          .i_cs(w_access & i_idx[14]),
          .i_addr(i_idx[13:0]),
          .i_wdata(i_wdata),
          .i_wstrb(i_wstrb),
          .o_rdata(w_rdata1)
      );
      assign o_rdata = r_bank ? w_rdata1 : w_rdata0;
    end
  endgenerate
endmodule
