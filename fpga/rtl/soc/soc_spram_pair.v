// 16 K x 32 bit from two SB_SPRAM256KA (16 K x 16 bit, nibble write masks). Registered read: o_rdata is
// valid the cycle after a read with i_cs. Writes use byte strobes.
`default_nettype none

module soc_spram_pair (
    input  wire        i_clk,
    input  wire        i_cs,
    input  wire [13:0] i_addr,
    input  wire [31:0] i_wdata,
    input  wire [3:0]  i_wstrb,
    output wire [31:0] o_rdata
);
  wire w_we = |i_wstrb;

  SB_SPRAM256KA u_lo (
      .ADDRESS(i_addr),
      .DATAIN(i_wdata[15:0]),
      .MASKWREN({i_wstrb[1], i_wstrb[1], i_wstrb[0], i_wstrb[0]}),
      .WREN(w_we),
      .CHIPSELECT(i_cs),
      .CLOCK(i_clk),
      .STANDBY(1'b0),
      .SLEEP(1'b0),
      .POWEROFF(1'b1),
      .DATAOUT(o_rdata[15:0])
  );
  SB_SPRAM256KA u_hi (
      .ADDRESS(i_addr),
      .DATAIN(i_wdata[31:16]),
      .MASKWREN({i_wstrb[3], i_wstrb[3], i_wstrb[2], i_wstrb[2]}),
      .WREN(w_we),
      .CHIPSELECT(i_cs),
      .CLOCK(i_clk),
      .STANDBY(1'b0),
      .SLEEP(1'b0),
      .POWEROFF(1'b1),
      .DATAOUT(o_rdata[31:16])
  );
endmodule
