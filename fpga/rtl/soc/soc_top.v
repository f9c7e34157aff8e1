// The quart SoC: RV32I CPU, boot ROM, SPRAM, UART, timer/watchdog, system control and the accelerator
// slave port, at the addresses of fpga/soc/map.ts (soc_map.vh). The same module runs in Verilator
// (sim/verilator) and on the board (icebreaker_top.v); the o_dbg_* ports serve the simulation harness.
`default_nettype none
`include "soc_map.vh"

module soc_top #(
    parameter ROM_INIT = ""
) (
    input  wire        i_clk,
    input  wire        i_rst_n,      // reset button, active low (asynchronous, synchronised here)
    input  wire        i_uart_rx,
    output wire        o_uart_tx,
    output wire [1:0]  o_leds,       // {green, red}, 1 = on; red also lights while the CPU is halted
    // simulation / debug
    output wire        o_dbg_halted,
    output wire [2:0]  o_dbg_halt_cause,
    output wire [31:0] o_dbg_pc,
    output wire        o_dbg_retire,
    output wire [15:0] o_dbg_uart_div,
    output wire        o_dbg_sim_exit,
    output wire [7:0]  o_dbg_sim_exit_code
);
  localparam integer ROM_WORDS = `SOC_ROM_SIZE / 4;
  localparam integer RAM_BANKS = `SOC_RAM_SIZE / 65536;

  // ------------------------------------------------------------------ reset
  wire w_rst, w_wdt_expire, w_soft_reset;
  wire [3:0] w_cause, w_cause_clear;
  soc_reset u_reset (
      .i_clk(i_clk),
      .i_btn_n(i_rst_n),
      .i_wdt(w_wdt_expire),
      .i_soft(w_soft_reset),
      .i_cause_clear(w_cause_clear),
      .o_rst(w_rst),
      .o_cause(w_cause)
  );

  // ------------------------------------------------------------------ CPU
  wire        w_valid, w_ready;
  wire [31:0] w_addr, w_wdata, w_rdata;
  wire [ 3:0] w_wstrb;
  wire [63:0] w_cycle;
  wire [31:0] w_insn, w_rd_wdata;
  wire [ 4:0] w_rd;
  wire        w_rd_we;
  rv32i_cpu #(
      .RESET_PC(`SOC_ROM_BASE)
  ) u_cpu (
      .i_clk(i_clk),
      .i_rst(w_rst),
      .o_bus_valid(w_valid),
      .o_bus_addr(w_addr),
      .o_bus_wdata(w_wdata),
      .o_bus_wstrb(w_wstrb),
      .i_bus_ready(w_ready),
      .i_bus_rdata(w_rdata),
      .i_cycle(w_cycle),
      .o_halted(o_dbg_halted),
      .o_halt_cause(o_dbg_halt_cause),
      .o_retire(o_dbg_retire),
      .o_pc(o_dbg_pc),
      .o_insn(w_insn),
      .o_rd_we(w_rd_we),
      .o_rd(w_rd),
      .o_rd_wdata(w_rd_wdata)
  );
  wire w_unused = &{1'b0, w_insn, w_rd_we, w_rd, w_rd_wdata};

  // ------------------------------------------------------------------ bus
  wire [6:0] w_sel, w_sready;
  wire [31:0] w_rom_rdata, w_ram_rdata, w_uart_rdata, w_timer_rdata, w_sysctl_rdata, w_accel_rdata;
  wire [31:0] w_xmem_rdata;
  soc_bus u_bus (
      .i_clk(i_clk),
      .i_rst(w_rst),
      .i_valid(w_valid),
      .i_addr(w_addr),
      .o_ready(w_ready),
      .o_rdata(w_rdata),
      .o_valid(w_sel),
      .i_ready(w_sready),
      .i_rdata_rom(w_rom_rdata),
      .i_rdata_ram(w_ram_rdata),
      .i_rdata_uart(w_uart_rdata),
      .i_rdata_timer(w_timer_rdata),
      .i_rdata_sysctl(w_sysctl_rdata),
      .i_rdata_accel(w_accel_rdata),
      .i_rdata_xmem(w_xmem_rdata)
  );

  // ------------------------------------------------------------------ slaves
  soc_rom #(
      .WORDS(ROM_WORDS),
      .INIT_FILE(ROM_INIT)
  ) u_rom (
      .i_clk(i_clk),
      .i_valid(w_sel[0]),
      .i_idx(w_addr[`SOC_ROM_ADDR_BITS-1:2]),
      .o_ready(w_sready[0]),
      .o_rdata(w_rom_rdata)
  );

  soc_spram #(
      .BANKS(RAM_BANKS)
  ) u_ram (
      .i_clk(i_clk),
      .i_valid(w_sel[1]),
      .i_idx(w_addr[`SOC_RAM_ADDR_BITS-1:2]),
      .i_wdata(w_wdata),
      .i_wstrb(w_wstrb),
      .o_ready(w_sready[1]),
      .o_rdata(w_ram_rdata)
  );

  uart_periph u_uart (
      .i_clk(i_clk),
      .i_rst(w_rst),
      .i_valid(w_sel[2]),
      .i_idx(w_addr[`SOC_UART_ADDR_BITS-1:2]),
      .i_wdata(w_wdata),
      .i_wstrb(w_wstrb),
      .o_ready(w_sready[2]),
      .o_rdata(w_uart_rdata),
      .i_rx(i_uart_rx),
      .o_tx(o_uart_tx),
      .o_divisor(o_dbg_uart_div)
  );

  soc_timer u_timer (
      .i_clk(i_clk),
      .i_rst(w_rst),
      .i_valid(w_sel[3]),
      .i_idx(w_addr[`SOC_TIMER_ADDR_BITS-1:2]),
      .i_wdata(w_wdata),
      .i_wstrb(w_wstrb),
      .o_ready(w_sready[3]),
      .o_rdata(w_timer_rdata),
      .o_cycle(w_cycle),
      .o_wdt_expire(w_wdt_expire)
  );

  wire [1:0] w_leds;
  soc_sysctl u_sysctl (
      .i_clk(i_clk),
      .i_rst(w_rst),
      .i_valid(w_sel[4]),
      .i_idx(w_addr[`SOC_SYSCTL_ADDR_BITS-1:2]),
      .i_wdata(w_wdata),
      .i_wstrb(w_wstrb),
      .o_ready(w_sready[4]),
      .o_rdata(w_sysctl_rdata),
      .i_reset_cause(w_cause),
      .o_cause_clear(w_cause_clear),
      .o_soft_reset(w_soft_reset),
      .o_leds(w_leds),
      .o_sim_exit(o_dbg_sim_exit),
      .o_sim_exit_code(o_dbg_sim_exit_code)
  );
  assign o_leds = {w_leds[1], w_leds[0] | o_dbg_halted};

