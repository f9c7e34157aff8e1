// System control: identity, map hash, clock, reset cause/reset request, LEDs, scratch and the
// simulation exit port (registers: SOC_SYSCTL_* in soc_map.vh).
`default_nettype none
`include "soc_map.vh"

module soc_sysctl #(
    parameter integer IDX_BITS = `SOC_SYSCTL_IDX_BITS
) (
    input  wire                i_clk,
    input  wire                i_rst,
    // bus slave
    input  wire                i_valid,
    input  wire [IDX_BITS-1:0] i_idx,
    input  wire [31:0]         i_wdata,
    input  wire [3:0]          i_wstrb,
    output reg                 o_ready,
    output reg  [31:0]         o_rdata,
    // reset block
    input  wire [3:0]          i_reset_cause,
    output reg  [3:0]          o_cause_clear,
    output reg                 o_soft_reset,
    // board and simulation
    output reg  [1:0]          o_leds,
    output reg                 o_sim_exit,
    output reg  [7:0]          o_sim_exit_code
);
  reg [31:0] r_scratch;
  wire w_access = i_valid & ~o_ready;
  // defined before the first reset cycle (they feed the reset block)
  initial begin
    o_cause_clear = 4'd0;
    o_soft_reset = 1'b0;
  end
  wire w_write = w_access & (|i_wstrb);

  always @(posedge i_clk) begin
    if (i_rst) begin
      o_ready <= 1'b0;
      o_rdata <= 32'd0;
      o_cause_clear <= 4'd0;
      o_soft_reset <= 1'b0;
      o_leds <= 2'd0;
      o_sim_exit <= 1'b0;
      o_sim_exit_code <= 8'd0;
      r_scratch <= 32'd0;
    end else begin
      o_ready <= w_access;
      o_cause_clear <= 4'd0;
      o_soft_reset <= 1'b0;
      if (w_write) begin
        case (i_idx)
          `SOC_SYSCTL_RESET_CAUSE_IDX: o_cause_clear <= i_wdata[3:0];
          `SOC_SYSCTL_RESET_IDX: o_soft_reset <= (i_wdata == `SOC_SYSCTL_RESET_KEY);
          `SOC_SYSCTL_LEDS_IDX: o_leds <= i_wdata[1:0];
          `SOC_SYSCTL_SIM_EXIT_IDX: begin
            o_sim_exit <= 1'b1;
            o_sim_exit_code <= i_wdata[7:0];
          end
          `SOC_SYSCTL_SCRATCH_IDX: r_scratch <= i_wdata;
          default: ;
        endcase
      end
      case (i_idx)
        `SOC_SYSCTL_ID_IDX: o_rdata <= `SOC_SYSCTL_ID_RESET;
        `SOC_SYSCTL_MAP_HASH_IDX: o_rdata <= `SOC_MAP_HASH;
        `SOC_SYSCTL_CLOCK_HZ_IDX: o_rdata <= `SOC_SYSCTL_CLOCK_HZ_RESET;
        `SOC_SYSCTL_RESET_CAUSE_IDX: o_rdata <= {28'd0, i_reset_cause};
        `SOC_SYSCTL_LEDS_IDX: o_rdata <= {30'd0, o_leds};
        `SOC_SYSCTL_SCRATCH_IDX: o_rdata <= r_scratch;
        default: o_rdata <= 32'd0;
      endcase
    end
  end
endmodule
