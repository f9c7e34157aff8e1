// iCEBreaker board wrapper: 12 MHz oscillator -> PLL -> SoC clock (PLL_DIV* below give 24 MHz, the
// SOC_CLOCK_HZ of fpga/soc/map.ts), UART to the FTDI's second channel, LEDs (active low), user button
// as reset, the QSPI configuration flash (models live there once the FPGA has booted). Pins:
// fpga/constraints/icebreaker.pcf.
`default_nettype none

module icebreaker_top #(
    parameter ROM_INIT = "",
    // 12 MHz * (DIVF + 1) / ((DIVR + 1) * 2^DIVQ) = 24 MHz, VCO 768 MHz (icepll -i 12 -o 24)
    parameter [3:0] PLL_DIVR = 4'd0,
    parameter [6:0] PLL_DIVF = 7'd63,
    parameter [2:0] PLL_DIVQ = 3'd5,
    parameter [2:0] PLL_FILTER_RANGE = 3'd1
) (
    input  wire CLK,
    input  wire BTN_N,
    input  wire RX,
    output wire TX,
    output wire LEDR_N,
    output wire LEDG_N,
    // the configuration flash, free for the design once the FPGA has booted
    output wire FLASH_SCK,
    output wire FLASH_SSB,
    inout  wire [3:0] FLASH_IO  // IO0 (MOSI), IO1 (MISO), IO2 (WP#), IO3 (HOLD#)
);
  wire w_clk, w_clk_core, w_lock;
  SB_PLL40_PAD #(
      .FEEDBACK_PATH("SIMPLE"),
      .DIVR(PLL_DIVR),
      .DIVF(PLL_DIVF),
      .DIVQ(PLL_DIVQ),
      .FILTER_RANGE(PLL_FILTER_RANGE)
  ) u_pll (
      .PACKAGEPIN(CLK),
      .PLLOUTGLOBAL(w_clk),
      .PLLOUTCORE(w_clk_core),
      .LOCK(w_lock),
      .RESETB(1'b1),
      .BYPASS(1'b0)
  );

  wire [1:0] w_leds;
  wire w_halted, w_retire, w_exit;
  wire [2:0] w_cause;
  wire [31:0] w_pc;
  wire [15:0] w_div;
  wire [7:0] w_exit_code;
  wire [3:0] w_fl_out, w_fl_oe, w_fl_in;
  soc_top #(
      .ROM_INIT(ROM_INIT)
  ) u_soc (
      .i_clk(w_clk),
      .i_rst_n(BTN_N & w_lock),
      .i_uart_rx(RX),
      .o_uart_tx(TX),
      .o_leds(w_leds),
      .o_flash_sck(FLASH_SCK),
      .o_flash_cs_n(FLASH_SSB),
      .o_flash_io(w_fl_out),
      .o_flash_oe(w_fl_oe),
      .i_flash_io(w_fl_in),
      .o_dbg_halted(w_halted),
      .o_dbg_halt_cause(w_cause),
      .o_dbg_pc(w_pc),
      .o_dbg_retire(w_retire),
      .o_dbg_uart_div(w_div),
      .o_dbg_sim_exit(w_exit),
      .o_dbg_sim_exit_code(w_exit_code)
  );
  // IO0..IO3: tristate outputs, unregistered inputs, pulled up (IO2 = WP#, IO3 = HOLD# idle high)
  genvar i;
  generate
    for (i = 0; i < 4; i = i + 1) begin : g_flash_io
      SB_IO #(
          .PIN_TYPE(6'b1010_01),
          .PULLUP(1'b1)
      ) u_io (
          .PACKAGE_PIN(FLASH_IO[i]),
          .OUTPUT_ENABLE(w_fl_oe[i]),
          .D_OUT_0(w_fl_out[i]),
          .D_IN_0(w_fl_in[i])
      );
    end
  endgenerate
  assign LEDR_N = ~w_leds[0];
  assign LEDG_N = ~w_leds[1];
  wire w_unused = &{1'b0, w_clk_core, w_halted, w_retire, w_exit, w_cause, w_pc, w_div, w_exit_code};
endmodule
