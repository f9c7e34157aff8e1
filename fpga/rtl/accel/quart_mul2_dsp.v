// Two independent signed 8x8 products in one SB_MAC16 (MODE_8x8: top A[15:8]*B[15:8],
// bottom A[7:0]*B[7:0]), each registered inside the DSP (TOP/BOT_8x8_MULT_REG): the products of the
// operands presented at cycle t are on o_p0/o_p1 during cycle t+1.
`default_nettype none

module quart_mul2_dsp (
    input  wire        i_clk,
    input  wire [7:0]  i_a0,
    input  wire [7:0]  i_b0,
    input  wire [7:0]  i_a1,
    input  wire [7:0]  i_b1,
    output wire [15:0] o_p0,  // a0 * b0
    output wire [15:0] o_p1   // a1 * b1
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
      .TOPOUTPUT_SELECT(2'b10),
      .TOPADDSUB_LOWERINPUT(2'b00),
      .TOPADDSUB_UPPERINPUT(1'b0),
      .TOPADDSUB_CARRYSELECT(2'b00),
      .BOTOUTPUT_SELECT(2'b10),
      .BOTADDSUB_LOWERINPUT(2'b00),
      .BOTADDSUB_UPPERINPUT(1'b0),
      .BOTADDSUB_CARRYSELECT(2'b00),
      .MODE_8x8(1'b1),
      .A_SIGNED(1'b1),
      .B_SIGNED(1'b1)
  ) u_mac (
      .CLK(i_clk),
      .CE(1'b1),
      .C(16'h0000),
      .A({i_a1, i_a0}),
      .B({i_b1, i_b0}),
      .D(16'h0000),
      .AHOLD(1'b0),
      .BHOLD(1'b0),
      .CHOLD(1'b0),
      .DHOLD(1'b0),
      .IRSTTOP(1'b0),
      .IRSTBOT(1'b0),
      .ORSTTOP(1'b0),
      .ORSTBOT(1'b0),
      .OLOADTOP(1'b0),
      .OLOADBOT(1'b0),
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
  assign o_p0 = w_o[15:0];
  assign o_p1 = w_o[31:16];
endmodule
