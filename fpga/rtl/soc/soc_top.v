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
    // QSPI NOR flash pins (SOC_FLASH on the board: icebreaker_top.v puts them on SB_IO tristates; with
    // SOC_FLASH_MODEL the model inside takes the inputs' place; without SOC_FLASH they idle: clock low,
    // chip select high, nothing driven)
    output wire        o_flash_sck,
    output wire        o_flash_cs_n,
    output wire [3:0]  o_flash_io,
    output wire [3:0]  o_flash_oe,
    input  wire [3:0]  i_flash_io,
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
  wire [8:0] w_sel, w_sready;
  wire [31:0] w_rom_rdata, w_ram_rdata, w_uart_rdata, w_timer_rdata, w_sysctl_rdata, w_accel_rdata;
  wire [31:0] w_xmem_rdata, w_flashctl_rdata, w_flash_rdata;
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
      .i_rdata_xmem(w_xmem_rdata),
      .i_rdata_flashctl(w_flashctl_rdata),
      .i_rdata_flash(w_flash_rdata)
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

`ifdef SOC_FLASH
  // the QSPI NOR flash: models persist there (firmware/README.md); in simulation with SOC_FLASH_MODEL a
  // pin-level W25Q128JV model sits on the pins, its contents loaded from and saved to a file
  wire w_fl_sck, w_fl_cs_n;
  wire [3:0] w_fl_out, w_fl_oe, w_fl_in;
  soc_qspi_flash u_flash (
      .i_clk(i_clk),
      .i_rst(w_rst),
      .i_valid(w_sel[7]),
      .i_idx(w_addr[`SOC_FLASHCTL_ADDR_BITS-1:2]),
      .i_wdata(w_wdata),
      .i_wstrb(w_wstrb),
      .o_ready(w_sready[7]),
      .o_rdata(w_flashctl_rdata),
      .i_mvalid(w_sel[8]),
      .i_maddr(w_addr[`SOC_FLASH_ADDR_BITS-1:0]),
      .i_mwstrb(w_wstrb),
      .o_mready(w_sready[8]),
      .o_mrdata(w_flash_rdata),
      .o_sck(w_fl_sck),
      .o_cs_n(w_fl_cs_n),
      .o_io(w_fl_out),
      .o_io_oe(w_fl_oe),
      .i_io(w_fl_in)
  );
  assign o_flash_sck = w_fl_sck;
  assign o_flash_cs_n = w_fl_cs_n;
  assign o_flash_io = w_fl_out;
  assign o_flash_oe = w_fl_oe;
`ifdef SOC_FLASH_MODEL
  wire [3:0] w_fm_out, w_fm_oe;
  wire [31:0] w_fm_programs, w_fm_erases;
  spi_flash_model #(
      .AW(`SOC_FLASH_ADDR_BITS),
      .SECTOR_ERASE_CYCLES(`SOC_FLASH_SECTOR_ERASE_CYCLES),
      .BLOCK_ERASE_CYCLES(`SOC_FLASH_BLOCK_ERASE_CYCLES),
      .PAGE_PROGRAM_CYCLES(`SOC_FLASH_PAGE_PROGRAM_CYCLES),
      .JEDEC_ID(`SOC_FLASH_JEDEC_ID)
  ) u_flash_mem (
      .i_clk(i_clk),
      .i_sck(w_fl_sck),
      .i_cs_n(w_fl_cs_n),
      .i_io(w_fl_in),
      .o_io(w_fm_out),
      .o_oe(w_fm_oe),
      .o_programs(w_fm_programs),
      .o_erases(w_fm_erases)
  );
  // the board's pull-ups on lines nobody drives
  assign w_fl_in = (w_fl_oe & w_fl_out) | (w_fm_oe & w_fm_out) | ~(w_fl_oe | w_fm_oe);
  wire w_fl_unused = &{1'b0, w_fm_programs, w_fm_erases, i_flash_io};
`else
  // the board's flash (W25Q128JV, the configuration flash: the bitstream's region is kept out of the slots)
  assign w_fl_in = i_flash_io;
`endif
`else
  // no flash controller: FLASHCTL reads 0 (ID = 0 tells the firmware), FLASH reads 0
  reg r_fl_ready, r_flm_ready;
  always @(posedge i_clk) begin
    r_fl_ready <= ~w_rst & w_sel[7] & ~r_fl_ready;
    r_flm_ready <= ~w_rst & w_sel[8] & ~r_flm_ready;
  end
  assign w_sready[7] = r_fl_ready;
  assign w_sready[8] = r_flm_ready;
  assign w_flashctl_rdata = 32'd0;
  assign w_flash_rdata = 32'd0;
  assign o_flash_sck = 1'b0;
  assign o_flash_cs_n = 1'b1;
  assign o_flash_io = 4'h0;
  assign o_flash_oe = 4'h0;
  wire w_fl_pins_unused = &{1'b0, i_flash_io};
`endif
endmodule
