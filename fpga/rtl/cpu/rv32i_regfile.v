// RV32I register file: 32 x 32 bit, one synchronous read port, one write port.
// Maps to two iCE40 EBRs. x0 is never written (the CPU masks writes to it) and starts at zero.
`default_nettype none

module rv32i_regfile #(
    parameter integer XLEN = 32
) (
    input  wire            i_clk,
    input  wire [4:0]      i_raddr,
    output reg  [XLEN-1:0] o_rdata,
    input  wire            i_we,
    input  wire [4:0]      i_waddr,
    input  wire [XLEN-1:0] i_wdata
);
  reg [XLEN-1:0] r_regs[0:31];

  integer i;
  initial begin
    for (i = 0; i < 32; i = i + 1) r_regs[i] = {XLEN{1'b0}};
    o_rdata = {XLEN{1'b0}};
  end

  always @(posedge i_clk) begin
    if (i_we) r_regs[i_waddr] <= i_wdata;
    o_rdata <= r_regs[i_raddr];
  end
endmodule