`ifdef SOC_ACCEL
  // the accelerator core and the external memory (its PSRAM is a behavioural model: simulation only)
  soc_accel u_accel (
      .i_clk(i_clk),
      .i_rst(w_rst),
      .i_valid(w_sel[5]),
      .i_idx(w_addr[`SOC_ACCEL_ADDR_BITS-1:2]),
      .i_wdata(w_wdata),
      .i_wstrb(w_wstrb),
      .o_ready(w_sready[5]),
      .o_rdata(w_accel_rdata),
      .i_xvalid(w_sel[6]),
      .i_xaddr(w_addr[`SOC_XMEM_ADDR_BITS-1:0]),
      .i_xwdata(w_wdata),
      .i_xwstrb(w_wstrb),
      .o_xready(w_sready[6]),
      .o_xrdata(w_xmem_rdata)
  );
`else
  // no core (the board until it fits): the stub, and XMEM reads 0 (no PSRAM controller yet)
  accel_stub u_accel (
      .i_clk(i_clk),
      .i_rst(w_rst),
      .i_valid(w_sel[5]),
      .i_idx(w_addr[`SOC_ACCEL_ADDR_BITS-1:2]),
      .i_wdata(w_wdata),
      .i_wstrb(w_wstrb),
      .o_ready(w_sready[5]),
      .o_rdata(w_accel_rdata)
  );
  reg r_xmem_ready;
  always @(posedge i_clk) r_xmem_ready <= ~w_rst & w_sel[6] & ~r_xmem_ready;
  assign w_sready[6] = r_xmem_ready;
  assign w_xmem_rdata = 32'd0;
`endif
endmodule
