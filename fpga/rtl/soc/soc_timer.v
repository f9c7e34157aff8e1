// 64-bit cycle counter and watchdog (registers: SOC_TIMER_* in soc_map.vh).
// The watchdog counts down while enabled; reaching zero pulses o_wdt_expire (the reset block then resets
// the SoC, which disables the watchdog). Enabling it or writing WDT_KICK reloads WDT_TIMEOUT.
`default_nettype none
`include "soc_map.vh"

module soc_timer #(
    parameter integer IDX_BITS = `SOC_TIMER_IDX_BITS
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
    // counter and watchdog
    output wire [63:0]         o_cycle,
    output reg                 o_wdt_expire
);
  reg [63:0] r_cycle;
  reg [31:0] r_hi_latch;
  reg r_wdt_en;
  reg [31:0] r_wdt_timeout;
  reg [31:0] r_wdt_count;
  assign o_cycle = r_cycle;
  initial o_wdt_expire = 1'b0;  // defined before the first reset cycle (it feeds the reset block)

  wire w_access = i_valid & ~o_ready;
  wire w_write = w_access & (|i_wstrb);
  wire w_read = w_access & ~(|i_wstrb);

  always @(posedge i_clk) begin
    if (i_rst) begin
      r_cycle <= 64'd0;
      r_hi_latch <= 32'd0;
      r_wdt_en <= 1'b0;
      r_wdt_timeout <= `SOC_TIMER_WDT_TIMEOUT_RESET;
      r_wdt_count <= `SOC_TIMER_WDT_TIMEOUT_RESET;
      o_wdt_expire <= 1'b0;
      o_ready <= 1'b0;
      o_rdata <= 32'd0;
    end else begin
      r_cycle <= r_cycle + 64'd1;
      o_ready <= w_access;
      o_wdt_expire <= r_wdt_en & (r_wdt_count == 32'd0);
      if (r_wdt_en & (r_wdt_count != 32'd0)) r_wdt_count <= r_wdt_count - 32'd1;
      if (w_read & (i_idx == `SOC_TIMER_CYCLE_LO_IDX)) r_hi_latch <= r_cycle[63:32];
      if (w_write) begin
        case (i_idx)
          `SOC_TIMER_WDT_CTRL_IDX: begin
            r_wdt_en <= i_wdata[`SOC_TIMER_WDT_CTRL_ENABLE_BIT];
            r_wdt_count <= r_wdt_timeout;
          end
          `SOC_TIMER_WDT_TIMEOUT_IDX: r_wdt_timeout <= i_wdata;
          `SOC_TIMER_WDT_KICK_IDX: r_wdt_count <= r_wdt_timeout;
          default: ;
        endcase
      end
      case (i_idx)
        `SOC_TIMER_CYCLE_LO_IDX: o_rdata <= r_cycle[31:0];
        `SOC_TIMER_CYCLE_HI_IDX: o_rdata <= r_hi_latch;
        `SOC_TIMER_WDT_CTRL_IDX: o_rdata <= {31'd0, r_wdt_en};
        `SOC_TIMER_WDT_TIMEOUT_IDX: o_rdata <= r_wdt_timeout;
        `SOC_TIMER_WDT_COUNT_IDX: o_rdata <= r_wdt_count;
        default: o_rdata <= 32'd0;
      endcase
    end
  end
endmodule
