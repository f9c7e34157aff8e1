// Two multiply-accumulates in one SB_MAC16 (MODE_8x8): the top and bottom 8x8 products of one
// activation a with two weights, each registered inside the DSP (TOP/BOT_8x8_MULT_REG) and added
// into its own 16-bit accumulator (the DSP's output registers), which wraps modulo 2^16:
//   o_acc_top += a * b_top,   o_acc_bot += a * b_bot
// The operands presented at cycle t land in the accumulators at the end of cycle t+1 (visible from
// t+2). i_clr loads 0 into both accumulators at the end of the cycle it is asserted (OLOAD with
// C = D = 0), dropping the product that would have landed then. Present b = 0 for a bubble.
`default_nettype none

module quart_mac2_dsp (
    input  wire        i_clk,
    input  wire        i_clr,
    input  wire [7:0]  i_a,
    input  wire [7:0]  i_b_top,
    input  wire [7:0]  i_b_bot,
    output wire [15:0] o_acc_top,
    output wire [15:0] o_acc_bot
);
  wire [31:0] w_o;
  /* verilator lint_off PINCONNECTEMPTY */
  SB_MAC16 #(
      .NEG_TRIGGER(1'b0),
      .C_REG(1'b0),
      .A_REG(1'b0),
      .B_REG(1'b0),
      .D_REG(1'b0),
      .TOP_8x8_MULT_REG(1'b1),
      .BOT_8x8_MULT_REG(1'b1),
      .PIPELINE_16x16_MULT_REG1(1'b0),
      .PIPELINE_16x16_MULT_REG2(1'b0),
      .TOPOUTPUT_SELECT(2'b01),      // accumulator register
      .TOPADDSUB_LOWERINPUT(2'b01),  // top 8x8 product
      .TOPADDSUB_UPPERINPUT(1'b0),   // accumulator feedback
      .TOPADDSUB_CARRYSELECT(2'b00),
      .BOTOUTPUT_SELECT(2'b01),
      .BOTADDSUB_LOWERINPUT(2'b01),  // bottom 8x8 product
      .BOTADDSUB_UPPERINPUT(1'b0),
      .BOTADDSUB_CARRYSELECT(2'b00),
      .MODE_8x8(1'b1),
      .A_SIGNED(1'b1),
      .B_SIGNED(1'b1)
  ) u_mac (
      .CLK(i_clk),
      .CE(1'b1),
      .C(16'h0000),
      .A({i_a, i_a}),
      .B({i_b_top, i_b_bot}),
      .D(16'h0000),
      .AHOLD(1'b0),
      .BHOLD(1'b0),
      .CHOLD(1'b0),
      .DHOLD(1'b0),
      .IRSTTOP(1'b0),
      .IRSTBOT(1'b0),
      .ORSTTOP(1'b0),
      .ORSTBOT(1'b0),
      .OLOADTOP(i_clr),
      .OLOADBOT(i_clr),
      .ADDSUBTOP(1'b0),
      .ADDSUBBOT(1'b0),
      .OHOLDTOP(1'b0),
      .OHOLDBOT(1'b0),
      .CI(1'b0),
      .ACCUMCI(1'b0),
      .SIGNEXTIN(1'b0),
      .O(w_o),
      .CO(),
      .ACCUMCO(),
      .SIGNEXTOUT()
  );
  /* verilator lint_on PINCONNECTEMPTY */
  assign o_acc_top = w_o[31:16];
  assign o_acc_bot = w_o[15:0];
endmodule
