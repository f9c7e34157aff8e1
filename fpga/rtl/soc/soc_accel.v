// The accelerator behind the SoC bus: the quart_accel core (fpga/rtl/accel) with its register window at
// ACCEL offsets 0x00..0xfc, the wrapper registers (ID, CORE_RESET, XMEM_BUSY, XMEM_WAIT) from 0x100, and the
// external memory (soc_xmem: the arbiter; soc_psram_sim: the PSRAM model) that the CPU reaches through
// the XMEM region and the core through its program and DMA ports. Segment bases and the program address are bus addresses in XMEM (the
// memory decodes the low SOC_XMEM_ADDR_BITS). DONE/error are polled in STATUS (the CPU has no interrupts).
`default_nettype none
`include "soc_map.vh"

module soc_accel #(
    parameter integer IDX_BITS = `SOC_ACCEL_IDX_BITS,
    parameter integer XAW = `SOC_XMEM_ADDR_BITS
) (
    input  wire                i_clk,
    input  wire                i_rst,
    // ACCEL register slave
    input  wire                i_valid,
    input  wire [IDX_BITS-1:0] i_idx,
    input  wire [31:0]         i_wdata,
    input  wire [3:0]          i_wstrb,
    output reg                 o_ready,
    output reg  [31:0]         o_rdata,
    // XMEM slave (CPU side of the external memory)
    input  wire                i_xvalid,
    input  wire [XAW-1:0]      i_xaddr,
    input  wire [31:0]         i_xwdata,
    input  wire [3:0]          i_xwstrb,
    output wire                o_xready,
    output wire [31:0]         o_xrdata
);
  wire w_access = i_valid & ~o_ready;
  wire w_write = w_access & (|i_wstrb);
  wire w_core_reg = ~|i_idx[IDX_BITS-1:6];

  // CORE_RESET: reset held a few cycles; the memory abandons the core's transfer meanwhile
  reg [2:0] r_core_rst;
  always @(posedge i_clk) begin
    if (i_rst) r_core_rst <= 3'd0;
    else if (w_write && i_idx == `SOC_ACCEL_CORE_RESET_IDX && i_wdata[0]) r_core_rst <= 3'd7;
    else if (r_core_rst != 3'd0) r_core_rst <= r_core_rst - 3'd1;
  end
  wire w_core_rst = i_rst | (r_core_rst != 3'd0);

  wire [31:0] w_core_rdata;
  wire w_done, w_irq;
  wire w_preq_valid, w_preq_ready, w_prsp_valid;
  wire [31:0] w_preq_addr;
  wire [127:0] w_prsp_data;
  wire [2:0] w_mreq_valid, w_mreq_ready, w_mreq_we, w_mreq_first, w_mrvalid, w_mwvalid, w_mwready;
  wire [95:0] w_mreq_addr;
  wire [47:0] w_mreq_len;
  wire [5:0] w_mreq_seg, w_mwmask;
  wire [23:0] w_mrdata, w_mwdata;
  // The icebreaker array puts rows 0-1 in the 8 SB_MAC16s (W8 taps need them); without the DSP
  // simulation model the all-LUT array runs W4 only.
`ifdef SOC_ACCEL_DSP
  localparam integer N_DSP = 8;
`else
  localparam integer N_DSP = 0;
`endif
  // Simulation speed (SOC_ACCEL_IDLE_GATE, set by the Verilator device build): while the core is idle
  // (no program running, no access to its registers, no transfer of its own on XMEM, nor in the 16
  // cycles after any of these) its clock stops, so the simulator skips the core's logic while the CPU
  // receives an upload. An idle core holds its state, so its results and cycle counts are those of the
  // free-running core. Not for synthesis: a gated clock in the fabric.
  wire w_xbusy, w_xwait;
`ifdef SOC_ACCEL_IDLE_GATE
  wire w_start_write = w_write && i_idx == `SOC_ACCEL_CTRL_IDX && i_wdata[0];
  reg r_running;
  always @(posedge i_clk) begin
    if (w_core_rst) r_running <= 1'b0;
    else if (w_start_write) r_running <= 1'b1;
    else if (w_irq) r_running <= 1'b0;
  end
  wire w_core_active = w_core_rst | i_valid | r_running | w_preq_valid | (|w_mreq_valid) | w_xbusy;
  reg [4:0] r_idle_tail;
  always @(posedge i_clk) begin
    if (w_core_active) r_idle_tail <= 5'd16;
    else if (r_idle_tail != 5'd0) r_idle_tail <= r_idle_tail - 5'd1;
  end
  // the enable changes while the clock is low, so the gated clock has no glitch
  reg r_core_clk_en = 1'b1;
  always @(negedge i_clk) r_core_clk_en <= w_core_active | (r_idle_tail != 5'd0);
  wire w_core_clk = i_clk & r_core_clk_en;
`else
  wire w_core_clk = i_clk;
`endif
  quart_accel #(
      .N_DSP(N_DSP)
  ) u_core (
      .i_clk(w_core_clk),
      .i_rst(w_core_rst),
      .i_reg_we(w_write & w_core_reg),
      .i_reg_addr({i_idx[5:0], 2'b00}),
      .i_reg_wdata(i_wdata),
      .o_reg_rdata(w_core_rdata),
      .o_done(w_done),
      .o_irq(w_irq),
      .o_preq_valid(w_preq_valid),
      .i_preq_ready(w_preq_ready),
      .o_preq_addr(w_preq_addr),
      .i_prsp_valid(w_prsp_valid),
      .i_prsp_data(w_prsp_data),
      .o_mreq_valid(w_mreq_valid),
      .i_mreq_ready(w_mreq_ready),
      .o_mreq_addr(w_mreq_addr),
      .o_mreq_len(w_mreq_len),
      .o_mreq_we(w_mreq_we),
      .o_mreq_first(w_mreq_first),
      .o_mreq_seg(w_mreq_seg),
      .i_mrvalid(w_mrvalid),
      .i_mrdata(w_mrdata),
      .o_mwvalid(w_mwvalid),
      .i_mwready(w_mwready),
      .o_mwdata(w_mwdata),
      .o_mwmask(w_mwmask)
  );

  wire w_mem_start, w_mem_we, w_mem_abort, w_mem_busy, w_mem_slot, w_mem_move;
  wire [XAW-1:0] w_mem_addr;
  wire [15:0] w_mem_len;
  wire [7:0] w_mem_rdata, w_mem_wdata;
  wire [1:0] w_mem_wmask;
  soc_xmem #(
      .AW(XAW)
  ) u_xmem (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_cvalid(i_xvalid),
      .i_caddr(i_xaddr),
      .i_cwdata(i_xwdata),
      .i_cwstrb(i_xwstrb),
      .o_cready(o_xready),
      .o_crdata(o_xrdata),
      .i_preq_valid(w_preq_valid),
      .o_preq_ready(w_preq_ready),
      .i_preq_addr(w_preq_addr),
      .o_prsp_valid(w_prsp_valid),
      .o_prsp_data(w_prsp_data),
      .i_mreq_valid(w_mreq_valid),
      .o_mreq_ready(w_mreq_ready),
      .i_mreq_addr(w_mreq_addr),
      .i_mreq_len(w_mreq_len),
      .i_mreq_we(w_mreq_we),
      .o_mrvalid(w_mrvalid),
      .o_mrdata(w_mrdata),
      .i_mwvalid(w_mwvalid),
      .o_mwready(w_mwready),
      .i_mwdata(w_mwdata),
      .i_mwmask(w_mwmask),
      .i_abort(w_core_rst),
      .o_accel_busy(w_xbusy),
      .o_accel_wait(w_xwait),
      .o_mem_start(w_mem_start),
      .o_mem_addr(w_mem_addr),
      .o_mem_len(w_mem_len),
      .o_mem_we(w_mem_we),
      .o_mem_abort(w_mem_abort),
      .i_mem_busy(w_mem_busy),
      .i_mem_slot(w_mem_slot),
      .i_mem_rdata(w_mem_rdata),
      .o_mem_move(w_mem_move),
      .o_mem_wdata(w_mem_wdata),
      .o_mem_wmask(w_mem_wmask)
  );

`ifdef SOC_XMEM_PINS
  // the memory device: the board's QSPI controller and a pin-level PSRAM
  wire w_sclk, w_cs_n, w_sio_oe, w_m_oe;
  wire [3:0] w_sio_out, w_m_sio;
  soc_qspi_psram #(
      .AW(XAW)
  ) u_psram (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_start(w_mem_start),
      .i_addr(w_mem_addr),
      .i_len(w_mem_len),
      .i_we(w_mem_we),
      .i_abort(w_mem_abort),
      .o_busy(w_mem_busy),
      .o_slot(w_mem_slot),
      .o_rdata(w_mem_rdata),
      .i_move(w_mem_move),
      .i_wdata(w_mem_wdata),
      .i_wmask(w_mem_wmask),
      .o_sclk(w_sclk),
      .o_cs_n(w_cs_n),
      .o_sio(w_sio_out),
      .o_sio_oe(w_sio_oe),
      .i_sio(w_m_sio)
  );
  soc_psram_pins_sim #(
      .AW(XAW)
  ) u_pins (
      .i_clk(i_clk),
      .i_sclk(w_sclk),
      .i_cs_n(w_cs_n),
      .i_sio(w_sio_out),
      .o_sio(w_m_sio),
      .o_oe(w_m_oe)
  );
  wire w_unused_pins = &{1'b0, w_sio_oe, w_m_oe};
`else
  // the memory device: the timed PSRAM model (the board's controller with SOC_XMEM_PINS)
  soc_psram_sim #(
      .AW(XAW)
  ) u_psram (
      .i_clk(i_clk),
      .i_rst(i_rst),
      .i_start(w_mem_start),
      .i_addr(w_mem_addr),
      .i_len(w_mem_len),
      .i_we(w_mem_we),
      .i_abort(w_mem_abort),
      .o_busy(w_mem_busy),
      .o_slot(w_mem_slot),
      .o_rdata(w_mem_rdata),
      .i_move(w_mem_move),
      .i_wdata(w_mem_wdata),
      .i_wmask(w_mem_wmask)
  );
`endif

  // external-memory counters, cleared by a start
  reg [31:0] r_xbusy, r_xwait;
  wire w_start = w_write && i_idx == `SOC_ACCEL_CTRL_IDX && i_wdata[0];
  always @(posedge i_clk) begin
    if (w_core_rst || w_start) begin
      r_xbusy <= 32'd0;
      r_xwait <= 32'd0;
    end else begin
      r_xbusy <= r_xbusy + {31'd0, w_xbusy};
      r_xwait <= r_xwait + {31'd0, w_xwait};
    end
  end

  always @(posedge i_clk) begin
    if (i_rst) begin
      o_ready <= 1'b0;
      o_rdata <= 32'd0;
    end else begin
      o_ready <= w_access;
      if (w_core_reg) o_rdata <= w_core_rdata;
      else if (i_idx == `SOC_ACCEL_ID_IDX) o_rdata <= `SOC_ACCEL_ID_RESET;
      else if (i_idx == `SOC_ACCEL_XMEM_BUSY_IDX) o_rdata <= r_xbusy;
      else if (i_idx == `SOC_ACCEL_XMEM_WAIT_IDX) o_rdata <= r_xwait;
      else o_rdata <= 32'd0;
    end
  end
  wire w_unused = &{1'b0, w_done, w_irq, w_mreq_first, w_mreq_seg};
endmodule
