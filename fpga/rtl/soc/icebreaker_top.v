// iCEBreaker board wrapper: 12 MHz oscillator -> PLL -> SoC clock (PLL_DIV* below give 24 MHz, the
// SOC_CLOCK_HZ of fpga/soc/map.ts), UART to the FTDI's second channel, LEDs (active low), user button
// as reset. Pins: fpga/constraints/icebreaker.pcf.
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
    output wire LEDG_N
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
  soc_top #(
      .ROM_INIT(ROM_INIT)
  ) u_soc (
      .i_clk(w_clk),
      .i_rst_n(BTN_N & w_lock),
      .i_uart_rx(RX),
      .o_uart_tx(TX),
      .o_leds(w_leds),
      .o_dbg_halted(w_halted),
      .o_dbg_halt_cause(w_cause),
      .o_dbg_pc(w_pc),
      .o_dbg_retire(w_retire),
      .o_dbg_uart_div(w_div),
      .o_dbg_sim_exit(w_exit),
      .o_dbg_sim_exit_code(w_exit_code)
  );
  assign LEDR_N = ~w_leds[0];
  assign LEDG_N = ~w_leds[1];
  wire w_unused = &{1'b0, w_clk_core, w_halted, w_retire, w_exit, w_cause, w_pc, w_div, w_exit_code};
endmodule
